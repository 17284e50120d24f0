import { MAX_FRAME_BYTES, MAX_SDP_LENGTH, createRoomId, encodeMessage } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';
import { TestClient } from '../testing/test-client.ts';
import { spawnHeldClient, type HeldClient } from './clients/held-client-process.ts';
import { describeLatencies, relayLoop } from './relay-loop.ts';

/**
 * A participant that stops reading (its process frozen with SIGSTOP, socket still open) while
 * another floods it with maximum-size offers. Without a cap the server would queue everything
 * for it; with MAX_BUFFERED_BYTES it drops the reader and sheds the rest.
 */

const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Total flood: far more than the kernel socket buffers (a few MiB) plus the cap. */
const FLOOD_BYTES = 64 * 1024 * 1024;

let serverProcess: ServerProcess | undefined;
let frozen: HeldClient | undefined;
let sampler: NodeJS.Timeout | undefined;
const clients: TestClient[] = [];

afterEach(() => {
  clearInterval(sampler);
  frozen?.kill();
  serverProcess?.kill();
  for (const c of clients.splice(0)) c.socket.terminate();
});

async function client(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
}

describe('a slow consumer', () => {
  it('is dropped at the bufferedAmount cap while the server memory stays bounded and other rooms relay on', async () => {
    serverProcess = spawnServerProcess({
      env: {
        MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
        // Only the cap may drop the frozen client here, not the heartbeat.
        HEARTBEAT_INTERVAL_MS: '600000',
        // The flood is the point; the per-connection rate limit would cut it short.
        MESSAGE_BURST: '100000',
        MESSAGES_PER_SECOND: '100000',
      },
    });
    const url = `http://127.0.0.1:${await serverProcess.port}`;
    const room = createRoomId();
    const flooder = await client(url);
    await flooder.join(room, 'flooder');
    frozen = spawnHeldClient(url, room);
    const frozenId = await frozen.joined;
    await flooder.next('peer-joined', (m) => m.peer.id === frozenId);
    const [controlA, controlB] = [await client(url), await client(url)];
    const controlRoom = createRoomId();
    await controlA.join(controlRoom, 'a');
    await controlB.join(controlRoom, 'b');

    const rssBefore = serverProcess.rssBytes();
    let rssPeak = rssBefore;
    sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, serverProcess!.rssBytes());
    }, 20);
    const control = relayLoop(controlA, controlB);

    process.kill(frozen.pid, 'SIGSTOP');
    const dropLogged = serverProcess.waitForLog((e) => e.msg === 'slow consumer dropped');
    const frame = encodeMessage({
      type: 'signal',
      to: frozenId,
      payload: { type: 'offer', sdp: 'a'.repeat(MAX_SDP_LENGTH) },
    });
    // First half: the kernel buffers fill, then the server's queue passes the cap.
    await flood(flooder, frame, FLOOD_BYTES / 2);
    await flooder.sync(); // the server has handled every frame so far
    const drop = (await dropLogged) as { bufferedAmount: number };
    const rssAfterFirstHalf = rssPeak;
    // Second half: the frozen peer is gone from this server's point of view; all of it is shed.
    await flood(flooder, frame, FLOOD_BYTES / 2);
    await flooder.sync();
    const { relayed, latenciesMs } = await control.stop();
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, serverProcess.rssBytes());

    // Dropped at the cap: the check runs after each send, so at most one frame over it.
    expect(drop.bufferedAmount).toBeGreaterThan(MAX_BUFFERED_BYTES);
    expect(drop.bufferedAmount).toBeLessThanOrEqual(MAX_BUFFERED_BYTES + MAX_FRAME_BYTES);
    // Bounded: the first half grows the heap by its garbage (young generation slack); the
    // second, equally large, must add next to nothing. Queuing for the frozen peer would add
    // the whole half again.
    console.log(
      `slow consumer: dropped at bufferedAmount ${drop.bufferedAmount} B; server RSS ` +
        `${mib(rssBefore)} MiB → ${mib(rssAfterFirstHalf)} after ${mib(FLOOD_BYTES / 2)} MiB flooded → ` +
        `${mib(rssPeak)} after ${mib(FLOOD_BYTES)} MiB; ${relayed} control relays meanwhile (${describeLatencies(latenciesMs)})`,
    );
    expect(rssPeak - rssAfterFirstHalf).toBeLessThan(FLOOD_BYTES / 2 / 4);
    // The other room kept relaying throughout, and in order.
    expect(relayed).toBeGreaterThan(0);

    // Thawed, the frozen client reads what the kernel held, then finds its connection cut.
    process.kill(frozen.pid, 'SIGCONT');
    expect(await frozen.closedCode).toBe(1006);
  }, 60_000);
});

/** Sends `frame` until `totalBytes` have gone, keeping our own send queue short. */
async function flood(c: TestClient, frame: string, totalBytes: number): Promise<void> {
  const frames = Math.ceil(totalBytes / frame.length);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < frames; i++) {
    if (inFlight >= 32) await new Promise<void>((resolve) => (wake = resolve));
    inFlight++;
    c.socket.send(frame, () => {
      inFlight--;
      wake?.();
      wake = undefined;
    });
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
