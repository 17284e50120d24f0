import type { SignalPayload } from '@parley/protocol';
import { TokenBucket } from './token-bucket.ts';

type TransceiverRequest = Extract<SignalPayload, { type: 'transceiverRequest' }>;

/** What the guard reads of the connection (a real RTCPeerConnection in the app). */
export interface TransceiverSource {
  getTransceivers(): ReadonlyArray<{
    mid: string | null;
    sender: { track: unknown };
    receiver: { track: { kind: string } };
  }>;
}

/**
 * Requests a peer may make in a burst, and per minute after it. A legitimate request comes once
 * per new track the polite side starts sending (a screen share and its audio: two).
 */
export const TRANSCEIVER_REQUEST_BURST = 4;
export const TRANSCEIVER_REQUESTS_PER_MINUTE = 6;
/** m-lines of one kind a connection may hold; each costs a port, an SDP section and CPU. */
export const MAX_TRANSCEIVERS_PER_KIND = 16;

/**
 * Decides whether the initiator honours a `transceiverRequest`. simple-peer adds a transceiver
 * for every one it receives (issue 14), so a peer could grow our connection without bound.
 * Ignored: a request for a kind while an earlier one is still unnegotiated (its transceiver has
 * no mid yet and no track of ours; the polite side's track will take that one), requests over the rate, and any past
 * the per-kind cap.
 */
export class TransceiverRequestGuard {
  private readonly bucket: TokenBucket;

  constructor(now: () => number = () => performance.now()) {
    this.bucket = new TokenBucket(
      TRANSCEIVER_REQUEST_BURST,
      TRANSCEIVER_REQUESTS_PER_MINUTE / 60,
      now,
    );
  }

  /** True to pass the signal on; false to ignore it. Signals of other types always pass. */
  allows(payload: SignalPayload, connection: TransceiverSource): boolean {
    if (payload.type !== 'transceiverRequest') return true;
    const { kind } = (payload as TransceiverRequest).transceiverRequest;
    const ofKind = connection.getTransceivers().filter((t) => t.receiver.track.kind === kind);
    // Added for an earlier request (no track of ours) and not negotiated yet: that one serves.
    if (ofKind.some((t) => t.mid === null && t.sender.track === null)) return false;
    if (ofKind.length >= MAX_TRANSCEIVERS_PER_KIND) return false;
    return this.bucket.take();
  }
}
