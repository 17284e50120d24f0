import { decodeServerMessage, type ClientMessage, type ServerMessage } from '@parley/protocol';
import type { ClientConnection } from '../hub/client-connection.ts';
import type { SignalingHub } from '../hub/signaling-hub.ts';
import type { ConnectionEnd, TransportLink } from '../hub/transport-link.ts';
import { joinMessage } from './join-message.ts';

/**
 * A client connected to a hub through an in-memory `TransportLink`: no socket, no event loop
 * hop, so hub tests run in microseconds and can use fake time. Every frame the hub sends is
 * decoded with the protocol's own schema, as the browser would.
 */
export class MemoryClient {
  readonly messages: ServerMessage[] = [];
  /** Set once the hub closed this link, e.g. with 4002 when a newer connection resumed. */
  closedWith: { code: number; reason: string } | undefined;
  /** Frames the hub sent as bytes (relayed signals), to check they are text a browser reads. */
  byteFrames = 0;
  readonly connection: ClientConnection;
  private readonly waiters: Array<{
    match: (m: ServerMessage) => boolean;
    resolve: (m: ServerMessage) => void;
  }> = [];
  private consumedUpTo = 0;

  constructor(hub: SignalingHub, ip = '198.51.100.7') {
    const link: TransportLink = {
      ip,
      send: (frame) => {
        if (typeof frame !== 'string') this.byteFrames++;
        const text = typeof frame === 'string' ? frame : new TextDecoder().decode(frame);
        const decoded = decodeServerMessage(text);
        if (!decoded.ok) throw new Error(`hub sent an invalid frame: ${decoded.message}: ${text}`);
        this.messages.push(decoded.message);
        this.flush();
      },
      close: (code, reason) => {
        this.closedWith = { code, reason };
      },
    };
    this.connection = hub.connect(link);
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.connection.handleFrame(JSON.stringify(message));
  }

  /** The transport saw the connection end. */
  end(how: ConnectionEnd = 'dropped'): void {
    this.connection.handleClose(how);
  }

  /** The next message not yet taken by an earlier `next()`, which must be of `type`. */
  next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiters.push({
        match: () => true,
        resolve: (m) =>
          m.type === type
            ? resolve(m as Extract<ServerMessage, { type: T }>)
            : reject(new Error(`wanted ${type}, got ${JSON.stringify(m)}`)),
      });
      this.flush();
    });
  }

  async join(roomId: string, displayName = 'tester', resume?: { peerId: string; token: string }) {
    this.send(joinMessage(roomId, displayName, resume));
    return this.next('joined');
  }

  /**
   * Round-trips a ping: replies are ordered, so once its pong is back every earlier reply has
   * been sent. Then nothing may be left unread: the way to assert that nothing else arrived.
   */
  async expectNothingElse(): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    const pong = await this.next('pong');
    if (pong.t !== t) throw new Error(`unexpected pong ${pong.t}`);
    const unread = this.messages.slice(this.consumedUpTo);
    if (unread.length > 0) throw new Error(`unread messages: ${JSON.stringify(unread)}`);
  }

  private flush(): void {
    while (this.waiters.length > 0 && this.consumedUpTo < this.messages.length) {
      const waiter = this.waiters.shift()!;
      waiter.resolve(this.messages[this.consumedUpTo++]!);
    }
  }
}
