import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoomId } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { TestClient } from '../testing/test-client.ts';
import type { WebhookEvent } from './events.ts';
import { TestReceiver, testSecret, type ReceivedRequest } from './test-receiver.ts';

/**
 * Webhooks end to end: a real server process (the entry point docker runs), real WebSocket
 * clients, and a real HTTP receiver on loopback that checks every signature with the official
 * Standard Webhooks verifier.
 */

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-webhooks-data-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function receiver(port = 0): Promise<TestReceiver> {
  const r = await TestReceiver.start(port);
  cleanups.push(() => r.close());
  return r;
}

function server(env: Record<string, string>): ServerProcess {
  const proc = spawnServerProcess({ env });
  cleanups.push(() => proc.kill());
  return proc;
}

async function client(proc: ServerProcess): Promise<TestClient> {
  const c = await TestClient.connect(`http://127.0.0.1:${await proc.port}`);
  cleanups.push(() => c.socket.terminate());
  return c;
}

/** Every request, verified; throws on the first bad signature. */
function verified(secret: string, requests: ReceivedRequest[]): WebhookEvent[] {
  return requests.map((r) => TestReceiver.verify(secret, r));
}

const summary = (events: WebhookEvent[]) =>
  events.map((e) => [
    e.type,
    e.data.sequence,
    e.data.participant.name,
    e.data.participantCount,
    e.data.reason,
  ]);

/** Each test starts server processes and waits out a resume grace; not a speed goal. */
const PROCESS_TEST_TIMEOUT_MS = 60_000;

