import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookEvent } from './events.ts';
import { AwaitedCondition } from '../testing/awaited-condition.ts';

/**
 * A real HTTP webhook receiver on loopback for tests. Each request is recorded, then answered
 * by `answer` (default 204). Signatures are checked by the tests with the official verifier.
 */

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request was complete. */
  at: number;
  /** The status it was answered with, or undefined if the receiver never answered. */
  status: number | undefined;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Never answer (the sender times out). */
  hang?: boolean;
}

export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest, index: number) => Answer = () => ({ status: 204 });
  private readonly conditions = new AwaitedCondition();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<TestReceiver> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, () => resolve());
    });
    const receiver = new TestReceiver(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: ReceivedRequest = {
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
          status: undefined,
        };
        const answer = receiver.answer(request, receiver.requests.length);
        receiver.requests.push(request);
        if (!answer.hang) {
          request.status = answer.status;
          res.writeHead(answer.status, answer.headers);
          res.end();
        }
        receiver.conditions.recheck();
      });
    });
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Events acknowledged with a 2xx, in arrival order (duplicates included). */
  delivered(): WebhookEvent[] {
    return this.requests
      .filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300)
      .map((r) => JSON.parse(r.body) as WebhookEvent);
  }

  /** Resolves once `done()` holds, re-checked after every request. */
  until<T>(done: () => T | undefined | false): Promise<T> {
    return this.conditions.until(done);
  }

  /** Resolves once `count` events have been acknowledged. */
  deliveredCount(count: number): Promise<WebhookEvent[]> {
    return this.until(() => (this.delivered().length >= count ? this.delivered() : undefined));
  }

  /** Verifies a request with the official Standard Webhooks library; throws if it fails. */
  static verify(secret: string, request: ReceivedRequest): WebhookEvent {
    return new Webhook(secret).verify(
      request.body,
      request.headers as Record<string, string>,
    ) as WebhookEvent;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A fresh Standard Webhooks secret. */
export function testSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}
