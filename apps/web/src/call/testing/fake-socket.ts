import {
  CLOSE_CODES,
  decodeClientMessage,
  type ClientMessage,
  type ServerMessage,
} from '@parley/protocol';
import type { SocketLike } from '../signaling-client.ts';

/**
 * An in-memory stand-in for the browser WebSocket. The test plays the server: it opens or
 * fails each connection and sends frames; frames the client sends are decoded with the real
 * protocol schema, so the client can never send what the server would reject.
 */
export class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readonly sent: ClientMessage[] = [];
  closedByClient = false;
  readyState = 0;

  constructor(readonly url: string) {}

  send(data: string): void {
    const decoded = decodeClientMessage(data);
    if (!decoded.ok) throw new Error(`client sent an invalid frame: ${decoded.message}`);
    this.sent.push(decoded.message);
  }

  close(): void {
    this.closedByClient = true;
    this.readyState = 3;
  }

  // --- the test's side ---

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  receiveRaw(data: unknown): void {
    this.onmessage?.({ data });
  }

  drop(code: number = CLOSE_CODES.abnormal): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

export class FakeSocketFactory {
  readonly sockets: FakeSocket[] = [];
  readonly create = (url: string): FakeSocket => {
    const socket = new FakeSocket(url);
    this.sockets.push(socket);
    return socket;
  };

  get last(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}
