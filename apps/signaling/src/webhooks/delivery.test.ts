import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookEvent } from './events.ts';
import { startWebhooks, type Webhooks } from './start-webhooks.ts';
import { LogCapture } from './test-logs.ts';
import { TestReceiver, testSecret } from './test-receiver.ts';
import type { WebhookConfig } from './webhook-config.ts';

/**
 * The delivery pipeline in-process (timeline → file outbox → dispatchers) against real HTTP
 * receivers on loopback. The hub is replaced by direct lifecycle calls; server-webhooks.test.ts
 * drives a real server process instead.
 */

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(): Promise<TestReceiver> {
  const r = await TestReceiver.start();
  cleanups.push(() => r.close());
  return r;
}

async function start(
  urls: string[],
  overrides: Partial<WebhookConfig> = {},
  extra: Partial<Parameters<typeof startWebhooks>[1]> = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-webhooks-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const logs = new LogCapture();
  const secret = testSecret();
  const config: WebhookConfig = {
    urls: urls.map((u) => new URL(u)),
    secrets: [secret],
    retryScheduleSeconds: [0, 0, 0],
    allowPrivate: true,
    timeoutMs: 15_000,
    outboxDir: dir,
    ...overrides,
  };
  const registry = new Registry();
  const webhooks = (await startWebhooks(config, {
    logger: logs.logger,
    resumeGraceMs: 60_000,
    registry,
    ...extra,
  })) as Webhooks;
  cleanups.push(() => webhooks.close());
  return { webhooks, logs, secret, registry, config };
}

const ids = (events: WebhookEvent[]) => events.map((e) => e.id);

describe('webhooks off', () => {
  it('creates nothing when WEBHOOK_URLS is unset: no outbox, no metrics, no listener for the hub', async () => {
    const registry = new Registry();
    const logs = new LogCapture();
    const off = await startWebhooks(undefined, { logger: logs.logger, resumeGraceMs: 0, registry });
    expect(off).toBeUndefined();
    expect(await registry.getMetricsAsJSON()).toEqual([]);
    expect(logs.lines).toEqual([]);
  });
});

