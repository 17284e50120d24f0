import type { SinkReply, SinkRequest } from './opfs-sink-messages.ts';
import { clearStaleTabFolders, tabDirectory, tabFolder } from './opfs-tab-folder.ts';
import { NoRoomError, type ByteSink } from './transfer-types.ts';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<SinkRequest>;

/**
 * Writes an incoming file into the Origin Private File System, so memory use does not grow
 * with file size, and hashes it as it goes. Both happen in a worker (opfs-writer.worker.ts):
 * each batch is handed over without a copy (its buffers are transferred), and the main thread
 * stays free for the data channel. The finished File is disk-backed and offered through a
 * normal download.
 */
export async function openOpfsSink(transferId: string, size: number): Promise<ByteSink> {
  // Say so at Accept, not at 90 %, when the file cannot fit in what the browser allows this site.
  const { quota, usage } = await navigator.storage.estimate().catch(() => ({}) as StorageEstimate);
  if (quota !== undefined && usage !== undefined && quota - usage < size)
    throw new NoRoomError(Math.max(0, quota - usage));
  const worker = new Worker(new URL('./opfs-writer.worker.ts', import.meta.url), {
    type: 'module',
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  const fail = (error: Error) => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.onmessage = ({ data }: MessageEvent<SinkReply>) => {
    const waiting = pending.get(data.id);
    pending.delete(data.id);
    if (data.ok) waiting?.resolve(data.value);
    else waiting?.reject(new Error(data.error));
  };
  worker.onerror = (event) => fail(new Error(event.message || 'the file writer failed'));
  const call = <T>(request: Request, transfer: Transferable[] = []): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id }, transfer);
    });

  try {
    await call({ op: 'open', folder: await tabFolder(), name: transferId });
  } catch (error) {
    worker.terminate();
    throw error;
  }
  let ended = false;
  return {
    async write(chunks, position) {
      await call({ op: 'write', position, chunks }, chunks);
    },
    digest: () => call<string>({ op: 'digest' }),
    async finish() {
      ended = true;
      await call({ op: 'close' });
      worker.terminate();
      const directory = await tabDirectory(false);
      return (await directory.getFileHandle(transferId)).getFile();
    },
    async discard() {
      // The worker closes its handle and removes the file; only a finished file, or a worker
      // that could not do it, leaves the removal to this side.
      const removed =
        !ended &&
        (await call({ op: 'discard' }).then(
          () => true,
          () => false,
        ));
      ended = true;
      worker.terminate();
      if (removed) return;
      const directory = await tabDirectory(false).catch(() => undefined);
      await directory?.removeEntry(transferId).catch(() => undefined);
    },
  };
}

/**
 * Removes files left behind by tabs that are gone (one closed mid-transfer), never those of a
 * tab still open: see opfs-tab-folder.ts.
 */
export async function clearOpfsLeftovers(): Promise<void> {
  await clearStaleTabFolders();
}
