import type { PeerMessage, SignalPayload } from '@parley/protocol';
import type { VideoSendLimits } from '../bitrate-policy.ts';
import type { PeerLinkLike } from '../call-session.ts';
import type { PeerLinkOptions } from '../peer-link.ts';

/** Records what the session asks of a link, and lets the test play the remote participant. */
export class FakePeerLink implements PeerLinkLike {
  readonly received: SignalPayload[] = [];
  readonly sent: PeerMessage[] = [];
  limits: VideoSendLimits | undefined;
  restoredCount = 0;
  lostCount = 0;
  destroyed = false;

  constructor(readonly options: PeerLinkOptions) {}

  signal(payload: SignalPayload): void {
    this.received.push(payload);
  }
  send(message: PeerMessage): void {
    this.sent.push(message);
  }
  trySend(message: PeerMessage): boolean {
    this.sent.push(message);
    return true;
  }
  openChannel(): RTCDataChannel {
    throw new Error('file channels are exercised in files/file-transfers.test.ts');
  }
  maxMessageSize(): number {
    return 256 * 1024;
  }
  readonly replaced: Array<[MediaStreamTrack, MediaStreamTrack]> = [];
  async replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack): Promise<void> {
    this.replaced.push([oldTrack, newTrack]);
  }
  readonly streams: MediaStream[] = [];
  addStream(stream: MediaStream): void {
    this.streams.push(stream);
  }
  removeStream(stream: MediaStream): void {
    this.streams.splice(this.streams.indexOf(stream), 1);
  }
  async setVideoLimits(limits: VideoSendLimits): Promise<void> {
    this.limits = limits;
  }
  readonly iceServerUpdates: RTCIceServer[][] = [];
  setIceServers(servers: RTCIceServer[]): void {
    this.iceServerUpdates.push(servers);
  }
  signalingLost(): void {
    this.lostCount++;
  }
  signalingRestored(): void {
    this.restoredCount++;
  }
  destroy(): void {
    this.destroyed = true;
  }
}
