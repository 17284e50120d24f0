import { sha256OfBlob } from './sha256.ts';

/**
 * Hashes a file being sent, off the main thread: the send loop reads and sends while this
 * reads and hashes the same file in parallel (the OS caches it, so it is read from disk once).
 */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Blob>) => void) | null;
  postMessage(message: { sha256: string } | { error: string }): void;
};

scope.onmessage = ({ data: file }) => {
  sha256OfBlob(file).then(
    (sha256) => scope.postMessage({ sha256 }),
    (error: unknown) => scope.postMessage({ error: String(error) }),
  );
};
