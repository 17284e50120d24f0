import { MAX_FRAMES_PER_POST, MAX_POST_BYTES, type ClientMessage } from '@parley/protocol';
import { HttpSessionClient, type HttpMode } from './http-session-client.ts';

/**
 * An HTTP signalling client with a WebSocket client's surface (`TestClient`): `send` returns at
 * once and frames go out in order, coalesced into one POST while another is on its way, as the
 * web client sends them. Suites written against that surface (robustness/abuse.test.ts) run
 * over SSE and long-polling unchanged.
 */
export class QueuedHttpClient {
  private readonly queue: string[] = [];
  private pumping = false;
  /** Why the server stopped taking POSTs (a status), once it has. */
  refusedWith: number | undefined;

  private constructor(readonly http: HttpSessionClient) {}

  static async open(
    baseUrl: string,
    options: { mode: HttpMode; origin?: string },
  ): Promise<QueuedHttpClient> {
    return new QueuedHttpClient(await HttpSessionClient.open(baseUrl, options));
  }

  get messages() {
    return this.http.messages;
  }

  get closed(): Promise<{ code: number; reason: string }> {
    return this.http.closed;
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.sendRaw(JSON.stringify(message));
  }

  sendRaw(frame: string): void {
    this.queue.push(frame);
    if (!this.pumping) void this.pump();
  }

  readonly next: HttpSessionClient['next'] = (type, match) => this.http.next(type, match);
  readonly received: HttpSessionClient['received'] = (type) => this.http.received(type);

  async join(roomId: string, displayName = 'tester', resume?: { peerId: string; token: string }) {
    return this.http.join(roomId, displayName, resume);
  }

  /** As `TestClient.sync`: frames are applied in order and answered in order. */
  async sync(): Promise<void> {
    const t = Math.random();
    this.send({ type: 'ping', t });
    await this.next('pong', (m) => m.t === t);
  }

  stop(): void {
    this.http.stopReading();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length > 0 && this.refusedWith === undefined) {
      const batch = takeBatch(this.queue);
      try {
        await this.http.sendFrames(batch);
      } catch (error) {
        // The session is over (1009, slow consumer...): like frames sent on a closed socket,
        // the rest go nowhere; the close itself arrives on the reader.
        this.refusedWith = Number(/\d{3}/.exec(String(error))?.[0] ?? 0);
        this.queue.length = 0;
      }
    }
    this.pumping = false;
  }
}

/** Takes the next POST's frames off the queue: up to the frame count and, past one, the body cap. */
function takeBatch(queue: string[]): string[] {
  const batch = [queue.shift()!];
  let bytes = Buffer.byteLength(JSON.stringify(batch[0])) + 64;
  while (queue.length > 0 && batch.length < MAX_FRAMES_PER_POST) {
    const size = Buffer.byteLength(JSON.stringify(queue[0])) + 1;
    if (bytes + size > MAX_POST_BYTES) break;
    bytes += size;
    batch.push(queue.shift()!);
  }
  return batch;
}
