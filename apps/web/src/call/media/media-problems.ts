/** Why we could not get (all of) the camera and microphone, in words a person can act on. */
export type MediaProblem =
  | 'permission-denied'
  | 'no-devices'
  | 'no-camera'
  | 'no-microphone'
  | 'device-in-use'
  | 'insecure-context'
  | 'unknown';

export const MEDIA_PROBLEM_TEXT: Record<MediaProblem, string> = {
  'permission-denied':
    'Camera and microphone are blocked for this site. Allow them in the address bar (this page notices) or press Try again. You can still join to watch and listen.',
  'no-devices': 'No camera or microphone was found. You can still join to watch and listen.',
  'no-camera': 'No camera was found, so you will join with audio only.',
  'no-microphone': 'No microphone was found, so you will join with video only.',
  'device-in-use':
    'Your camera or microphone is in use by another application. Close it and reload, or join without it.',
  'insecure-context':
    'Camera and microphone need a secure (https) connection. You can still join to watch and listen.',
  unknown:
    'Your camera and microphone could not be started. You can still join to watch and listen.',
};

/** Maps a getUserMedia rejection (a DOMException name) to a problem. */
export function classifyMediaError(error: unknown): MediaProblem {
  const name = (error as { name?: string } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'permission-denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no-devices';
    case 'NotReadableError':
    case 'AbortError':
      return 'device-in-use';
    default:
      return 'unknown';
  }
}
