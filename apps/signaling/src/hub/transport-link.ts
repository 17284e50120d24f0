/**
 * The seam between the hub and whatever carries a client's frames. The hub never sees a
 * socket: a transport (WebSocket today; SSE or long-polling could follow) hands it one
 * `TransportLink` per client connection and gets back a `ClientConnection` to feed.
 *
 *   transport ──frames──▶ ClientConnection.handleFrame / handleBinary / handleClose
 *   transport ◀──send / close── TransportLink
 */
export interface TransportLink {
  /** A text frame: a string, or its UTF-8 bytes (relayed signals, copied from the sender's). */
  send(frame: string | Uint8Array): void;
  /** Ends the connection with a close code from `CLOSE_CODES`. */
  close(code: number, reason: string): void;
  /** The client address, for per-address join limits. */
  readonly ip: string;
}

/** How a connection ended, as far as the participant's seat is concerned. */
export type ConnectionEnd =
  /** No close frame, or any code but the client's own 1001: the seat is held for a resume. */
  | 'dropped'
  /** The client said its page went away (its own 1001): the seat is freed at once. */
  | 'going-away';
