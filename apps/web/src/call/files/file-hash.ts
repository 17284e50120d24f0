/** SHA-256 (hex) of a file to send, computed in a worker so the send loop keeps the main thread. */
export function hashFileInWorker(file: Blob): Promise<string> {
  const worker = new Worker(new URL('./file-hash.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<string>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<{ sha256: string } | { error: string }>) =>
      'sha256' in data ? resolve(data.sha256) : reject(new Error(data.error));
    worker.onerror = (event) => reject(new Error(event.message || 'the hashing worker failed'));
    worker.postMessage(file);
  }).finally(() => worker.terminate());
}
