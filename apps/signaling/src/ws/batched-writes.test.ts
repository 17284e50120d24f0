import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchWritesThisTick } from './batched-writes.ts';

/** A duplex that records each write call it gets: one entry per system call a socket would make. */
function recordingStream() {
  const calls: string[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  return { stream, calls };
}

/** Writes the way `ws` sends a frame: its own cork around a header and a payload. */
function sendFrame(stream: Duplex, name: string) {
  stream.cork();
  stream.write(`${name}-header`);
  stream.write(`${name}-payload`);
  stream.uncork();
}

const endOfTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('batchWritesThisTick', () => {
  it('sends every frame written in one tick in one call, in order', async () => {
    const { stream, calls } = recordingStream();
    for (const name of ['a', 'b', 'c']) {
      batchWritesThisTick(stream);
      sendFrame(stream, name);
    }
    expect(calls).toEqual([]);
    await endOfTick();
    expect(calls).toEqual([
      ['a-header', 'a-payload', 'b-header', 'b-payload', 'c-header', 'c-payload'],
    ]);
  });

  it('starts a new batch in the next tick, and holds each socket separately', async () => {
    const first = recordingStream();
    const second = recordingStream();
    batchWritesThisTick(first.stream);
    sendFrame(first.stream, 'a');
    batchWritesThisTick(second.stream);
    sendFrame(second.stream, 'x');
    await endOfTick();
    batchWritesThisTick(first.stream);
    sendFrame(first.stream, 'b');
    await endOfTick();
    expect(first.calls).toEqual([
      ['a-header', 'a-payload'],
      ['b-header', 'b-payload'],
    ]);
    expect(second.calls).toEqual([['x-header', 'x-payload']]);
    expect(first.stream.writableCorked).toBe(0);
  });
});
