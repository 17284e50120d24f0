import { createRoomId } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRESH_ROOM, fuzzFrame } from '../robustness/fuzz-frames.ts';
import { readiness, useCluster } from '../testing/cluster-fixture.ts';
import { redisMissing } from '../testing/redis-process.ts';

/**
 * Hostile input against clustered instances: the fuzz suite's frames (malformed JSON, wrong
 * types, huge strings, binary, valid messages out of order) from one client, and a signal flood
 * across instances from another (rate limits lifted, as in the fuzz test, so every frame reaches
 * the store and the bus), while a legitimate pair on two instances keeps relaying in order. The exact reply to each frame is the single-instance fuzz test's business
 * (robustness/fuzz.test.ts); here the shared store and the bus must survive the same input.
 */

const missing = redisMissing();
if (missing) console.warn(`skipping clustered hostile-input tests: ${missing}`);

/** Starting real server processes under tsx takes 20-50 s on this loaded machine. */
const STARTUP_BUDGET_MS = 120_000;
const SEED = 20_261_203;
const FRAMES = 2000;
const FLOOD = 2000;
const NO_LIMITS = {
  MESSAGE_BURST: '100000',
  MESSAGES_PER_SECOND: '100000',
  JOIN_BURST_PER_IP: '100000',
  JOINS_PER_SECOND_PER_IP: '100000',
};
const offer = (n: number) => ({ type: 'offer', sdp: `v=0\r\ns=${n}\r\n` }) as const;

describe.skipIf(missing !== undefined)(
  'hostile input, clustered',
  { timeout: STARTUP_BUDGET_MS },
  () => {
    const cluster = useCluster();

    it('survives fuzz frames and a cross-instance flood while a pair keeps relaying in order', async () => {
      const [a, b] = await cluster.instances(2, NO_LIMITS);
      const room = createRoomId();
      const ada = await cluster.client(a!);
      const adaJoined = await ada.join(room, 'Ada');
      const bob = await cluster.client(b!);
      const bobJoined = await bob.join(room, 'Bob');

      // The fuzz client on instance a, the flooder seated in the call on instance b.
      const fuzzer = await cluster.client(a!);
      for (const frame of fc.sample(fuzzFrame, { seed: SEED, numRuns: FRAMES })) {
        if ('text' in frame) fuzzer.sendRaw(frame.text.replaceAll(FRESH_ROOM, createRoomId()));
        else fuzzer.sendRaw(Buffer.from(frame.bytes));
      }
      const flooder = await cluster.client(b!);
      const flooderJoined = await flooder.join(room, 'Flood');
      for (let n = 0; n < FLOOD; n++)
        flooder.send({ type: 'signal', to: adaJoined.selfId, payload: offer(-n) });

      // The pair is unaffected: 100 signals each way, in order, across instances.
      for (let n = 0; n < 100; n++) {
        ada.send({ type: 'signal', to: bobJoined.selfId, payload: offer(n) });
        bob.send({ type: 'signal', to: adaJoined.selfId, payload: offer(n) });
      }
      for (let n = 0; n < 100; n++) {
        expect((await bob.next('signal', (m) => m.from === adaJoined.selfId)).payload).toEqual(
          offer(n),
        );
        expect((await ada.next('signal', (m) => m.from === bobJoined.selfId)).payload).toEqual(
          offer(n),
        );
      }
      // The whole flood reached Ada across instances, in order; the fuzz client is still served.
      const flooded = [];
      for (let n = 0; n < FLOOD; n++)
        flooded.push((await ada.next('signal', (m) => m.from === flooderJoined.selfId)).payload);
      expect(flooded).toEqual(Array.from({ length: FLOOD }, (_, n) => offer(-n)));
      await fuzzer.sync();
      for (const instance of [a!, b!]) {
        expect((await readiness(instance)).status).toBe(200);
        expect(instance.logs.filter((e) => e.msg === 'error while handling a message')).toEqual([]);
        expect(instance.child.exitCode).toBeNull();
      }
    });
  },
);
