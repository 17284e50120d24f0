import { createRoomId, decodeClientMessage, type ServerMessage } from '@parley/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HttpSessionClient } from '../testing/http-session-client.ts';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { FRESH_ROOM, fuzzFrame } from './fuzz-frames.ts';

/**
 * The fuzz idea of fuzz.test.ts over the HTTP transport's POST endpoint, against the real
 * server process: envelopes that are not JSON or not envelopes, and envelopes carrying the
 * fuzz suite's text frames. A broken envelope is refused with 400 and applies nothing; each
 * frame the codec rejects gets exactly the typed error the codec predicts, in order. The
 * process stays up and a pair in another room keeps relaying. Reproduce with FUZZ_SEED=<seed>.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);
const FRAMES = 600;
const BROKEN_ENVELOPES = 200;
/** Our pings' `t` starts here, far from the small integers the fuzz's own pings carry. */
const SENTINEL = 2 ** 40;

let server: ServerProcess;
let url: string;
const clients: HttpSessionClient[] = [];
beforeAll(async () => {
  // Limits high enough that the fuzz exercises validation, not the rate limiters.
  server = spawnServerProcess({
    env: { MESSAGE_BURST: '100000', MESSAGES_PER_SECOND: '100000' },
  });
  url = `http://127.0.0.1:${await server.port}`;
}, 30_000);
afterAll(() => {
  for (const c of clients) c.stopReading();
  server.kill();
});

async function open(mode: 'sse' | 'poll' = 'sse'): Promise<HttpSessionClient> {
  const c = await HttpSessionClient.open(url, { mode });
  clients.push(c);
  return c;
}

const envelopeOf = (fields: Record<string, unknown>) => JSON.stringify(fields);
const brokenEnvelope = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc
    .oneof(fc.constant(0), fc.constant(-1), fc.double({ min: 1.1, max: 9.9 }), fc.string())
    .map((seq) => envelopeOf({ seq, ack: 0, frames: [] })),
  fc.constant(envelopeOf({ seq: 1, ack: -1, frames: [] })),
  fc
    .array(fc.nat(), { minLength: 1, maxLength: 5 })
    .map((frames) => envelopeOf({ seq: 1, ack: 0, frames })),
  fc.string().map((extra) => envelopeOf({ seq: 1, ack: 0, frames: [], extra })),
  fc.constant(envelopeOf({ seq: 1, ack: 0, frames: Array(33).fill('{}') })),
);

it('answers fuzzed POSTs with 400, or with the typed errors the codec predicts, and stays up', async () => {
  const pair = await open('sse');
  const partner = await open('poll');
  const pairRoom = createRoomId();
  const { selfId: pairId } = await pair.join(pairRoom, 'pair');
  await partner.join(pairRoom, 'partner');

  const fuzz = await open('sse');
  for (const body of fc.sample(brokenEnvelope, { seed: SEED, numRuns: BROKEN_ENVELOPES })) {
    const res = await fuzz.post(body);
    expect(res.status, body.slice(0, 80)).toBe(400);
  }

  const frames = fc
    .sample(fuzzFrame, { seed: SEED, numRuns: FRAMES * 2 })
    .flatMap((f) => ('text' in f ? [f.text.replaceAll(FRESH_ROOM, createRoomId())] : []))
    .slice(0, FRAMES);
  // Each fuzz frame goes with a ping, so its replies sit between two pongs.
  for (let i = 0; i < frames.length; i += 8) {
    const batch = frames.slice(i, i + 8);
    await fuzz.sendFrames(
      batch.flatMap((text, j) => [text, JSON.stringify({ type: 'ping', t: SENTINEL + i + j })]),
    );
    await partner.send({ type: 'signal', to: pairId, payload: { type: 'offer', sdp: `v=${i}` } });
  }
  await fuzz.next('pong', (m) => m.t === SENTINEL + frames.length - 1);
  const replies = repliesBetweenPongs(fuzz.messages);
  let rejected = 0;
  for (const [i, text] of frames.entries()) {
    const decoded = decodeClientMessage(text);
    if (decoded.ok) continue; // valid messages: their replies depend on state (fuzz.test.ts models them)
    rejected++;
    const error = replies[i]?.find((m) => m.type === 'error');
    expect(error, text.slice(0, 80)).toMatchObject({ type: 'error', code: decoded.code });
  }
  // Most of the mix is broken on purpose; the loop above did check something.
  expect(rejected).toBeGreaterThan(FRAMES / 3);
  // The other room relayed throughout, in order, and nothing the server sent failed the codec.
  await pair.next(
    'signal',
    (m) => m.payload.type === 'offer' && m.payload.sdp === `v=${FRAMES - 8}`,
  );
  expect(
    pair.received('signal').map((m) => (m.payload.type === 'offer' ? m.payload.sdp : '')),
  ).toEqual(Array.from({ length: FRAMES / 8 }, (_, k) => `v=${k * 8}`));
  for (const c of clients) expect(c.faults).toEqual([]);
  expect(server.child.exitCode).toBeNull();
}, 120_000);

/** The messages before each pong, indexed by the pong's `t`. */
function repliesBetweenPongs(messages: ServerMessage[]): ServerMessage[][] {
  const byPing: ServerMessage[][] = [];
  let current: ServerMessage[] = [];
  for (const m of messages) {
    if (m.type === 'pong' && m.t >= SENTINEL) {
      byPing[m.t - SENTINEL] = current;
      current = [];
    } else current.push(m);
  }
  return byPing;
}
