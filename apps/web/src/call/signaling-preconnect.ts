import { decodeServerMessage, encodeMessage, type RoomPeekMessage } from '@parley/protocol';
import { SOCKET_OPEN, type SocketLike } from './signaling-client.ts';

/**
 * Server pings reach every connection at least this often (HEARTBEAT_INTERVAL_MS, 30 s by
 * default); a socket that has heard nothing for longer is presumed dead and not handed out.
 */
export const STALE_AFTER_MS = 45_000;

/**
 * The signalling WebSocket, opened while the user is still in the lobby, so that "Join call"
 * does not wait for the TCP and WebSocket handshakes (tens of milliseconds on loopback, a few
 * round trips on a real network). It sends nothing but `peek` (who is in the room, for the
 * lobby): the room learns of us only when the SignalingClient that takes it sends `join`. A socket that closed, or went quiet, is simply not
 * handed out, and the client opens its own as before.
 */
export class SignalingPreconnect {
  private socket: SocketLike | undefined;
  private lastHeardAt = 0;
  /**
   * Whether the server has sent anything on this socket. Only such a socket is handed over: an
   * inspecting proxy may accept the upgrade and then pass nothing (a false upgrade), and a join
   * sent on that would wait out the whole join timeout before falling back to HTTP.
   */
  private heard = false;
  private peekRoomId: string | undefined;
  /** Called with the server's answer to each `peek` (who is in the room). */
  onPeek: ((answer: RoomPeekMessage) => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly createSocket: (url: string) => SocketLike = (u) =>
      new WebSocket(u) as unknown as SocketLike,
    private readonly now: () => number = Date.now,
  ) {}

  /** Opens the connection unless one is already open or opening. */
  open(): void {
    if (this.socket && this.socket.readyState <= SOCKET_OPEN) return;
    const socket = this.createSocket(this.url);
    this.socket = socket;
    this.heard = false;
    this.lastHeardAt = this.now();
    socket.onopen = () => {
      this.lastHeardAt = this.now();
      this.sendPeek();
    };
    socket.onmessage = (event) => {
      this.lastHeardAt = this.now();
      this.heard = true;
      if (!this.onPeek || typeof event.data !== 'string') return;
      const decoded = decodeServerMessage(event.data);
      if (decoded.ok && decoded.message.type === 'room-peek') this.onPeek(decoded.message);
    };
    socket.onclose = () => {
      if (this.socket === socket) this.socket = undefined;
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
    if (this.peekRoomId && this.socket?.readyState === SOCKET_OPEN)
      this.socket.send(encodeMessage({ type: 'peek', roomId: this.peekRoomId }));
  }

  /** Hands the connection over (once), or undefined when there is none worth using. */
  take(): SocketLike | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return undefined;
    socket.onopen = socket.onmessage = socket.onclose = null;
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
}
