import { createHash } from 'node:crypto';
import type { FileMessage } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { FileTransfers } from './file-transfers.ts';
import { SEND_WINDOW_BYTES } from './outgoing-transfer.ts';
import { referenceDigest } from '../testing/reference-digest.ts';
import type { ByteSink, DataChannelLike, TransferSnapshot } from './transfer-types.ts';

/** One end of an in-memory ordered channel; messages are delivered asynchronously, like SCTP. */
class FakeChannel implements DataChannelLike {
  readyState: RTCDataChannelState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType: BinaryType = 'arraybuffer';
  onopen: DataChannelLike['onopen'] = null;
  onclose: DataChannelLike['onclose'] = null;
  onmessage: DataChannelLike['onmessage'] = null;
  onbufferedamountlow: DataChannelLike['onbufferedamountlow'] = null;
  other: FakeChannel | undefined;
  /** Test hook: alter bytes in transit. */
  tamper: ((data: Uint8Array) => void) | undefined;
  /** Test hook: this end drops (both ends close) once it has received this many bytes. */
  dropAfterReceiving: number | undefined;
  private receivedBytes = 0;

  send(data: ArrayBuffer | Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') throw new Error('closed');
    // Copied before send() returns, as a real channel does (the sender may reuse its buffer).
    const copy = data instanceof ArrayBuffer ? new Uint8Array(data.slice(0)) : data.slice();
    this.tamper?.(copy);
    const target = this.other;
    setTimeout(() => target?.deliver(copy));
  }

  private deliver(data: Uint8Array<ArrayBuffer>): void {
    if (this.readyState !== 'open') return;
    if (this.dropAfterReceiving !== undefined && this.receivedBytes >= this.dropAfterReceiving)
      return this.close();
    this.receivedBytes += data.byteLength;
    this.onmessage?.({ data: data.buffer } as MessageEvent);
  }

  close(): void {
    for (const end of [this, this.other]) {
      if (!end || end.readyState === 'closed') continue;
      end.readyState = 'closed';
      setTimeout(() => end.onclose?.({} as Event));
    }
  }
}

class MemorySink implements ByteSink {
  private buffer: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  private length = 0;
  discarded = false;
  /** What has been written so far. */
  get bytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.length);
  }
  async write(chunks: ArrayBuffer[], position: number): Promise<void> {
    for (const chunk of chunks) {
      const end = position + chunk.byteLength;
      // Doubling, not growing to fit: copying the whole file on every chunk made a 40 MiB
      // transfer quadratic (gigabytes copied), slow enough to time out on a loaded machine.
      if (end > this.buffer.length) {
        const grown = new Uint8Array(Math.max(end, this.buffer.length * 2));
        grown.set(this.bytes);
        this.buffer = grown;
      }
      this.buffer.set(new Uint8Array(chunk), position);
      this.length = Math.max(this.length, end);
      position = end;
    }
  }
  async digest(): Promise<string> {
    return referenceDigest(this.bytes);
  }
  async finish(): Promise<File> {
    return new File([this.bytes], 'received');
  }
  async discard(): Promise<void> {
    this.discarded = true;
  }
}

/** Two participants, A and B, wired through fake control messages and channels. */
function pair(options: { corruptFromA?: boolean; dropFirstChannelAfter?: number } = {}) {
  const channels = new Map<string, FakeChannel>();
  const sinks: MemorySink[] = [];
  const updates: Record<'A' | 'B', Map<string, TransferSnapshot>> = { A: new Map(), B: new Map() };
  const opened: FakeChannel[] = [];
  /** Whether a side's control messages get through (its link's data channel is open). */
  const controlUp = { A: true, B: true };
  const make = (self: 'A' | 'B'): FileTransfers => {
    const other = self === 'A' ? 'B' : 'A';
    return new FileTransfers({
      peer: () => ({
        sendControl: (message: FileMessage) => {
          if (!controlUp[self]) return false;
          setTimeout(() => sides[other].handle(self, structuredClone(message)));
          return true;
        },
        openChannel: (id: number) => {
          const end = new FakeChannel();
          if (self === 'A' && options.corruptFromA) end.tamper = (data) => void (data[0]! ^= 0xff);
          // The first pair of ends drops at a byte count, not when a (throttled) progress
          // snapshot shows it: on a fast machine the whole file can land between two snapshots.
          if (opened.length < 2) end.dropAfterReceiving = options.dropFirstChannelAfter;
          opened.push(end);
          const key = String(id);
          const waiting = channels.get(key);
          if (waiting) {
            waiting.other = end;
            end.other = waiting;
            channels.delete(key);
          } else {
            channels.set(key, end);
            // Closed before the other side opened it: the ID is free again.
            const close = end.close.bind(end);
            end.close = () => {
              if (channels.get(key) === end) channels.delete(key);
              close();
            };
          }
          return end;
        },
        maxMessageSize: () => 256 * 1024,
      }),
      isPolite: () => self === 'A',
      displayName: () => other,
      onUpdate: (s) => updates[self].set(s.id, s),
      maxFileBytes: () => 64 * 1024 * 1024,
      openSink: async () => {
        const sink = new MemorySink();
        sinks.push(sink);
        return sink;
      },
    });
  };
  const sides = { A: make('A'), B: make('B') };
  return { ...sides, sinks, updates, opened, controlUp };
}

