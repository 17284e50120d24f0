/**
 * The seam between the signalling hub and anything that reacts to room lifecycle (webhooks
 * today). The hub calls it synchronously at the moment a seat is taken or given up; the
 * listener must return at once and never throw into the hub (I/O happens elsewhere, later).
 * When webhooks are off the hub holds no listener, so the hot path pays one `?.` and nothing else.
 */
export type LeaveReason =
  /** The participant said goodbye (leave message, or the browser closed the page). */
  | 'left'
  /** The connection dropped and no resume came within the grace period. */
  | 'timeout'
  /** Another connection took the seat over for good (reserved for a takeover path; see docs). */
  | 'replaced';

export interface RoomLifecycleListener {
  /** A participant took a new seat (not a resume of a seat it still held). */
  joined(roomId: string, peerId: string, displayName: string): void;
  /** A participant's seat was released. */
  left(roomId: string, peerId: string, reason: LeaveReason): void;
}
