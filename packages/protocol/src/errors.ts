import * as v from 'valibot';

/** Every reason the server can refuse something. Clients switch on these, never on text. */
export const ERROR_CODES = [
  /** The frame was not JSON, not an object, or did not match any message schema. */
  'bad-message',
  /** The client speaks another protocol version; it must reload. */
  'unsupported-version',
  /** The room already holds its capacity. */
  'room-full',
  /** Too many messages on this connection. */
  'rate-limited',
  /** Too many joins from this address. */
  'join-rate-limited',
  /** The message needs a joined room (e.g. a signal before join). */
  'not-in-room',
  /** A second join on a connection that is already in a room. */
  'already-in-room',
  /** A signal addressed to someone who is not in the sender's room. */
  'unknown-peer',
  /** Too many ICE candidates to one peer without a new description. */
  'too-many-candidates',
  /** This address was given its TURN credentials for the hour; the old ones stay usable. */
  'turn-credentials-limited',
  /** Locking, unlocking and answering knocks are for participants of the call. */
  'not-allowed',
  /** The call is locked and someone inside said no. */
  'knock-denied',
  /** The call is locked and nobody answered in time. */
  'knock-timed-out',
  /** Too many knocks from this address, or on this call, at once. */
  'knock-rate-limited',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export const ErrorCodeSchema = v.picklist(ERROR_CODES);

/**
 * WebSocket close codes on the signalling connection, and the one a client sends. 1000-1012 are
 * RFC 6455's; 4002 is ours. A client reconnects after any of them except `replaced`; room-full
 * and unsupported-version are `error` messages on an open socket, never close codes.
 */
export const CLOSE_CODES = {
  /** The web client closes with this when it abandons a link it presumes dead: the seat is held. */
  normal: 1000,
  /**
   * From the server: it is going away. From a browser: its page went away (closed, reloaded,
   * navigated), so the server frees the seat at once instead of holding it for a resume.
   */
  goingAway: 1001,
  /** A frame that breaks RFC 6455 (unmasked, reserved opcode or bits, bad control frame); sent by `ws`. */
  protocolError: 1002,
  /** Never on the wire: what an endpoint reports when the connection ended without a close frame. */
  abnormal: 1006,
  /** A text frame that is not valid UTF-8; sent by `ws`. */
  invalidPayload: 1007,
  /** A frame over `MAX_FRAME_BYTES`; sent by `ws`. */
  messageTooBig: 1009,
  /** The server is restarting (graceful shutdown): reconnect with backoff and resume. */
  serviceRestart: 1012,
  /** The same participant resumed on a newer connection; this one must stop. */
  replaced: 4002,
} as const;
