import {
  PROTOCOL_VERSION,
  type ClientMessage,
  type JoinMessage,
  type ServerMessage,
} from '@parley/protocol';
import { backoffDelay } from '../../apps/web/src/call/backoff.ts';

/**
 * The frames of the bench's load client (lib/load-socket.ts, used by
 * bench/signaling/load-client.ts and bench/load/churn-clients.ts), typed by @parley/protocol,
 * and the web client's own reconnect schedule. One place, so that a protocol change breaks the
 * benches at compile time instead of leaving them sending what the server now refuses.
 *
 * Frames are built and read without valibot: these processes generate load, and validating
 * every relayed frame would make the clients, not the server, the bottleneck being measured.
 * The server under test validates what they send; what it sends back is trusted to match its
 * own types.
 */

/** Serialises one client message; the type keeps it to what the protocol allows. */
export function encodeClient(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** The `join` frame: a new participant, or `resume` the one this socket was before. */
export function joinFrame(
  roomId: string,
  displayName: string,
  resume?: { peerId: string; token: string },
): string {
  const join: JoinMessage = { type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName };
  return encodeClient(resume ? { ...join, resume } : join);
}

/** An application-level ping: the server answers `pong` after everything sent before it. */
export function pingFrame(t = 0): string {
  return encodeClient({ type: 'ping', t });
}

/** Reads a server frame; undefined when it is not JSON (counted as an error by the callers). */
export function readServerFrame(text: string): ServerMessage | undefined {
  try {
    return JSON.parse(text) as ServerMessage;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before reconnect attempt `attempt` (0-based): the web client's jittered
 * exponential backoff (apps/web/src/call/backoff.ts), so the load looks like real clients.
 */
export function reconnectDelay(attempt: number): number {
  return backoffDelay(attempt);
}
