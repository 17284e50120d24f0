import { createSha256 } from './sha256.ts';
import type { IncrementalHash } from './transfer-types.ts';
import type { SinkReply, SinkRequest } from './opfs-sink-messages.ts';

/**
 * The receiving end of a transfer, off the main thread: hashes each batch of received bytes and
 * writes it into the Origin Private File System. A sync access handle (workers only) writes in
 * place, with no swap file to copy on close and no round trip to the browser per write; where a
 * browser lacks it, a writable stream does the same job. Requests are handled strictly in order.
 */

/** Part of FileSystemSyncAccessHandle (TypeScript's DOM library only declares it for workers). */
interface SyncAccessHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

const DIRECTORY = 'parley-incoming';

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
      hash: IncrementalHash;
      written: number;
      digest: string | undefined;
    }
  | undefined;

async function open(name: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  const directory = await root.getDirectoryHandle(DIRECTORY, { create: true });
  const handle = await directory.getFileHandle(name, { create: true });
  const sync = handle as unknown as { createSyncAccessHandle?: () => Promise<SyncAccessHandle> };
  let access: SyncAccessHandle | undefined;
  let writable: FileSystemWritableFileStream | undefined;
  try {
    access = await sync.createSyncAccessHandle?.();
    access?.truncate(0);
  } catch {
    access = undefined;
  }
  if (!access) writable = await handle.createWritable({ keepExistingData: false });
  target = {
    directory,
    name,
    access,
    writable,
    hash: await createSha256(),
    written: 0,
    digest: undefined,
  };
}

async function handle(request: SinkRequest): Promise<number | string | undefined> {
  if (request.op === 'open') {
    await open(request.name);
    return undefined;
  }
  const t = target;
  if (!t) throw new Error('the sink is not open');
  switch (request.op) {
    case 'write': {
      // Bytes arrive in order and are never rewritten, so hashing writes in order hashes the file.
      if (request.position !== t.written || t.digest !== undefined)
        throw new Error(`write at ${request.position}, expected ${t.written}`);
      const bytes = new Uint8Array(request.data);
      t.hash.update(bytes);
      if (t.access) {
        for (let done = 0; done < bytes.length;)
          done += t.access.write(bytes.subarray(done), { at: request.position + done });
      } else {
        await t.writable?.write({ type: 'write', position: request.position, data: bytes });
      }
      t.written += bytes.length;
      return t.written;
    }
    case 'digest':
      t.digest ??= t.hash.digest();
      return t.digest;
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