describe('webhooks from a real server', { timeout: PROCESS_TEST_TIMEOUT_MS }, () => {
  it('join, join, leave, leave: six signed events in sequence; a resume produces none; a dropped participant times out', async () => {
    const r = await receiver();
    const secret = testSecret();
    const proc = server({
      WEBHOOK_URLS: r.url(),
      WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      DATA_DIR: await dataDir(),
      // Long enough that a resume on a busy machine is inside it; the timeout case waits it out.
      RESUME_GRACE_MS: '3000',
      METRICS_PORT: '0',
    });
    const room = createRoomId();
    const ada = await client(proc);
    const bo = await client(proc);
    const adaJoined = await ada.join(room, 'Ada');
    await bo.join(room, 'Bo');

    // Ada's connection drops and she resumes as the same participant: nothing to announce.
    ada.socket.terminate();
    const adaAgain = await client(proc);
    const resumed = await adaAgain.join(room, 'Ada', {
      peerId: adaJoined.selfId,
      token: adaJoined.resumeToken,
    });
    expect(resumed.resumed).toBe(true);

    bo.send({ type: 'leave' });
    await adaAgain.next('peer-left');
    adaAgain.send({ type: 'leave' });
    const events = verified(secret, await r.until(() => r.requests.length >= 6 && r.requests));
    // Strict per-room order means anything produced by the resume would sit in this list.
    expect(summary(events)).toEqual([
      ['room.started', 1, 'Ada', 1, undefined],
      ['participant.joined', 2, 'Ada', 1, undefined],
      ['participant.joined', 3, 'Bo', 2, undefined],
      ['participant.left', 4, 'Bo', 1, 'left'],
      ['participant.left', 5, 'Ada', 0, 'left'],
      ['room.finished', 6, 'Ada', 0, undefined],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(6);
    expect(new Set(events.map((e) => e.data.roomSessionId)).size).toBe(1);
    expect(events.every((e) => e.data.roomId === room)).toBe(true);
    expect(events[1]!.data.participant.id).toBe(adaJoined.selfId);

    // A drop with no resume: announced once the grace period is over, as a timeout.
    const other = createRoomId();
    const cy = await client(proc);
    await cy.join(other, 'Cy');
    cy.socket.terminate();
    const left = await r.until(() =>
      verified(secret, r.requests).find(
        (e) => e.type === 'participant.left' && e.data.roomId === other,
      ),
    );
    expect(left.data).toMatchObject({
      participant: { name: 'Cy' },
      reason: 'timeout',
      sequence: 3,
    });

    // The counters the metrics port serves (Prometheus text format).
    await proc.waitForLog(
      (l) => l.msg === 'webhook delivered' && l.type === 'room.finished' && l.roomId === other,
    );
    const metricsLog = await proc.waitForLog((l) => String(l.msg).startsWith('metrics on'));
    const metrics = await (
      await fetch(`http://127.0.0.1:${String(metricsLog.port)}/metrics`)
    ).text();
    expect(metrics).toMatch(/^parley_webhook_attempts_total\{outcome="delivered"\} 10$/m);
    expect(metrics).toMatch(/^parley_webhook_events_total\{type="participant.left"\} 3$/m);
    expect(metrics).toMatch(/^parley_webhook_outbox_depth 0$/m);
    expect(metrics).toMatch(/^parley_webhook_delivery_latency_seconds_count 10$/m);
  });

  it('SIGKILL while the receiver is down, then a restart: every event arrives, in order per room', async () => {
    // Take a free port for the receiver, then close it: the receiver is "down".
    const probe = await TestReceiver.start();
    const port = probe.port;
    await probe.close();
    const secret = testSecret();
    const env = {
      WEBHOOK_URLS: `http://127.0.0.1:${port}/hook`,
      WEBHOOK_SECRET: secret,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE:
        '0,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2',
      DATA_DIR: await dataDir(),
      // D must resume within it after the restart, even on a busy machine; C waits it out.
      RESUME_GRACE_MS: '5000',
      LOG_LEVEL: 'debug',
    };
    const first = server(env);
    const finished = createRoomId();
    const open = createRoomId();
    const a = await client(first);
    const b = await client(first);
    await a.join(finished, 'A');
    await b.join(finished, 'B');
    b.send({ type: 'leave' });
    await a.next('peer-left');
    a.send({ type: 'leave' });
    await a.sync();
    // Two participants still in a call when the server dies: C never comes back, D resumes.
    const c = await client(first);
    await c.join(open, 'C');
    const d = await client(first);
    const dJoined = await d.join(open, 'D');
    const stored = () => first.logs.filter((l) => l.msg === 'webhook event stored').length;
    await first.waitForLog(() => stored() >= 9);
    await first.waitForLog((l) => l.msg === 'webhook attempt failed');
    first.kill();
    await first.exited;

    const r = await receiver(port);
    const second = server(env);
    const dAgain = await client(second);
    await dAgain.join(open, 'D', { peerId: dJoined.selfId, token: dJoined.resumeToken });
    // C is announced as timed out once the grace is over; then D leaves and the room finishes.
    await r.until(() =>
      r.delivered().find((e) => e.type === 'participant.left' && e.data.roomId === open),
    );
    dAgain.send({ type: 'leave' });
    const events = verified(
      secret,
      await r.until(() => r.delivered().length >= 12 && r.requests.filter((q) => q.status === 204)),
    );
    const byRoom = (roomId: string) => events.filter((e) => e.data.roomId === roomId);
    expect(summary(byRoom(finished))).toEqual([
      ['room.started', 1, 'A', 1, undefined],
      ['participant.joined', 2, 'A', 1, undefined],
      ['participant.joined', 3, 'B', 2, undefined],
      ['participant.left', 4, 'B', 1, 'left'],
      ['participant.left', 5, 'A', 0, 'left'],
      ['room.finished', 6, 'A', 0, undefined],
    ]);
    expect(summary(byRoom(open))).toEqual([
      ['room.started', 1, 'C', 1, undefined],
      ['participant.joined', 2, 'C', 1, undefined],
      ['participant.joined', 3, 'D', 2, undefined],
      // Nothing for D's resume on the new instance.
      ['participant.left', 4, 'C', 1, 'timeout'],
      ['participant.left', 5, 'D', 0, 'left'],
      ['room.finished', 6, 'D', 0, undefined],
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(12);
  });

  it('refuses a loopback receiver by default and reports it at start-up', async () => {
    const r = await receiver();
    const proc = server({
      WEBHOOK_URLS: r.url(),
      WEBHOOK_SECRET: testSecret(),
      WEBHOOK_RETRY_SCHEDULE: '0',
      DATA_DIR: await dataDir(),
    });
    const refused = await proc.waitForLog((l) =>
      String(l.msg).startsWith('webhook endpoint REFUSED'),
    );
    expect(refused.reason).toMatch(/loopback/);
    const c = await client(proc);
    await c.join(createRoomId(), 'Ada');
    const attempt = await proc.waitForLog((l) => l.msg === 'webhook attempt failed');
    expect(attempt.outcome).toBe('refused');
    expect(r.requests).toHaveLength(0);
  });
});
