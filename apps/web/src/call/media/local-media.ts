import { classifyMediaError, type MediaProblem } from './media-problems.ts';

export interface MediaChoice {
  audio: boolean;
  video: boolean;
  audioDeviceId?: string | undefined;
  videoDeviceId?: string | undefined;
}

export interface AcquiredMedia {
  stream: MediaStream;
  /** Set when we got less than was asked for; the stream holds whatever we did get. */
  problem?: MediaProblem;
}

type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 24, max: 30 },
};

function constraintsFor(
  choice: MediaChoice,
  audio: boolean,
  video: boolean,
): MediaStreamConstraints {
  return {
    audio: audio
      ? choice.audioDeviceId
        ? { deviceId: { exact: choice.audioDeviceId } }
        : true
      : false,
    video: video
      ? {
          ...VIDEO_CONSTRAINTS,
          ...(choice.videoDeviceId ? { deviceId: { exact: choice.videoDeviceId } } : {}),
        }
      : false,
  };
}

/**
 * Gets the camera and microphone, degrading step by step instead of failing: both, then audio
 * only, then video only, then nothing (receive-only). A denied permission is not retried, as
 * every later request would be denied too.
 */
export async function acquireLocalMedia(
  choice: MediaChoice,
  getUserMedia: GetUserMedia | undefined = globalThis.navigator?.mediaDevices?.getUserMedia?.bind(
    globalThis.navigator.mediaDevices,
  ),
): Promise<AcquiredMedia> {
  if (!getUserMedia) return { stream: new MediaStream(), problem: 'insecure-context' };
  const attempts: Array<[audio: boolean, video: boolean, shortfall: MediaProblem | undefined]> = [];
  if (choice.audio && choice.video)
    attempts.push(
      [true, true, undefined],
      [true, false, 'no-camera'],
      [false, true, 'no-microphone'],
    );
  else if (choice.audio) attempts.push([true, false, undefined]);
  else if (choice.video) attempts.push([false, true, undefined]);

  let firstProblem: MediaProblem | undefined;
  for (const [audio, video, shortfall] of attempts) {
    try {
      const stream = await getUserMedia(constraintsFor(choice, audio, video));
      const problem = shortfall ?? undefined;
      return problem ? { stream, problem } : { stream };
    } catch (error) {
      const problem = classifyMediaError(error);
      firstProblem ??= problem;
      if (problem === 'permission-denied') break;
    }
  }
  return { stream: new MediaStream(), problem: firstProblem ?? 'no-devices' };
}

/** A single replacement track for a device switch mid-call. */
export async function acquireTrack(
  kind: 'audio' | 'video',
  deviceId: string,
  getUserMedia: GetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices),
): Promise<MediaStreamTrack> {
  const choice: MediaChoice =
    kind === 'audio'
      ? { audio: true, video: false, audioDeviceId: deviceId }
      : { audio: false, video: true, videoDeviceId: deviceId };
  const stream = await getUserMedia(constraintsFor(choice, kind === 'audio', kind === 'video'));
  const track = stream.getTracks()[0];
  if (!track) throw new Error(`no ${kind} track from the selected device`);
  return track;
}