describe('webhook delivery', () => {
  it('signs every delivery with each secret, verified by the official Standard Webhooks library', async () => {
    const r = await receiver();
    const [oldSecret, newSecret] = [testSecret(), testSecret()];
    const { webhooks } = await start([r.url()], { secrets: [oldSecret, newSecret] });
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    await r.deliveredCount(2);
    for (const request of r.requests) {
      // A receiver holding either secret (mid-rotation) accepts it.
      const viaOld = TestReceiver.verify(oldSecret, request);
      const viaNew = TestReceiver.verify(newSecret, request);
      expect(viaNew).toEqual(viaOld);
      expect(request.headers['webhook-id']).toBe(viaOld.id);
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(() => TestReceiver.verify(testSecret(), request)).toThrow(/No matching signature/);
    }
    const [started, joined] = r.delivered();
    expect(started).toMatchObject({
      type: 'room.started',
      data: {
        roomId: 'room-1',
        sequence: 1,
        participant: { id: 'peer-a', name: 'Ada' },
        participantCount: 1,
      },
    });
    expect(joined).toMatchObject({ type: 'participant.joined', data: { sequence: 2 } });
    expect(joined!.data.roomSessionId).toBe(started!.data.roomSessionId);
    expect(new Date(started!.timestamp).toISOString()).toBe(started!.timestamp);
  });

  it('retries after 500s with the same id, then stops once a 2xx arrives', async () => {
    const r = await receiver();
    r.answer = (_req, i) => ({ status: i < 2 ? 500 : 200 });
    const { webhooks, logs, secret } = await start([r.url()], {
      retryScheduleSeconds: [0, 0.05, 0.05, 0.05],
    });
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    const [started, joined] = await r.deliveredCount(2);
    // The receiver may see the 2xx before the sender has logged it.
    await logs.next('webhook delivered', { eventId: joined!.id });
    expect(r.requests.slice(0, 3).map((q) => TestReceiver.verify(secret, q).id)).toEqual([
      started!.id,
      started!.id,
      started!.id,
    ]);
    const attempts = logs.matching(/^webhook (attempt failed|delivered)$/, {
      eventId: started!.id,
    });
    expect(attempts.map((l) => [l.attempt, l.status, l.outcome])).toEqual([
      [1, 500, 'failed'],
      [2, 500, 'failed'],
      [3, 200, 'delivered'],
    ]);
    expect(webhooks.outbox.depth()).toBe(0);
  });

  it('retries after a timeout', async () => {
    const r = await receiver();
    r.answer = (_req, i) => (i === 0 ? { status: 200, hang: true } : { status: 200 });
    const { webhooks, logs } = await start([r.url()], { timeoutMs: 200 });
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    const [started] = await r.deliveredCount(1);
    expect(r.requests[0]!.status).toBeUndefined(); // the first was never answered
    const failed = logs.matching('webhook attempt failed', { eventId: started!.id });
    expect(failed.map((l) => [l.attempt, l.error])).toEqual([[1, 'timed out after 200 ms']]);
  });

  it('honours Retry-After, for the whole endpoint', async () => {
    const r = await receiver();
    r.answer = (_req, i) =>
      i === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 204 };
    const { webhooks, logs } = await start([r.url()], { retryScheduleSeconds: [0, 0, 0] });
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    await r.deliveredCount(2);
    const [first, second] = r.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
    expect(logs.matching('webhook attempt failed')[0]).toMatchObject({
      status: 503,
      retryAfterMs: 1000,
    });
  });

  it('keeps per-room order: a room waits for its failing event while other rooms go ahead', async () => {
    const r = await receiver();
    let failuresLeft = 3;
    r.answer = (req) => {
      const event = JSON.parse(req.body) as WebhookEvent;
      if (event.data.roomId === 'slow' && failuresLeft > 0) {
        failuresLeft -= 1;
        return { status: 500 };
      }
      return { status: 204 };
    };
    const { webhooks } = await start([r.url()], { retryScheduleSeconds: [0, 0.1, 0.1, 0.1] });
    webhooks.lifecycle.joined('slow', 'a', 'A');
    webhooks.lifecycle.joined('slow', 'b', 'B');
    webhooks.lifecycle.left('slow', 'b', 'left');
    webhooks.lifecycle.joined('fast', 'c', 'C');
    const delivered = await r.deliveredCount(6);
    const slow = delivered.filter((e) => e.data.roomId === 'slow').map((e) => e.data.sequence);
    expect(slow).toEqual([1, 2, 3, 4]);
    // The other room did not wait for the retries.
    const firstSlow = delivered.findIndex((e) => e.data.roomId === 'slow');
    expect(delivered.findIndex((e) => e.data.roomId === 'fast')).toBeLessThan(firstSlow);
  });

  it('410 Gone disables the endpoint with a log line; other endpoints carry on', async () => {
    const gone = await receiver();
    gone.answer = () => ({ status: 410 });
    const healthy = await receiver();
    const { webhooks, logs } = await start([gone.url(), healthy.url()]);
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    const disabled = await logs.next(/^webhook endpoint DISABLED/);
    expect(disabled).toMatchObject({
      endpoint: gone.url(),
      reason: 'the receiver answered 410 Gone',
    });
    await healthy.deliveredCount(2);

    webhooks.lifecycle.joined('room-2', 'peer-b', 'Bo');
    const [, , next] = await healthy.deliveredCount(3);
    // An attempt starts in the same tick as the event is handed to every endpoint.
    expect(
      logs.matching('webhook attempt starting', { eventId: next!.id }).map((l) => l.endpoint),
    ).toEqual([healthy.url()]);
    expect(gone.requests).toHaveLength(1);
    // Not lost: still in the outbox for the disabled endpoint, retried after a restart.
    expect(webhooks.outbox.depth()).toBeGreaterThanOrEqual(3);
  });

  it('never follows a redirect: a 302 is a failed attempt', async () => {
    const r = await receiver();
    r.answer = (_req, i) =>
      i === 0 ? { status: 302, headers: { location: r.url('/redirected') } } : { status: 204 };
    const { webhooks, logs } = await start([r.url()]);
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    await r.deliveredCount(2);
    expect(r.requests.map((q) => q.path)).not.toContain('/redirected');
    expect(logs.matching('webhook attempt failed')[0]).toMatchObject({
      status: 302,
      error: 'redirect not followed',
      attempt: 1,
    });
  });

  it('disables the endpoint once the schedule is exhausted', async () => {
    const r = await receiver();
    r.answer = () => ({ status: 500 });
    const { webhooks, logs } = await start([r.url()], { retryScheduleSeconds: [0, 0.05] });
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    const disabled = await logs.next(/^webhook endpoint DISABLED/);
    expect(r.requests).toHaveLength(2);
    expect(disabled.reason).toMatch(/^2 attempts at event evt_\S+ all failed$/);
    expect(disabled.level).toBe(50); // error
  });

  it('refuses private addresses unless WEBHOOK_ALLOW_PRIVATE, and says so at start', async () => {
    const r = await receiver();
    const { webhooks, logs } = await start([r.url()], {
      allowPrivate: false,
      retryScheduleSeconds: [0],
    });
    const refused = await logs.next(/^webhook endpoint REFUSED/);
    expect(refused.reason).toMatch(/127\.0\.0\.1 \(loopback\)/);
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    const attempt = await logs.next('webhook attempt failed');
    expect(attempt).toMatchObject({ outcome: 'refused' });
    expect(r.requests).toHaveLength(0);
  });

  it('connects to the address it checked, not to a second lookup (DNS pinning)', async () => {
    const r = await receiver();
    const lookups: string[] = [];
    const { webhooks } = await start(
      [`http://hooks.parley.test:${r.port}/hook`],
      {},
      {
        resolver: (host) => {
          lookups.push(host);
          return Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
        },
      },
    );
    webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    await r.deliveredCount(2);
    // The name does not exist in real DNS: only the pinned address can have reached the receiver.
    expect(r.requests[0]!.headers.host).toBe(`hooks.parley.test:${r.port}`);
    // One check at start, one per attempt; the socket itself never resolved the name.
    expect(lookups).toHaveLength(3);
  });

  it('refuses a name whose answers mix public and private addresses', async () => {
    const r = await receiver();
    const { logs } = await start(
      [`http://rebind.parley.test:${r.port}/hook`],
      { allowPrivate: false },
      {
        resolver: () =>
          Promise.resolve([
            { address: '198.51.100.7', family: 4 },
            { address: '::ffff:127.0.0.1', family: 6 },
          ]),
      },
    );
    const refused = await logs.next(/^webhook endpoint REFUSED/);
    expect(refused.reason).toMatch(/::ffff:127\.0\.0\.1 \(ipv4Mapped\)/);
  });

  it('resumes undelivered events after a restart, in order, without re-sending acknowledged ones', async () => {
    const r = await receiver();
    r.answer = () => ({ status: 503 });
    const first = await start([r.url()], { retryScheduleSeconds: [0, 3600] });
    first.webhooks.lifecycle.joined('room-1', 'peer-a', 'Ada');
    first.webhooks.lifecycle.joined('room-1', 'peer-b', 'Bo');
    await first.logs.next('webhook attempt failed');
    await first.webhooks.close();
    cleanups.pop();

    r.answer = () => ({ status: 204 });
    const logs = new LogCapture();
    const again = (await startWebhooks(first.config, {
      logger: logs.logger,
      resumeGraceMs: 60_000,
      registry: new Registry(),
    })) as Webhooks;
    cleanups.push(() => again.close());
    const delivered = await r.deliveredCount(3);
    expect(delivered.map((e) => [e.type, e.data.sequence])).toEqual([
      ['room.started', 1],
      ['participant.joined', 2],
      ['participant.joined', 3],
    ]);
    // The room view came back too: the next event continues the sequence.
    again.lifecycle.left('room-1', 'peer-b', 'left');
    const [, , , left] = await r.deliveredCount(4);
    expect(left).toMatchObject({
      type: 'participant.left',
      data: { sequence: 4, participantCount: 1, reason: 'left', participant: { name: 'Bo' } },
    });
    expect(new Set(ids(r.delivered())).size).toBe(4);
  });
});
