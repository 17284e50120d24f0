/**
 * Recovering a negotiation that a long outage cut in half. The server drops signals for a
 * participant who is mid-resume (seat held, socket gone), so when the initiator rejoins first,
 * the offer it sends again on rejoin is lost too; and simple-peer, believing that offer still
 * pending, queues every later renegotiation behind it. The polite side's own request, sent
 * early in the outage, was lost the same way, and simple-peer swallows its repeats. Nothing
 * would ever send again, and the call would stay "reconnecting" with signalling healthy.
 *
 * So a request to renegotiate that finds unanswered the offer we re-sent on rejoin means the
 * other side never got it, and the offer goes out again. When both sides come back at once,
 * the other side may then get that offer twice. The copy is recognised here and dropped: applying it would answer it a
 * second time, and that late answer could meet a newer offer of ours (the request queued a new
 * negotiation) and be applied to it. An answer with no offer outstanding is dropped too: the
 * RTCPeerConnection would refuse it, and simple-peer treats that state error as fatal.
 */

/** What the incoming signal's handling should be, given our connection's negotiation state. */
export type IncomingSignalAction =
  /** Hand it to simple-peer as usual. */
  | 'apply'
  /** Our offer is unanswered and the other side asks for a negotiation: send the offer again, then apply. */
  | 'resend-offer-then-apply'
  /** A copy of something already applied, or an answer to an offer already answered. */
  | 'ignore';

export interface NegotiationView {
  initiator: boolean;
  /** Our outstanding offer was sent again on a signalling rejoin, so it may well have been lost. */
  offerResentOnRejoin: boolean;
  signalingState: RTCSignalingState;
  localDescription: { type: RTCSdpType; sdp: string } | null;
  remoteDescription: { type: RTCSdpType; sdp: string } | null;
}

export function actionFor(
  signal: { type: string; sdp?: unknown },
  view: NegotiationView,
): IncomingSignalAction {
  if (signal.type === 'renegotiate') {
    // Only after a rejoin: on a live link the offer is merely in flight, and a copy would
    // change what a short outage's recovery does (it did, in the short-outage e2e test).
    return view.initiator && view.signalingState === 'have-local-offer' && view.offerResentOnRejoin
      ? 'resend-offer-then-apply'
      : 'apply';
  }
  if (signal.type === 'answer') {
    // Only an outstanding offer can take an answer; anything else is a late copy. (A copy
    // arriving while a newer offer waits is not caught: an answer to an unchanged re-offer may
    // carry the same o= line as the last one, and ignoring a real answer would stall the link.)
    return view.signalingState === 'have-local-offer' ? 'apply' : 'ignore';
  }
  if (signal.type === 'offer' && typeof signal.sdp === 'string') {
    const remote = view.remoteDescription;
    const same =
      remote?.type === 'offer' && sessionVersion(remote.sdp) === sessionVersion(signal.sdp);
    return same ? 'ignore' : 'apply';
  }
  return 'apply';
}

/**
 * The offer's identity: its `o=` line (session ID and version). Each new offer gets a new
 * version; the candidates gathered later change the description's text, never this line.
 */
export function sessionVersion(sdp: string): string | undefined {
  return /^o=.*$/m.exec(sdp)?.[0];
}
