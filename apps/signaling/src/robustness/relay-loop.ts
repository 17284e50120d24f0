import type { TestClient } from '../testing/test-client.ts';

export type RelayLoopResult = {
  relayed: number;
  /** Round trip of each relay, send to arrival, in milliseconds. */
  latenciesMs: number[];
};

/**
 * A control pair relaying back and forth while a test abuses the server elsewhere: `a` signals
 * `b`, waits for it to arrive, and repeats. Any lost or reordered relay fails `stop()`.
 */
export function relayLoop(a: TestClient, b: TestClient): { stop(): Promise<RelayLoopResult> } {
  let running = true;
  const latenciesMs: number[] = [];
  const done = (async () => {
    const joinedB = b.received('joined').at(-1);
    if (!joinedB) throw new Error('the control pair must have joined');
    while (running) {
      const n = latenciesMs.length;
      const sdp = `v=0\r\ns=control-${n}\r\n`;
      const sentAt = performance.now();
      a.send({ type: 'signal', to: joinedB.selfId, payload: { type: 'offer', sdp } });
      const got = await b.next('signal');
      if (got.payload.type !== 'offer' || got.payload.sdp !== sdp)
        throw new Error(`control relay ${n} arrived out of order`);
      latenciesMs.push(performance.now() - sentAt);
    }
    return { relayed: latenciesMs.length, latenciesMs };
  })();
  return {
    stop() {
      running = false;
      return done;
    },
  };
}

/** "p50 1.2 ms, p99 8.0 ms, max 9.1 ms" */
export function describeLatencies(latenciesMs: number[]): string {
  if (latenciesMs.length === 0) return 'none';
  const sorted = [...latenciesMs].sort((x, y) => x - y);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms`;
}
