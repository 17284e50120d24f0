import { SOCKET_OPEN, type SocketLike } from './signaling-client.ts';

/**
 * Server pings reach every connection at least this often (HEARTBEAT_INTERVAL_MS, 30 s by
 * default); a socket that has heard nothing for longer is presumed dead and not handed out.
 */
export const STALE_AFTER_MS = 45_000;

/**
 * The signalling WebSocket, opened while the user is still in the lobby, so that "Join call"
 * does not wait for the TCP and WebSocket handshakes (tens of milliseconds on loopback, a few
 * round trips on a real network). It sends nothing: the room learns of us only when the
 * SignalingClient that takes it sends `join`. A socket that closed, or went quiet, is simply not
 * handed out, and the client opens its own as before.
 */
export class SignalingPreconnect {
  private socket: SocketLike | undefined;
  private lastHeardAt = 0;

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
    this.lastHeardAt = this.now();
    socket.onopen = socket.onmessage = () => {
      this.lastHeardAt = this.now();
    };
    socket.onclose = () => {
      if (this.socket === socket) this.socket = undefined;
    };
    socket.onerror = null;
  }

  /** Hands the connection over (once), or undefined when there is none worth using. */
  take(): SocketLike | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return undefined;
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (socket.readyState > SOCKET_OPEN || this.now() - this.lastHeardAt > STALE_AFTER_MS) {
      socket.close();
      return undefined;
    }
    return socket;
  }

  close(): void {
    this.take()?.close();
  }
}
