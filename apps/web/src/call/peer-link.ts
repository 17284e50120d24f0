import { decodePeerMessage, type PeerMessage, type SignalPayload } from '@parley/protocol';
import type { VideoSendLimits } from './bitrate-policy.ts';
import type { LinkPhase } from './ice-recovery.ts';
import { IceRecovery } from './ice-recovery-runner.ts';
import { LinkMonitor } from './link-monitor.ts';
import type { LinkStats } from './link-stats.ts';
import type { CreatePeerTransport, PeerTransport } from './peer-transport.ts';
import { TransceiverRequestGuard } from './trust/transceiver-request-guard.ts';

export type { LinkStats } from './link-stats.ts';
export type { LinkPhase } from './ice-recovery.ts';

export interface PeerLinkEvents {
  onState(state: LinkPhase): void;
  /** A remote MediaStream (camera or screen) appeared or gained a track. */
  onRemoteStream(stream: MediaStream): void;
  onMessage(message: PeerMessage): void;
  /** A data-channel message that is not a valid peer message within bounds was dropped. */
  onDropped?(): void;
  onSpeaking(speaking: boolean): void;
  onStats(stats: LinkStats): void;
  /** Called each time this side starts (or, when polite, requests) an ICE restart. */
  onIceRestart(count: number): void;
}

export interface PeerLinkOptions extends PeerLinkEvents {
  /** The remote participant this link connects us to. */
  participantId: string;
  /** The impolite side initiates: in simple-peer only the initiator ever makes offers. */
  polite: boolean;
  iceServers: RTCIceServer[];
  /** `relay` for the relay-only privacy mode. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** New TURN credentials before an ICE restart (the old ones may have expired). */
  freshIceServers?: () => Promise<RTCIceServer[]>;
  localStream: MediaStream;
  /** Our screen share, when one is running as the link is created (late joiners see it). */
  screenStream?: MediaStream | undefined;
  /** Our persistent DTLS certificate, so verification codes stay the same across calls. */
  certificates?: RTCCertificate[] | undefined;
  /** Returns false when the signal could not be sent (signalling is down). */
  sendSignal(payload: SignalPayload): boolean;
}

/**
 * Our connection to one remote participant: media both ways, a data channel for peer messages,
 * and video limits. Three parts do the rest: the transport (the WebRTC connection, behind
 * `PeerTransport`), its recovery (`IceRecovery`: ICE restarts, rejoins) and its monitor
 * (`LinkMonitor`: stats and speaking).
 */
export class PeerLink {
  private readonly transport: PeerTransport;
  private readonly recovery: IceRecovery;
  private readonly monitor: LinkMonitor;
  private videoLimits: VideoSendLimits | undefined;
  private appliedLimits: VideoSendLimits | undefined;
  /** Whether our first offer or answer has been sent. */
  private described = false;
  private readonly transceiverGuard = new TransceiverRequestGuard();

  /** `createTransport` is `createSimplePeerTransport` in the app, a fake in tests. */
  constructor(
    private readonly options: PeerLinkOptions,
    createTransport: CreatePeerTransport,
  ) {
    const transport = (this.transport = createTransport({
      initiator: !options.polite,
      iceServers: options.iceServers,
      iceTransportPolicy: options.iceTransportPolicy ?? 'all',
      streams: [options.localStream, options.screenStream].filter(
        (stream): stream is MediaStream => stream !== undefined && stream.getTracks().length > 0,
      ),
      certificates: options.certificates,
    }));
    this.recovery = new IceRecovery({
      initiator: !options.polite,
      transport,
      freshIceServers: options.freshIceServers,
      onPhase: (phase) => options.onState(phase),
      onRestart: (count) => options.onIceRestart(count),
    });
    this.monitor = new LinkMonitor({
      transport,
      onSpeaking: options.onSpeaking,
      onStats: options.onStats,
    });
    transport.on('signal', (payload) => {
      if (!options.sendSignal(payload)) this.recovery.dispatch({ type: 'signal-send-failed' });
      if (this.described) return;
      // Our first offer or answer is out: the senders are negotiated, the media does not flow
      // yet, and nothing else is queued on the WebRTC side, so this is the moment for the limits.
      this.described = true;
      void this.applyVideoLimits();
    });
    transport.on('connect', () => {
      this.monitor.start();
      this.recovery.dispatch({ type: 'channel-open' });
      // Again only if they did not take (a renegotiation raced them): changing the encoder's
      // parameters just as its first frames go out would only delay them.
      if (this.appliedLimits !== this.videoLimits) void this.applyVideoLimits();
    });
    transport.on('track', (_track, stream) => options.onRemoteStream(stream));
    transport.on('message', (text) => {
      const message = decodePeerMessage(text);
      if (message) options.onMessage(message);
      else options.onDropped?.();
    });
    transport.on('iceState', (state) => this.recovery.dispatch({ type: 'ice', state }));
    transport.on('connectionFailed', () => this.recovery.dispatch({ type: 'connection-failed' }));
    transport.on('closed', () => this.recovery.dispatch({ type: 'closed' }));
  }

