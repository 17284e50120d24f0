import { decodeServerMessage, encodeMessage, type RoomPeekMessage } from '@parley/protocol';
import { DEFAULT_STAGGER_MS } from './racing-socket.ts';
import { SOCKET_OPEN, type SocketLike } from './signaling-client.ts';

/**
 * Server pings reach every connection at least this often (HEARTBEAT_INTERVAL_MS, 30 s by
 * default); a socket that has heard nothing for longer is presumed dead and not handed out.
 */
export const STALE_AFTER_MS = 45_000;
/**
 * A peek unanswered this long means the WebSocket passes nothing (a false upgrade): the same
 * patience the transport race gives a WebSocket to answer its ping.
 */
export const SILENT_AFTER_MS = DEFAULT_STAGGER_MS;

/** What the lobby learnt about WebSocket on this network, before Join. */
export type WebSocketVerdict = 'works' | 'refused' | 'silent' | 'unknown';

/** What the lobby's connection is: the WebSocket, or the SSE session opened when it failed. */
export type PreconnectTransport = 'websocket' | 'sse';

/**
 * The signalling WebSocket, opened while the user is still in the lobby, so that "Join call"
 * does not wait for the TCP and WebSocket handshakes (tens of milliseconds on loopback, a few
 * round trips on a real network). It sends nothing but `peek` (who is in the room, for the
 * lobby): the room learns of us only when the SignalingClient that takes it sends `join`. A socket that closed, or went quiet, is simply not
 * handed out, and the client opens its own as before.
 *
 * Where the WebSocket is refused or silent, the lobby opens an SSE session instead (when given
 * `createFallback`), and that is what Join takes: otherwise the join would first spend three
 * requests (open the session, open the stream, send) before `joined`, where a WebSocket join
 * spends one.
 */
export class SignalingPreconnect {
  private socket: SocketLike | undefined;
  private socketTransport: PreconnectTransport = 'websocket';
  private lastHeardAt = 0;
  /**
   * Whether the server has sent anything on this socket. Only such a socket is handed over: an
   * inspecting proxy may accept the upgrade and then pass nothing (a false upgrade), and a join
   * sent on that would wait out the whole join timeout before falling back to HTTP.
   */
  private heard = false;
  /** When the first peek went out on this socket (a silent socket is only told by an unanswered question). */
  private askedAt: number | undefined;
  private verdictSoFar: WebSocketVerdict = 'unknown';
  private peekRoomId: string | undefined;
  /** Called with the server's answer to each `peek` (who is in the room). */
  onPeek: ((answer: RoomPeekMessage) => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly createSocket: (url: string) => SocketLike = (u) =>
      new WebSocket(u) as unknown as SocketLike,
    private readonly now: () => number = Date.now,
    /** An SSE session socket, opened instead once WebSocket was refused or went silent. */
    private readonly createFallback?: () => SocketLike,
  ) {}

  /** The kind of the connection `take` would hand over. */
  get transport(): PreconnectTransport {
    return this.socketTransport;
  }

  /** Opens the connection unless one is already open or opening. */
  open(): void {
    const verdict = this.verdict();
    const fallback =
      verdict === 'refused' || verdict === 'silent' ? this.createFallback : undefined;
    // A silent WebSocket is open but passes nothing: it gives way to the fallback.
    if (fallback && this.socketTransport === 'websocket' && verdict === 'silent') {
      this.verdictSoFar = 'silent'; // remembered: the socket that showed it goes
      this.detach()?.close();
    }
    if (this.socket && this.socket.readyState <= SOCKET_OPEN) return;
    const socket = fallback ? fallback() : this.createSocket(this.url);
    this.socketTransport = fallback ? 'sse' : 'websocket';
    const transport = this.socketTransport;
    this.socket = socket;
    this.heard = false;
    this.askedAt = undefined;
    this.lastHeardAt = this.now();
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.lastHeardAt = this.now();
      this.sendPeek();
    };
    socket.onmessage = (event) => {
      this.lastHeardAt = this.now();
      this.heard = true;
      if (transport === 'websocket') this.verdictSoFar = 'works';
      if (!this.onPeek || typeof event.data !== 'string') return;
      const decoded = decodeServerMessage(event.data);
      if (decoded.ok && decoded.message.type === 'room-peek') this.onPeek(decoded.message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (transport !== 'websocket') return;
      // Closed before it ever opened: blocked (a proxy's 403), or the server is down. The
      // fallback opens at once, so that Join finds it ready.
      if (!opened && this.verdictSoFar !== 'works') {
        this.verdictSoFar = 'refused';
        if (this.createFallback) this.open();
      }
    };
    socket.onerror = null;
  }

  /**
   * Asks who is in `roomId` now (and again on each call, e.g. every few seconds). A `peek`
   * joins nothing: the room still learns of us only on `join`.
   */
  peek(roomId: string): void {
    this.peekRoomId = roomId;
    this.sendPeek();
  }

  private sendPeek(): void {
    if (this.peekRoomId && this.socket?.readyState === SOCKET_OPEN) {
      this.socket.send(encodeMessage({ type: 'peek', roomId: this.peekRoomId }));
      this.askedAt ??= this.now();
    }
  }

  /**
   * Whether WebSocket got through here, as far as the lobby saw: `refused` when its socket
   * closed before opening, `silent` when a peek went unanswered for SILENT_AFTER_MS. The call
   * then tries the HTTP transports first, rather than spend the race's patience on a WebSocket
   * the lobby already saw fail.
   */
  verdict(): WebSocketVerdict {
    if (
      this.socketTransport === 'websocket' &&
      !this.heard &&
      this.socket?.readyState === SOCKET_OPEN &&
      this.askedAt !== undefined &&
      this.now() - this.askedAt >= SILENT_AFTER_MS
    )
      return 'silent';
    return this.verdictSoFar;
  }

  /** Hands the connection over (once), or undefined when there is none worth using. */
  take(): SocketLike | undefined {
    const socket = this.detach();
    if (!socket) return undefined;
    if (
      !this.heard ||
      socket.readyState > SOCKET_OPEN ||
      this.now() - this.lastHeardAt > STALE_AFTER_MS
    ) {
      socket.close();
      return undefined;
    }
    return socket;
  }

  close(): void {
    this.take()?.close();
  }

  /** Lets go of the connection, its handlers removed (the taker installs its own). */
  private detach(): SocketLike | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) socket.onopen = socket.onmessage = socket.onclose = null;
    return socket;
  }
}
