import { createSHA256 } from 'hash-wasm';
import type { IncrementalHash } from './transfer-types.ts';

/** Incremental SHA-256 (Web Crypto can only hash a whole buffer at once). */
export async function createSha256(): Promise<IncrementalHash> {
  const hasher = await createSHA256();
  hasher.init();
  return {
    update: (data) => void hasher.update(data),
    digest: () => hasher.digest('hex'),
  };
}
