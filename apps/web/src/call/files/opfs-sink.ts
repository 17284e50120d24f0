import type { ByteSink } from './transfer-types.ts';

const DIRECTORY = 'parley-incoming';

/**
 * Writes an incoming file into the Origin Private File System, so memory use does not grow
 * with file size. The finished File is disk-backed and offered through a normal download.
 */
export async function openOpfsSink(transferId: string): Promise<ByteSink> {
  const root = await navigator.storage.getDirectory();
  const directory = await root.getDirectoryHandle(DIRECTORY, { create: true });
  const handle = await directory.getFileHandle(transferId, { create: true });
  const writable = await handle.createWritable({ keepExistingData: false });
  let closed = false;
  return {
    async write(chunk, position) {
      await writable.write({ type: 'write', position, data: chunk });
    },
    async finish() {
      closed = true;
      await writable.close();
      return handle.getFile();
    },
    async discard() {
      if (!closed) await writable.abort().catch(() => undefined);
      closed = true;
      await directory.removeEntry(transferId).catch(() => undefined);
    },
  };
}

/** Removes files left behind by earlier visits (a tab closed mid-transfer). */
export async function clearOpfsLeftovers(): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(DIRECTORY, { recursive: true }).catch(() => undefined);
}
