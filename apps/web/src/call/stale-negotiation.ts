/**
 * Recovering a negotiation that a long outage cut in half. The server drops signals for a
 * participant who is mid-resume (seat held, socket gone), so when the initiator rejoins first,
 * the offer it sends again on rejoin is lost too; and simple-peer, believing that offer still
 * pending, queues every later renegotiation behind it. The polite side's own request, sent
 * early in the outage, was lost the same way, and simple-peer swallows its repeats. Nothing
 * would ever send again, and the call would stay "reconnecting" with signalling healthy.
 *
 * So a request to renegotiate that finds our offer unanswered means the other side never got
 * it, and the offer goes out again. Sending an offer or an answer twice is then possible when
 * both sides come back at once; the duplicates are recognised here and never reach the
 * RTCPeerConnection, where simple-peer would treat the state error as fatal.
 */

/** What the incoming signal's handling should be, given our connection's negotiation state. */
export type IncomingSignalAction =
  /** Hand it to simple-peer as usual. */
  | 'apply'
  /** Our offer is unanswered and the other side asks for a negotiation: send the offer again, then apply. */
  | 'resend-offer-then-apply'
  /** A copy of the offer we have already answered: our answer may have been lost, send it again. */
  | 'resend-answer'
  /** A copy of something already applied, or an answer to an offer already answered. */
  | 'ignore';

export interface NegotiationView {
  initiator: boolean;
  signalingState: RTCSignalingState;
  localDescription: { type: RTCSdpType; sdp: string } | null;
  remoteDescription: { type: RTCSdpType; sdp: string } | null;
}

export function actionFor(
  signal: { type: string; sdp?: unknown },
  view: NegotiationView,
): IncomingSignalAction {
  if (signal.type === 'renegotiate') {
    return view.initiator && view.signalingState === 'have-local-offer'
      ? 'resend-offer-then-apply'
      : 'apply';
  }
  if (signal.type === 'answer') {
    // Only an outstanding offer can take an answer; anything else is a late copy. So is the
    // answer we already applied, arriving while a newer offer of ours waits for its own.
    if (view.signalingState !== 'have-local-offer') return 'ignore';
    const applied =
      view.remoteDescription?.type === 'answer' &&
      typeof signal.sdp === 'string' &&
      sessionVersion(view.remoteDescription.sdp) === sessionVersion(signal.sdp);
    return applied ? 'ignore' : 'apply';
  }
  if (signal.type === 'offer' && typeof signal.sdp === 'string') {
    const remote = view.remoteDescription;
    const same =
      remote?.type === 'offer' && sessionVersion(remote.sdp) === sessionVersion(signal.sdp);
    if (!same) return 'apply';
    if (view.signalingState === 'stable' && view.localDescription?.type === 'answer') {
      return 'resend-answer';
    }
    return 'ignore'; // still answering the first copy
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
