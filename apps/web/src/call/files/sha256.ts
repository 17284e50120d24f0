import { createSHA256 } from 'hash-wasm';
import type { IncrementalHash } from './transfer-types.ts';

/** Read a Blob in slices this large when hashing it: each read is a round trip. */
const READ_BLOCK_BYTES = 4 * 1024 * 1024;

/** Incremental SHA-256 (Web Crypto can only hash a whole buffer at once). */
export async function createSha256(): Promise<IncrementalHash> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (data) => void hasher.update(data),
    digest: () => hasher.digest('hex'),
  };
}

/** SHA-256 (hex) of a whole Blob, read slice by slice, so a large file never sits in memory. */
export async function sha256OfBlob(blob: Blob): Promise<string> {
  const hash = await createSha256();
  for (let offset = 0; offset < blob.size; offset += READ_BLOCK_BYTES) {
    const end = Math.min(blob.size, offset + READ_BLOCK_BYTES);
    hash.update(new Uint8Array(await blob.slice(offset, end).arrayBuffer()));
  }
  return hash.digest();
}
