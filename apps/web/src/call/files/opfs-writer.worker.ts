import { StreamDigest } from './file-digest.ts';
import { OPFS_DIRECTORY, type SinkReply, type SinkRequest } from './opfs-sink-messages.ts';

/**
 * The receiving end of a transfer, off the main thread: hashes each batch of received bytes and
 * writes it into the Origin Private File System. A sync access handle (workers only) writes in
 * place, with no swap file to copy on close and no round trip to the browser per write; where a
 * browser lacks it, a writable stream does the same job. Requests are handled strictly in order.
 */

/** Part of FileSystemSyncAccessHandle (TypeScript's DOM library only declares it for workers). */
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<SinkRequest>) => void) | null;
  postMessage(message: SinkReply): void;
};

let target:
  | {
      directory: FileSystemDirectoryHandle;
      name: string;
      access: SyncAccessHandle | undefined;
      writable: FileSystemWritableFileStream | undefined;
      hash: StreamDigest;
      written: number;
      digest: Promise<string> | undefined;
    }
  | undefined;

async function open(folder: string, name: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  const base = await root.getDirectoryHandle(OPFS_DIRECTORY, { create: true });
  const directory = await base.getDirectoryHandle(folder, { create: true });
  const handle = await directory.getFileHandle(name, { create: true });
  const sync = handle as unknown as { createSyncAccessHandle?: () => Promise<SyncAccessHandle> };
  let access: SyncAccessHandle | undefined;
  let writable: FileSystemWritableFileStream | undefined;
  try {
    access = await sync.createSyncAccessHandle?.();
  } catch {
    access = undefined;
  }
  // Storage is claimed as bytes arrive, never the announced size up front: a peer could
  // otherwise announce 10 GiB and hold that much of this site's quota on one Accept (issue 14).
  // Whether the file can fit is checked against the browser's estimate at Accept instead.
  if (!access) writable = await handle.createWritable({ keepExistingData: false });
  target = {
    directory,
    name,
    access,
    writable,
    hash: new StreamDigest(),
    written: 0,
    digest: undefined,
  };
}

async function handle(request: SinkRequest): Promise<number | string | undefined> {
  if (request.op === 'open') {
    await open(request.folder, request.name);
    return undefined;
  }
  const t = target;
  if (!t) throw new Error('the sink is not open');
  switch (request.op) {
    case 'write': {
      // Bytes arrive in order and are never rewritten, so hashing writes in order hashes the file.
      if (request.position !== t.written || t.digest !== undefined)
        throw new Error(`write at ${request.position}, expected ${t.written}`);
      for (const chunk of request.chunks) {
        const bytes = new Uint8Array(chunk);
        t.hash.update(bytes);
        const at = t.written;
        if (t.access) {
          for (let done = 0; done < bytes.length;)
            done += t.access.write(bytes.subarray(done), { at: at + done });
        } else {
          await t.writable?.write({ type: 'write', position: at, data: bytes });
        }
        t.written += bytes.length;
      }
      return t.written;
    }
    case 'digest':
      t.digest ??= t.hash.digest();
      return await t.digest;
    case 'close':
      t.access?.flush();
      t.access?.close();
      await t.writable?.close();
      return undefined;
    case 'discard':
      try {
        t.access?.close();
        await t.writable?.abort();
      } catch {
        // already closed
      }
      await t.directory.removeEntry(t.name).catch(() => undefined);
      return undefined;
  }
}

let queue: Promise<unknown> = Promise.resolve();
scope.onmessage = ({ data: request }) => {
  queue = queue
    .then(() => handle(request))
    .then(
      (value) => scope.postMessage({ id: request.id, ok: true, value }),
      (error: unknown) => scope.postMessage({ id: request.id, ok: false, error: String(error) }),
    );
};
