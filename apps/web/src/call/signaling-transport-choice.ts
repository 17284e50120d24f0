import { HttpSessionSocket } from './http-session-socket.ts';
import { RacingSocket, TRANSPORTS, type SignalingTransport } from './racing-socket.ts';
import type { SocketLike } from './signaling-client.ts';

/** Where the transport that worked last is remembered (localStorage is per origin already). */
export const TRANSPORT_MEMORY_KEY = 'parley.signalingTransport';
/** A remembered choice this old is tried like any other: the network may have changed. */
const MEMORY_TTL_MS = 7 * 24 * 3600_000;

type Memory = Pick<Storage, 'getItem' | 'setItem'>;

/** The transports in the order to try them: the one that worked here last time first. */
export function transportOrder(memory: Memory | undefined, now = Date.now()): SignalingTransport[] {
  const remembered = rememberedTransport(memory, now);
  return remembered ? [remembered, ...TRANSPORTS.filter((t) => t !== remembered)] : [...TRANSPORTS];
}

function rememberedTransport(
  memory: Memory | undefined,
  now = Date.now(),
): SignalingTransport | undefined {
  try {
    const saved = JSON.parse(memory?.getItem(TRANSPORT_MEMORY_KEY) ?? 'null') as unknown;
    if (
      typeof saved === 'object' &&
      saved !== null &&
      TRANSPORTS.includes((saved as { transport: SignalingTransport }).transport) &&
      now - Number((saved as { at: unknown }).at) < MEMORY_TTL_MS
    )
      return (saved as { transport: SignalingTransport }).transport;
  } catch {
    // Unreadable or blocked storage: nothing remembered.
  }
  return undefined;
}

/** `order` with WebSocket moved to the end. */
export function webSocketLast(order: readonly SignalingTransport[]): SignalingTransport[] {
  return moveToEnd(order, ['websocket']);
}

/** `order` with `last` moved to the end, each group keeping its order. */
function moveToEnd(
  order: readonly SignalingTransport[],
  last: Iterable<SignalingTransport>,
): SignalingTransport[] {
  const set = new Set(last);
  return [...order.filter((t) => !set.has(t)), ...order.filter((t) => set.has(t))];
}

/** Forgets `transport` if it is the one remembered. */
function forgetTransport(memory: Memory | undefined, transport: SignalingTransport): void {
  if (rememberedTransport(memory) !== transport) return;
  try {
    memory?.setItem(TRANSPORT_MEMORY_KEY, 'null');
  } catch {
    // Blocked storage: nothing was remembered there either.
  }
}

export function rememberTransport(memory: Memory | undefined, transport: SignalingTransport): void {
  try {
    memory?.setItem(TRANSPORT_MEMORY_KEY, JSON.stringify({ transport, at: Date.now() }));
  } catch {
    // Storage full or blocked (private mode): choosing again next time is fine.
  }
}

export interface TransportChoiceOptions {
  /** The page's location: the WebSocket URL and the HTTP sessions' origin derive from it. */
  location: { protocol: string; host: string };
  memory?: Memory | undefined;
  /** Told the transport of each new connection, e.g. for the call's connection details. */
  onTransport?: (transport: SignalingTransport) => void;
  staggerMs?: number;
  /**
   * Try WebSocket last: the lobby already saw it refused or silent on this network (see
   * SignalingPreconnect.verdict), so the race starts with HTTP streaming instead of spending
   * a refusal, or the whole stagger, on it again.
   */
  webSocketLast?: boolean;
  createWebSocket?: (url: string) => SocketLike;
  fetch?: typeof fetch;
}

/** One connection of `transport` to the page's server (for the race, and for the /test page). */
export function transportSocketFactory(
  options: Pick<TransportChoiceOptions, 'location' | 'createWebSocket' | 'fetch'>,
): (transport: SignalingTransport) => HttpSessionSocket | SocketLike {
  const { location } = options;
  const secure = location.protocol === 'https:';
  const wsUrl = `${secure ? 'wss' : 'ws'}://${location.host}/ws`;
  const baseUrl = `${secure ? 'https' : 'http'}://${location.host}`;
  const createWebSocket =
    options.createWebSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  return (transport) =>
    transport === 'websocket'
      ? createWebSocket(wsUrl)
      : new HttpSessionSocket({
          baseUrl,
          kind: transport,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
}

/**
 * The SignalingClient's `createSocket`: each connection (the first and every reconnect) races
 * the transports, best or last-known-good first, and remembers the winner.
 */
export function transportChoosingSocketFactory(options: TransportChoiceOptions): () => SocketLike {
  const create = transportSocketFactory(options);
  // Long-polling that opened and then never brought a frame: tried last from then on, in this
  // call, until it has worked again.
  const setAside = new Set<SignalingTransport>();
  return () => {
    const order = transportOrder(options.memory);
    return new RacingSocket({
      order: moveToEnd(options.webSocketLast ? webSocketLast(order) : order, setAside),
      ...(options.staggerMs !== undefined ? { staggerMs: options.staggerMs } : {}),
      create,
      onWinner: (transport) => {
        setAside.delete(transport);
        rememberTransport(options.memory, transport);
        options.onTransport?.(transport);
      },
      onUnproven: (transport) => {
        setAside.add(transport);
        forgetTransport(options.memory, transport);
      },
    });
  };
}
