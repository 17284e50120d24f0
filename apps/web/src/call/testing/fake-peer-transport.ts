import type { SignalPayload } from '@parley/protocol';
import type {
  PeerTransport,
  PeerTransportEvents,
  PeerTransportOptions,
} from '../peer-transport.ts';

/** A PeerTransport without WebRTC: records what the link asks, and lets a test raise events. */
export class FakePeerTransport implements PeerTransport {
  destroyed = false;
  channelOpen = false;
  offerPending = false;
  audioLevel = 0;
  statsReport: Array<Record<string, unknown>> = [];
  readonly signals: SignalPayload[] = [];
  readonly sentTexts: string[] = [];
  readonly calls: string[] = [];
  private readonly listeners = new Map<string, Array<(...args: never[]) => void>>();

  constructor(readonly options: PeerTransportOptions) {}

  on<E extends keyof PeerTransportEvents>(event: E, listener: PeerTransportEvents[E]): void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener as (...args: never[]) => void);
    this.listeners.set(event, list);
  }

  /** Raises an event as the library would. */
  raise<E extends keyof PeerTransportEvents>(
    event: E,
    ...args: Parameters<PeerTransportEvents[E]>
  ): void {
    for (const listener of this.listeners.get(event) ?? [])
      (listener as (...a: Parameters<PeerTransportEvents[E]>) => void)(...args);
  }

  signal(payload: SignalPayload): void {
    this.signals.push(payload);
  }
  send(text: string): void {
    this.sentTexts.push(text);
  }
  async replaceTrack(): Promise<void> {}
  addStream(): void {}
  removeStream(): void {}
  openNegotiatedChannel(): RTCDataChannel {
    throw new Error('file channels are exercised in files/file-transfers.test.ts');
  }
  maxMessageSize(): number {
    return 256 * 1024;
  }
  setIceServers(): void {
    this.calls.push('servers');
  }
  restartIce(request: { askAgain: boolean; afterRejoin: boolean }): void {
    this.calls.push(`restart${request.askAgain ? ' ask-again' : ''}`);
  }
  flagIceRestart(): void {
    this.calls.push('flag-restart');
  }
  hasPendingOffer(): boolean {
    return this.offerPending;
  }
  resendPendingOffer(): boolean {
    this.calls.push('resend-offer');
    return this.offerPending;
  }
  videoSenders(): RTCRtpSender[] {
    return [];
  }
  incomingAudioLevel(): number {
    return this.audioLevel;
  }
  async getStats(): Promise<RTCStatsReport> {
    return this.statsReport as unknown as RTCStatsReport;
  }
  /** Only what the transceiver-request guard reads: no transceivers yet. */
  peerConnection(): RTCPeerConnection {
    return { getTransceivers: () => [] } as unknown as RTCPeerConnection;
  }
  destroy(): void {
    this.destroyed = true;
  }
}