  signal(payload: SignalPayload): void {
    if (this.transport.destroyed) return;
    if (!this.transceiverGuard.allows(payload, this.transport.peerConnection())) return;
    if (payload.type === 'renegotiate') this.recovery.dispatch({ type: 'renegotiation-requested' });
    this.transport.signal(payload);
  }

  /** Sends a peer message if the data channel is open; otherwise it is dropped. */
  send(message: PeerMessage): void {
    this.trySend(message);
  }

  /** Sends a peer message; false when the data channel is not open. */
  trySend(message: PeerMessage): boolean {
    if (!this.transport.channelOpen) return false;
    this.transport.send(JSON.stringify(message));
    return true;
  }

  /** Device switch mid-call: the new track goes out on the same sender, no renegotiation. */
  replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack): Promise<void> {
    return this.transport.replaceTrack(oldTrack, newTrack, this.options.localStream);
  }

  /** A pre-negotiated data channel for file data (both sides open the same ID). */
  openChannel(id: number): RTCDataChannel {
    return this.transport.openNegotiatedChannel(`file-${id}`, id);
  }

  /** The live connection, only to read its descriptions and stats (verification codes). */
  peerConnection(): RTCPeerConnection {
    return this.transport.peerConnection();
  }

  maxMessageSize(): number {
    return this.transport.maxMessageSize();
  }

  /** Starts sending another stream (a screen share); the transport renegotiates. */
  addStream(stream: MediaStream): void {
    this.transport.addStream(stream);
  }

  removeStream(stream: MediaStream): void {
    this.transport.removeStream(stream);
  }

  /**
   * Applied once our first offer or answer has gone out (and from then on at once). Not earlier:
   * the first offer was seen waiting behind a setParameters issued right after the connection
   * was created (40-200 ms on a loaded machine). Not as late as the connect either: changing the
   * encoder just as its first frames go out delayed the first remote frame by 100-200 ms.
   */
  async setVideoLimits(limits: VideoSendLimits): Promise<void> {
    this.videoLimits = limits;
    if (this.described) await this.applyVideoLimits();
  }

  /** Signalling dropped: restarts that come due wait for the rejoin (see ice-recovery.ts). */
  signalingLost(): void {
    this.recovery.dispatch({ type: 'signaling-lost' });
  }

  /**
   * Signalling is back after an outage. Anything we tried to send meanwhile may be lost, so an
   * unanswered offer is sent again, and a connection that is not healthy is restarted.
   */
  signalingRestored(): void {
    if (this.transport.destroyed) return;
    this.recovery.dispatch({
      type: 'signaling-restored',
      offerPending: this.transport.hasPendingOffer(),
    });
  }

  /** New ICE servers (renewed TURN credentials); used by the next gathering, e.g. a restart. */
  setIceServers(iceServers: RTCIceServer[]): void {
    this.transport.setIceServers(iceServers);
  }

  destroy(): void {
    this.monitor.stop();
    this.recovery.dispose();
    this.transport.destroy();
  }

  private async applyVideoLimits(): Promise<void> {
    const limits = this.videoLimits;
    if (!limits || this.transport.destroyed) return;
    let applied = true;
    for (const sender of this.transport.videoSenders()) {
      const parameters = sender.getParameters();
      if (!parameters.encodings || parameters.encodings.length === 0) {
        applied = false; // not negotiated yet
        continue;
      }
      for (const encoding of parameters.encodings) {
        encoding.maxBitrate = limits.maxBitrate;
        encoding.scaleResolutionDownBy = limits.scaleResolutionDownBy;
      }
      try {
        await sender.setParameters(parameters);
      } catch {
        // A renegotiation raced us; the next connect or room-size change applies the limits again.
        applied = false;
      }
    }
    if (applied) this.appliedLimits = limits;
  }
}
