import { TypedEmitter } from '../typed-emitter.ts';
import { acquireLocalMedia, acquireTrack, type MediaChoice } from './local-media.ts';
import { LevelMeter } from './level-meter.ts';
import type { MediaProblem } from './media-problems.ts';

export interface LocalMediaState {
  hasAudio: boolean;
  hasVideo: boolean;
  audioEnabled: boolean;
  videoEnabled: boolean;
  audioDeviceId: string | undefined;
  videoDeviceId: string | undefined;
  problem: MediaProblem | undefined;
}

export type LocalMediaEvents = {
  changed: [state: LocalMediaState];
};

/** Puts a new track in place of an old one wherever it is being sent; resolves when done. */
export type TrackReplacer = (
  oldTrack: MediaStreamTrack,
  newTrack: MediaStreamTrack,
) => Promise<void>;

/**
 * Our camera and microphone for the whole visit, lobby and call alike. `stream` is one stable
 * MediaStream whose tracks are swapped on a device change, so previews and peer connections
 * never have to be rebuilt.
 */
export class LocalMediaSession extends TypedEmitter<LocalMediaEvents> {
  readonly stream = new MediaStream();
  private meter: LevelMeter | undefined;
  private problem: MediaProblem | undefined;
  private audioEnabled = true;
  private videoEnabled = true;
  private replacer: TrackReplacer | undefined;

  get state(): LocalMediaState {
    const audio = this.track('audio');
    const video = this.track('video');
    return {
      hasAudio: Boolean(audio),
      hasVideo: Boolean(video),
      audioEnabled: Boolean(audio) && this.audioEnabled,
      videoEnabled: Boolean(video) && this.videoEnabled,
      audioDeviceId: audio?.getSettings().deviceId,
      videoDeviceId: video?.getSettings().deviceId,
      problem: this.problem,
    };
  }

  /** (Re)acquires devices. Never rejects: what could not be had is reported in `state.problem`. */
  async start(choice: MediaChoice): Promise<void> {
    this.releaseTracks();
    const acquired = await acquireLocalMedia(choice);
    this.problem = acquired.problem;
    for (const track of acquired.stream.getTracks()) this.stream.addTrack(track);
    this.applyEnabled();
    this.startMeter();
    this.emit('changed', this.state);
  }

  /** The call registers how to swap tracks on its peer connections (undefined: no call). */
  setTrackReplacer(replacer: TrackReplacer | undefined): void {
    this.replacer = replacer;
  }

  /**
   * Switches one device. The old track is stopped only after every sender carries the new one:
   * stopping it while RTCRtpSender.replaceTrack is still pending can leave the encoder without
   * frames (seen in Chromium).
   */
  async switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const old = this.track(kind);
    if (old?.getSettings().deviceId === deviceId) return;
    const next = await acquireTrack(kind, deviceId);
    next.enabled = kind === 'audio' ? this.audioEnabled : this.videoEnabled;
    if (old) {
      this.stream.removeTrack(old);
      this.stream.addTrack(next);
      await this.replacer?.(old, next);
      old.stop();
    } else {
      this.stream.addTrack(next);
    }
    if (kind === 'audio') this.startMeter();
    this.emit('changed', this.state);
  }

  setEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    if (kind === 'audio') this.audioEnabled = enabled;
    else this.videoEnabled = enabled;
    this.applyEnabled();
    this.emit('changed', this.state);
  }

  /** Microphone loudness 0..1 (0 when muted or absent). */
  level(): number {
    return this.audioEnabled ? (this.meter?.level() ?? 0) : 0;
  }

  stop(): void {
    this.releaseTracks();
    this.removeAllListeners();
  }

  private track(kind: 'audio' | 'video'): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
  }

  private applyEnabled(): void {
    for (const track of this.stream.getAudioTracks()) track.enabled = this.audioEnabled;
    for (const track of this.stream.getVideoTracks()) track.enabled = this.videoEnabled;
  }

  private startMeter(): void {
    this.meter?.stop();
    const audio = this.track('audio');
    this.meter = audio ? new LevelMeter(audio) : undefined;
  }

  private releaseTracks(): void {
    this.meter?.stop();
    this.meter = undefined;
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
  }
}
