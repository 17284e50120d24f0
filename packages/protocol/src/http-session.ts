import * as v from 'valibot';
import { MAX_FRAME_BYTES } from './limits.ts';

/**
 * The HTTP signalling transports, for networks that break WebSocket upgrades: one session
 * carries the very same protocol frames as a WebSocket would, over
 *   - Server-Sent Events (server → client) plus POST (client → server), or
 *   - long-polling GETs (server → client) plus the same POSTs.
 *
 * Every frame is numbered in both directions and acknowledged, so a retried or reordered POST
 * is applied once and in order, and a reconnecting stream resumes where it left off.
 * See docs/protocol.md, "HTTP transports".
 */

export const HTTP_SESSION_PATHS = {
  /** POST `{}`: opens a session, answered 201 with `SessionOpened`. */
  open: '/signal/session',
  /** GET: `text/event-stream`; `id:` is the frame's sequence number, resume with `Last-Event-ID`. */
  stream: '/signal/stream',
  /** GET `?after=<seq>`: the frames after `seq` as a `PollResult`, waiting for some if none yet. */
  poll: '/signal/poll',
  /** POST a `SendEnvelope`, answered with a `SendAck`. */
  send: '/signal/send',
  /** POST a `SessionCloseRequest`: ends the session (code 1001: the page went away). */
  close: '/signal/close',
} as const;

/**
 * The session token goes in this header, never in the URL (URLs end up in logs). A cross-site
 * page cannot set it without a CORS preflight, which the server never grants.
 */
export const SESSION_TOKEN_HEADER = 'x-parley-session';

/** Frames one POST may carry. */
export const MAX_FRAMES_PER_POST = 32;

/**
 * Largest POST body. Each frame inside is held to `MAX_FRAME_BYTES` like a WebSocket frame; the
 * body gets room for one frame of that size with its JSON string escaping (an SDP's CRLFs
 * double in size) plus the envelope.
 */
export const MAX_POST_BYTES = 2 * MAX_FRAME_BYTES + 1024;

/** The SSE event that ends a stream for good; its data is a `SessionClosed`. */
export const SSE_CLOSE_EVENT = 'close';

const seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const SessionOpenRequestSchema = v.strictObject({});

export const SessionOpenedSchema = v.strictObject({
  token: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{32,64}$/)),
  /** SSE heartbeat comments come at least this often. */
  heartbeatMs: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** A long-poll with nothing to deliver is answered empty after this long. */
  pollWaitMs: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** With no request from the client for this long, the session ends (the seat is held). */
  idleTimeoutMs: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
export type SessionOpened = v.InferOutput<typeof SessionOpenedSchema>;

/**
 * Client → server. `frames[i]` has sequence number `seq + i` (the first frame of a session is 1);
 * frames already applied are skipped, later ones wait for the gap to fill. `ack` is the last
 * server frame received, which frees the server's buffer; an SSE client acks at least once per
 * heartbeat, which also tells the server it is still there.
 */
export const SendEnvelopeSchema = v.strictObject({
  seq: v.pipe(seq, v.minValue(1)),
  ack: seq,
  frames: v.pipe(v.array(v.string()), v.maxLength(MAX_FRAMES_PER_POST)),
});
export type SendEnvelope = v.InferOutput<typeof SendEnvelopeSchema>;

/** The last client frame applied: everything up to it need not be sent again. */
export const SendAckSchema = v.strictObject({ ack: seq });
export type SendAck = v.InferOutput<typeof SendAckSchema>;

/** How a session ended, from the server (the WebSocket close codes, `CLOSE_CODES`). */
export const SessionClosedSchema = v.strictObject({
  code: v.pipe(v.number(), v.integer(), v.minValue(1000), v.maxValue(4999)),
  reason: v.pipe(v.string(), v.maxLength(123)),
});
export type SessionClosed = v.InferOutput<typeof SessionClosedSchema>;

/** From the client: 1001 says its page went away (its seat is freed at once), 1000 holds it. */
export const SessionCloseRequestSchema = v.strictObject({
  code: v.picklist([1000, 1001]),
});
export type SessionCloseRequest = v.InferOutput<typeof SessionCloseRequestSchema>;

export const PollResultSchema = v.strictObject({
  frames: v.array(v.strictObject({ seq: v.pipe(seq, v.minValue(1)), frame: v.string() })),
  /** Present once the server ended the session: nothing follows. */
  closed: v.optional(SessionClosedSchema),
});
export type PollResult = v.InferOutput<typeof PollResultSchema>;

/** Parses a JSON body against one of the schemas above. Never throws. */
export function parseHttpSessionBody<T>(
  schema: v.GenericSchema<unknown, T>,
  text: string,
): { ok: true; value: T } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'body is not valid JSON' };
  }
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  return { ok: false, message: (path ? `${path}: ${issue.message}` : issue.message).slice(0, 200) };
}
