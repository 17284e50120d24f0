import SimplePeer, { type SimplePeerSignal } from '@thaunknown/simple-peer';
import { actionFor } from './stale-negotiation.ts';

/**
 * simple-peer with ICE restarts. Stock simple-peer destroys the connection the moment ICE
 * reports "failed"; a call should instead restart ICE and keep its tracks and data channel.
 * Only the initiator (the impolite side) can restart, because only it makes offers; the polite
 * side asks for a renegotiation, which the initiator turns into a restart while ICE is down.
 */
export class ResilientPeer extends SimplePeer {
  /** Set when our pending offer was sent again on a rejoin; cleared once it is answered. */
  private offerResentOnRejoin = false;

  override _onIceStateChange(): void {
    if (this._pc.iceConnectionState === 'failed') {
      // Report it like simple-peer would, but do not destroy.
      this.emit('iceStateChange', 'failed', this._pc.iceGatheringState);
      return;
    }
    super._onIceStateChange();
  }

  /**
   * Stock simple-peer also destroys the peer when the connection state reaches "failed", which
   * follows ICE failing (Chromium: about 30 s without connectivity). That would end the call
   * after a long outage instead of letting the ICE restart above bring it back.
   */
  override _onConnectionStateChange(): void {
    if (this._pc.connectionState === 'failed') {
      // Chromium may leave the ICE state at "disconnected" for a connection that never worked,
      // so this is the only failure signal the link gets during setup.
      this.emit('connectionFailed');
      return;
    }
    super._onConnectionStateChange();
  }

  override signal(data: SimplePeerSignal): void {
    const pc = this._pc;
    const local = pc.localDescription;
    if (pc.signalingState !== 'have-local-offer') this.offerResentOnRejoin = false;
    const action = actionFor(data, {
      initiator: this.initiator,
      offerResentOnRejoin: this.offerResentOnRejoin,
      signalingState: pc.signalingState,
      localDescription: local,
      remoteDescription: pc.remoteDescription,
    });
    // Copies (see stale-negotiation.ts) never reach the connection.
    if (action === 'ignore') return;
    if (action === 'resend-offer-then-apply' && local) {
      this.emit('signal', { type: 'offer', sdp: local.sdp });
    }
    if (data.type === 'renegotiate' && this.initiator && this.iceIsDown()) pc.restartIce();
    super.signal(data);
  }

  /**
   * Starts an ICE restart (initiator) or asks the initiator for one (polite side). simple-peer
   * sends the polite side's request once and swallows repeats until an offer arrives; after an
   * outage that one request may have gone into a dead socket, so `askAgain` sends it anyway.
   */
  restartIce({ askAgain = false }: { askAgain?: boolean } = {}): void {
    if (this.destroyed) return;
    if (this.initiator) {
      this._pc.restartIce();
      this.negotiate();
    } else if (askAgain) {
      this.emit('signal', { type: 'renegotiate', renegotiate: true });
    } else {
      this.negotiate();
    }
  }

  /** The caller has just sent `pendingOffer()` again after a signalling rejoin. */
  markOfferResentOnRejoin(): void {
    this.offerResentOnRejoin = true;
  }

  /** The offer we sent but never got an answer to (it was lost while signalling was down). */
  pendingOffer(): RTCSessionDescription | null {
    return this._pc.signalingState === 'have-local-offer' ? this._pc.localDescription : null;
  }

  private iceIsDown(): boolean {
    const state = this._pc.iceConnectionState;
    return state === 'failed' || state === 'disconnected';
  }
}
