import { createHash } from 'node:crypto';
import { FILE_DIGEST_BLOCK_BYTES } from '@parley/protocol';

/**
 * The protocol's file digest computed independently of file-digest.ts, with Node's own SHA-256:
 * SHA-256 over the SHA-256 of each FILE_DIGEST_BLOCK_BYTES block.
 */
export function referenceDigest(bytes: Uint8Array): string {
  const top = createHash('sha256');
  for (let at = 0; at < bytes.length; at += FILE_DIGEST_BLOCK_BYTES)
    top.update(
      createHash('sha256')
        .update(bytes.subarray(at, at + FILE_DIGEST_BLOCK_BYTES))
        .digest(),
    );
  return top.digest('hex');
}
