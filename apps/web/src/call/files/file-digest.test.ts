import { FILE_DIGEST_BLOCK_BYTES } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { referenceDigest } from '../testing/reference-digest.ts';
import { FileDigest, StreamDigest } from './file-digest.ts';

const BLOCK = FILE_DIGEST_BLOCK_BYTES;

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536)
    crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return bytes;
}

/** Deterministic split points, so a failure can be replayed. */
function pieces(bytes: Uint8Array<ArrayBuffer>, seed: number): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  let state = seed;
  for (let at = 0; at < bytes.length;) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    // Mostly small pieces, now and then one larger than a block.
    const size = state % 7 === 0 ? BLOCK + (state % 9999) : 1 + (state % (300 * 1024));
    out.push(bytes.slice(at, at + size));
    at += size;
  }
  return out;
}

const SIZES = [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 12_345];

describe('StreamDigest (the receiving end)', () => {
  it.each(SIZES)(
    'matches the protocol digest for %i bytes, however they are split',
    async (size) => {
      const bytes = randomBytes(size);
      const expected = referenceDigest(bytes);
      for (const seed of [1, 2, 3]) {
        const digest = new StreamDigest();
        for (const piece of pieces(bytes, seed)) digest.update(piece);
        expect(await digest.digest()).toBe(expected);
      }
      const whole = new StreamDigest();
      whole.update(bytes);
      expect(await whole.digest()).toBe(expected);
    },
  );

  it('tells a changed byte apart', async () => {
    const bytes = randomBytes(BLOCK + 10);
    const expected = referenceDigest(bytes);
    bytes[BLOCK + 3]! ^= 1;
    const digest = new StreamDigest();
    digest.update(bytes);
    expect(await digest.digest()).not.toBe(expected);
  });

  it('refuses bytes after the digest was taken', async () => {
    const digest = new StreamDigest();
    await digest.digest();
    expect(() => digest.update(new Uint8Array(1))).toThrow(/already taken/);
  });
});

describe('FileDigest (the sending end)', () => {
  it.each(SIZES)(
    'matches the protocol digest for %i bytes from the blocks it was given',
    async (size) => {
      const bytes = randomBytes(size);
      const file = new Blob([bytes]);
      const digest = new FileDigest(file);
      for (let index = 0; index * BLOCK < size; index++) {
        const { start, end } = FileDigest.blockRange(index, size);
        digest.noteBlock(index, bytes.slice(start, end));
      }
      expect(await digest.digest()).toBe(referenceDigest(bytes));
    },
  );

  it('reads the blocks it was not given (a transfer resumed by another sender object)', async () => {
    const bytes = randomBytes(3 * BLOCK + 5);
    const digest = new FileDigest(new Blob([bytes]));
    digest.noteBlock(1, bytes.slice(BLOCK, 2 * BLOCK));
    expect(await digest.digest()).toBe(referenceDigest(bytes));
  });

  it('refuses a block of the wrong length, which would hash the wrong bytes', () => {
    const digest = new FileDigest(new Blob([randomBytes(BLOCK + 5)]));
    expect(() => digest.noteBlock(1, new Uint8Array(BLOCK))).toThrow(/wrong length/);
  });
});
