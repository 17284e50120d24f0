import { decodeServerMessage, encodeMessage } from '@parley/protocol';
import { DEFAULT_STREAM_START_TIMEOUT_MS } from './http-session-socket.ts';
import { DEFAULT_STAGGER_MS, TRANSPORTS, type SignalingTransport } from './racing-socket.ts';
import type { SocketLike } from './signaling-client.ts';

/**
 * The /test page's signalling rows: does each transport get through from here? Each probe
 * opens one connection of its kind, sends a `ping` and waits for the `pong`. It joins no room
 * (the server answers a ping before any join), is bounded by PROBE_DEADLINE_MS, and closes what
 * it opened whatever the outcome. Results are plain data, for the page and for tests.
 */

/** Why a transport did not get through, for the page (and tests) to tell the cases apart. */
export type TransportFailure =
  /** Ended before it opened: blocked on the way, or the server said no. */
  | 'refused'
  /** A WebSocket that opened and then passed nothing (a false upgrade), or a session that never answered. */
  | 'silent'
  /** SSE only: the stream opened but its first bytes never came, as a buffering proxy does. */
  | 'buffered'
  /** Still not open at the deadline: the handshake hung. */
  | 'no-answer'
  /** Opened, then closed before answering. */
  | 'closed';

export interface TransportProbeResult {
  id: SignalingTransport;
  status: 'ok' | 'failed';
  reason?: TransportFailure;
  /** From the ping sent to its pong arriving. */
  roundTripMs?: number;
  /** From the start to the connection being open (for SSE: the stream's first bytes). */
  openMs?: number;
  detail: string;
}

/** A probe's socket; an HTTP session's says why it failed before opening (see HttpSessionSocket). */
export type ProbeSocket = SocketLike & { failure?: 'starved' | 'refused' | undefined };

/**
 * The longest one probe runs. Longer than an SSE stream's start timeout, so a buffered stream
 * is told apart from one that answers slowly; short enough that the page never seems stuck.
 */
export const PROBE_DEADLINE_MS = DEFAULT_STREAM_START_TIMEOUT_MS + 4000;

export interface ProbeOptions {
  deadlineMs?: number;
  now?: () => number;
}

/** Opens one connection of `transport` with `create`, pings through it, closes it. */
export function probeTransport(
  transport: SignalingTransport,
  create: (transport: SignalingTransport) => ProbeSocket,
  options: ProbeOptions = {},
): Promise<TransportProbeResult> {
  const now = options.now ?? (() => performance.now());
  const deadlineMs = options.deadlineMs ?? PROBE_DEADLINE_MS;
  const started = now();
  const probe = Math.random();
  return new Promise((resolve) => {
    let socket: ProbeSocket | undefined;
    let openMs: number | undefined;
    let pingedAt = 0;
    let settled = false;
    const settle = (outcome: Omit<TransportProbeResult, 'id' | 'detail'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (socket) closeQuietly(socket);
      const result = { id: transport, ...outcome };
      if (openMs !== undefined) result.openMs = openMs;
      resolve({ ...result, detail: describeProbe(result, deadlineMs) });
    };
    const timer = setTimeout(
      () => settle({ status: 'failed', reason: openMs === undefined ? 'no-answer' : 'silent' }),
      deadlineMs,
    );
    try {
      socket = create(transport);
    } catch {
      return settle({ status: 'failed', reason: 'refused' });
    }
    const opened = socket;
    opened.onopen = () => {
      if (openMs !== undefined) return;
      openMs = Math.round(now() - started);
      pingedAt = now();
      opened.send(encodeMessage({ type: 'ping', t: probe }));
    };
    opened.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      const decoded = decodeServerMessage(event.data);
      if (decoded.ok && decoded.message.type === 'pong' && decoded.message.t === probe)
        settle({ status: 'ok', roundTripMs: Math.round(now() - pingedAt) });
    };
    opened.onclose = () => {
      if (openMs !== undefined) return settle({ status: 'failed', reason: 'closed' });
      settle({ status: 'failed', reason: opened.failure === 'starved' ? 'buffered' : 'refused' });
    };
    opened.onerror = null;
    if (opened.readyState === 1) opened.onopen({});
  });
}