function randomFile(size: number): File {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536)
    crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return new File([bytes], '../../secret plans.txt');
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

const only = (map: Map<string, TransferSnapshot>) => [...map.values()][0]!;

describe('FileTransfers', () => {
  it('sends a file only after acceptance, with a sanitised name, and verifies its digest', async () => {
    const { A, B, sinks, updates } = pair();
    const file = randomFile(9 * 1024 * 1024 + 17); // three digest blocks, the last one short
    await A.send([file], ['B']);
    await until(() => updates.B.size === 1);
    expect(only(updates.B)).toMatchObject({
      state: 'offered',
      name: 'secret plans.txt',
      size: file.size,
      direction: 'in',
    });
    expect(sinks).toHaveLength(0);

    B.accept(only(updates.B).id);
    await until(() => only(updates.A).state === 'done' && only(updates.B).state === 'done');
    expect(only(updates.B)).toMatchObject({ verified: true, transferred: file.size });
    const expected = createHash('sha256')
      .update(new Uint8Array(await file.arrayBuffer()))
      .digest('hex');
    expect(createHash('sha256').update(sinks[0]!.bytes).digest('hex')).toBe(expected);
    expect(only(updates.A).bytesSent).toBe(file.size);
  });

  it('sends nothing when declined', async () => {
    const { A, B, sinks, updates, opened } = pair();
    await A.send([randomFile(1024)], ['B']);
    await until(() => updates.B.size === 1);
    B.decline(only(updates.B).id);
    await until(() => only(updates.A).state === 'declined');
    expect(sinks).toHaveLength(0);
    expect(opened).toHaveLength(0);
  });

  it('resumes from the received offset after the data channel drops, re-sending at most a window', async () => {
    const { A, B, sinks, updates, opened } = pair({ dropFirstChannelAfter: 5 * 1024 * 1024 });
    const file = randomFile(40 * 1024 * 1024);
    await A.send([file], ['B']);
    await until(() => updates.B.size === 1);
    B.accept(only(updates.B).id);
    await until(() => only(updates.B).state === 'done');
    expect(only(updates.B).verified).toBe(true);
    expect(opened.length).toBeGreaterThanOrEqual(4); // a second channel pair was opened
    await until(() => only(updates.A).state === 'done');
    const resent = only(updates.A).bytesSent - file.size;
    expect(resent).toBeGreaterThanOrEqual(0);
    expect(resent).toBeLessThanOrEqual(SEND_WINDOW_BYTES);
    expect(sinks[0]!.bytes.length).toBe(file.size);
  });

  it('resumes an accept that could not be sent once the link is connected again', async () => {
    const { A, B, updates, controlUp } = pair();
    const file = randomFile(256 * 1024);
    await A.send([file], ['B']);
    await until(() => updates.B.size === 1);
    controlUp.B = false; // B's link dropped just as the user clicked Accept
    B.accept(only(updates.B).id);
    await until(() => only(updates.B).state === 'interrupted');
    // Nothing reached A: it still waits for an answer, and no byte moved.
    expect(only(updates.A).state).toBe('offered');
    expect(only(updates.B).transferred).toBe(0);
    controlUp.B = true;
    B.peerConnected('A'); // what CallSession calls when the link reports "connected"
    await until(() => only(updates.B).state === 'done');
    expect(only(updates.B)).toMatchObject({ verified: true, transferred: file.size });
  });

  it('deletes a file whose hash does not match and tells both sides', async () => {
    const { A, B, sinks, updates } = pair({ corruptFromA: true });
    await A.send([randomFile(512 * 1024)], ['B']);
    await until(() => updates.B.size === 1);
    B.accept(only(updates.B).id);
    await until(() => only(updates.B).state === 'failed' && only(updates.A).state === 'failed');
    expect(only(updates.B).error).toMatch(/checksum mismatch/);
    expect(sinks[0]!.discarded).toBe(true);
  });

  it('fails both sides with a clear reason when the file can no longer be read', async () => {
    const { A, B, updates } = pair();
    // What a browser does when the picked file was moved, deleted or changed since.
    const gone = {
      name: 'moved.txt',
      size: 1024,
      type: '',
      slice: () => ({ arrayBuffer: () => Promise.reject(new Error('NotReadableError')) }),
    } as unknown as File;
    await A.send([gone], ['B']);
    await until(() => updates.B.size === 1);
    B.accept(only(updates.B).id);
    await until(() => only(updates.A).state === 'failed' && only(updates.B).state === 'failed');
    expect(only(updates.A).error).toMatch(/Could not read the file \(was it moved or deleted\?\)/);
    expect(only(updates.B).error).toMatch(/The sender stopped the transfer/);
  });

  it('refuses an offer over the size limit without asking', async () => {
    const { A, updates } = pair();
    const big = {
      name: 'big.iso',
      size: 65 * 1024 * 1024,
      type: '',
      slice: () => new Blob(),
    } as unknown as File;
    await A.send([big], ['B']);
    await until(() => updates.A.size === 1 && only(updates.A).state === 'failed');
    expect(only(updates.B).error).toMatch(/larger than the 64 MiB limit/);
    expect(only(updates.A).error).toMatch(/larger than the receiver accepts/);
  });
});
