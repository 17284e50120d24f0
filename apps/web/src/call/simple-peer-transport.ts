import type { SignalPayload } from '@parley/protocol';
import SimplePeer, { type SimplePeerSignal } from '@thaunknown/simple-peer';
import type { PeerTransport, PeerTransportEvents, PeerTransportOptions } from './peer-transport.ts';
import { actionFor } from './stale-negotiation.ts';

/**
 * The one place that knows simple-peer: its options, its events, and the internals it gives no
 * API for (`_pc`, and two private handlers overridden below). Everything else in the call code
 * sees a `PeerTransport`.
 *
 * simple-peer supplies perfect negotiation's roles by construction: only the initiator (our
 * impolite side) ever offers, the polite side asks it to renegotiate, and candidates that arrive
 * before the remote description are queued.
 */
export function createSimplePeerTransport(options: PeerTransportOptions): PeerTransport {
  return new SimplePeerTransport(options);
}

/**
 * Stock simple-peer destroys the connection the moment ICE reports "failed", and again when the
 * connection state reaches "failed" (Chromium: about 30 s into an outage). A call should instead
 * restart ICE and keep its tracks and data channel, so both are reported, not acted on.
 */
class ResilientSimplePeer extends SimplePeer {
  /** Our outstanding offer went out on a signalling rejoin; cleared once it is answered. */
  offerSentOnRejoin = false;
  /** The next offer we send is made on a rejoin (a restart the rejoin started). */
  nextOfferOnRejoin = false;

  override _onIceStateChange(): void {
    if (this._pc.iceConnectionState === 'failed') {
      this.emit('iceStateChange', 'failed', this._pc.iceGatheringState);
      return;
    }
    super._onIceStateChange();
  }

  override _onConnectionStateChange(): void {
    if (this._pc.connectionState === 'failed') {
      // Chromium may leave the ICE state at "disconnected" for a connection that never worked,
      // so this is the only failure signal a link gets during setup.
      this.emit('connectionFailed');
      return;
    }
    super._onConnectionStateChange();
  }

  override signal(data: SimplePeerSignal): void {
    const pc = this._pc;
    const local = pc.localDescription;
    if (pc.signalingState !== 'have-local-offer') this.offerSentOnRejoin = false;
    const action = actionFor(data, {
      initiator: this.initiator,
      offerResentOnRejoin: this.offerSentOnRejoin,
      signalingState: pc.signalingState,
      localDescription: local,
      remoteDescription: pc.remoteDescription,
    });
    // Copies (see stale-negotiation.ts) never reach the connection.
    if (action === 'ignore') return;
    if (action === 'resend-offer-then-apply' && local) {
      this.emit('signal', { type: 'offer', sdp: local.sdp });
    }
    super.signal(data);
  }
}

class SimplePeerTransport implements PeerTransport {
  private readonly peer: ResilientSimplePeer;

  constructor(options: PeerTransportOptions) {
    this.peer = new ResilientSimplePeer({
      initiator: options.initiator,
      trickle: true,
      objectMode: true,
      channelName: 'parley',
      config: {
        iceServers: options.iceServers,
        iceTransportPolicy: options.iceTransportPolicy,
        ...(options.certificates && { certificates: options.certificates }),
      },
      // A receive-only initiator must still offer to receive the other side's media.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
      streams: options.streams,
    });
    // Registered first, so it sees each offer before the link sends it.
    this.peer.on('signal', (data) => {
      if (data.type !== 'offer' || !this.peer.nextOfferOnRejoin) return;
      this.peer.nextOfferOnRejoin = false;
      this.peer.offerSentOnRejoin = true;
    });
  }

  get destroyed(): boolean {
    return this.peer.destroyed;
  }

  get channelOpen(): boolean {
    return this.peer.connected;
  }

  on<E extends keyof PeerTransportEvents>(event: E, listener: PeerTransportEvents[E]): void {
    const peer = this.peer;
    const on = listener as (...args: never[]) => void;
    switch (event) {
      case 'signal':
        peer.on('signal', (data) => on(...([data as SignalPayload] as never[])));
        return;
      case 'connect':
      case 'connectionFailed':
        peer.on(event, () => on());
        return;
      case 'track':
        peer.on('track', (track, stream) => on(...([track, stream] as never[])));
        return;
      case 'message':
        peer.on('data', (data) => {
          if (typeof data === 'string') on(...([data] as never[]));
        });
        return;
      case 'iceState':
        peer.on('iceStateChange', (state) => on(...([state] as never[])));
        return;
      case 'closed':
        peer.on('error', () => on());
        peer.on('close', () => on());
        return;
    }
  }