/** Probes every transport at once; each result is reported as it comes. */
export async function probeTransports(
  create: (transport: SignalingTransport) => ProbeSocket,
  onResult: (result: TransportProbeResult) => void,
  options: ProbeOptions = {},
): Promise<TransportProbeResult[]> {
  return Promise.all(
    TRANSPORTS.map(async (transport) => {
      const result = await probeTransport(transport, create, options);
      onResult(result);
      return result;
    }),
  );
}

const NAMES: Record<SignalingTransport, string> = {
  websocket: 'WebSocket',
  sse: 'HTTP streaming',
  'long-poll': 'Long-polling',
};

/** Words for one probe's outcome; failures say who can do what about them. */
export function describeProbe(
  result: Omit<TransportProbeResult, 'detail'>,
  deadlineMs = PROBE_DEADLINE_MS,
): string {
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const name = NAMES[result.id];
  if (result.status === 'ok')
    return `The server answered in ${result.roundTripMs ?? '?'} ms (round trip).`;
  switch (result.reason) {
    case 'buffered':
      return `The stream was accepted, but nothing came through it within ${seconds(DEFAULT_STREAM_START_TIMEOUT_MS)}: something on the way (a proxy, or an antivirus web shield) holds streaming responses until they end. Calls use long-polling instead. Admin: if it is the server’s own reverse proxy, turn response buffering off for /signal/stream (nginx: proxy_buffering off; Caddy: flush_interval -1).`;
    case 'silent':
      return result.id === 'websocket'
        ? `The connection opened, but nothing came back within ${seconds(deadlineMs)}. Something on the way accepted the WebSocket and passes nothing (a “false upgrade”, typical of TLS-inspecting proxies and antivirus web shields). Calls wait ${seconds(DEFAULT_STAGGER_MS)} for it, then use HTTP streaming.`
        : `The session opened, but the server did not answer within ${seconds(deadlineMs)}. The server may be overloaded, or something on the way holds its answers.`;
    case 'no-answer':
      return `No answer within ${seconds(deadlineMs)}: the connection never opened. A firewall may drop it, or the server is down.`;
    case 'closed':
      return `${name} opened, then closed before the server answered. A proxy may cut such connections, or the server is restarting; try again.`;
    default:
      return result.id === 'websocket'
        ? 'Refused before it opened. A proxy or firewall on this network blocks WebSocket, or the server’s reverse proxy does not pass WebSocket upgrades on /ws (admin: see the self-hosting guide). Calls use HTTP streaming instead.'
        : `Refused: the server did not open an HTTP session. If WebSocket fails too, the server is unreachable from here or its reverse proxy does not pass /signal/ (admin: see the self-hosting guide).`;
  }
}

/** The sentence under the signalling rows: can calls be set up from here, and how? */
export function summarizeTransports(
  results: Partial<Record<SignalingTransport, TransportProbeResult>>,
): string {
  const works = (id: SignalingTransport) => results[id]?.status === 'ok';
  if (works('websocket')) return 'Calls connect to the server over WebSocket, the fastest way.';
  if (works('sse'))
    return 'WebSocket does not get through from here, but HTTP streaming does: calls still connect, and the call itself is not slower.';
  if (works('long-poll'))
    return 'Only long-polling gets through from here: calls still connect, but joining and call controls react a little slower.';
  return 'No way to reach the signalling server gets through from here, so calls cannot start. Show this page to the server’s admin, or try another network.';
}

function closeQuietly(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
  try {
    socket.close();
  } catch {
    // A socket still connecting may throw on close in some browsers; it is dropped either way.
  }
}