  signal(payload: SignalPayload): void {
    if (!this.peer.destroyed) this.peer.signal(payload as SimplePeerSignal);
  }

  send(text: string): void {
    this.peer.send(text);
  }

  async replaceTrack(
    oldTrack: MediaStreamTrack,
    newTrack: MediaStreamTrack,
    stream: MediaStream,
  ): Promise<void> {
    if (this.peer.destroyed) return;
    const sender = this.peer._pc.getSenders().find((s) => s.track === oldTrack);
    // simple-peer keeps its own track→sender map for later removals, so it does the swap...
    this.peer.replaceTrack(oldTrack, newTrack, stream);
    // ...but does not return the sender's promise; replacing with the same track again queues
    // behind it and resolves once the new track is really in place.
    await sender?.replaceTrack(newTrack);
  }

  addStream(stream: MediaStream): void {
    if (this.peer.destroyed) return;
    for (const track of stream.getTracks()) this.peer.addTrack(track, stream);
  }

  removeStream(stream: MediaStream): void {
    if (this.peer.destroyed) return;
    for (const track of stream.getTracks()) {
      try {
        this.peer.removeTrack(track, stream);
      } catch {
        // never added to this link (it was created after the share stopped); nothing to remove
      }
    }
  }

  /**
   * Pre-negotiated, because simple-peer treats any announced incoming channel as its own; both
   * sides open the same ID instead.
   */
  openNegotiatedChannel(label: string, id: number): RTCDataChannel {
    return this.peer._pc.createDataChannel(label, { negotiated: true, id, ordered: true });
  }

  maxMessageSize(): number {
    return this.peer._pc.sctp?.maxMessageSize ?? 64 * 1024;
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    if (this.peer.destroyed) return;
    const pc = this.peer._pc;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
    } catch {
      // Refused only for a closed connection; nothing left to configure.
    }
  }

  restartIce({ askAgain, afterRejoin }: { askAgain: boolean; afterRejoin: boolean }): void {
    const peer = this.peer;
    if (peer.destroyed) return;
    if (peer.initiator) {
      peer._pc.restartIce();
      if (afterRejoin) peer.nextOfferOnRejoin = true;
      peer.negotiate();
    } else if (askAgain) {
      peer.emit('signal', { type: 'renegotiate', renegotiate: true });
    } else {
      peer.negotiate(); // the polite side's negotiate() is a request, sent once
    }
  }

  flagIceRestart(): void {
    if (!this.peer.destroyed && this.peer.initiator) this.peer._pc.restartIce();
  }

  hasPendingOffer(): boolean {
    return !this.peer.destroyed && this.peer._pc.signalingState === 'have-local-offer';
  }

  resendPendingOffer(): boolean {
    const pc = this.peer._pc;
    const offer = this.hasPendingOffer() ? pc.localDescription : null;
    if (!offer) return false;
    // If the other side is still mid-resume the server drops this too; its request for a
    // negotiation, when it is back, then brings the offer once more (stale-negotiation.ts).
    this.peer.offerSentOnRejoin = true;
    this.peer.emit('signal', { type: 'offer', sdp: offer.sdp });
    return true;
  }

  videoSenders(): RTCRtpSender[] {
    if (this.peer.destroyed) return [];
    return this.peer._pc.getSenders().filter((s) => s.track?.kind === 'video');
  }

  incomingAudioLevel(): number {
    const receiver = this.peer._pc.getReceivers().find((r) => r.track.kind === 'audio');
    return receiver?.getSynchronizationSources()[0]?.audioLevel ?? 0;
  }

  getStats(): Promise<RTCStatsReport> {
    return this.peer._pc.getStats();
  }

  peerConnection(): RTCPeerConnection {
    return this.peer._pc;
  }

  destroy(): void {
    this.peer.removeAllListeners();
    this.peer.destroy();
  }
}
