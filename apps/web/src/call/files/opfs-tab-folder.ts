import { randomId } from '@parley/protocol';
import { OPFS_DIRECTORY } from './opfs-sink-messages.ts';

/**
 * Each tab writes its incoming files into its own folder, OPFS_DIRECTORY/<tab id>, and holds a
 * Web Lock named after it for as long as the page lives. The browser releases the lock when the
 * tab closes or crashes, so a folder whose lock is free is a leftover, and only those are
 * removed. Before, cleanup removed the whole OPFS_DIRECTORY, including another open tab's
 * downloads (issue 14).
 */

const TAB_FOLDER = randomId();
const LOCK_PREFIX = 'parley-opfs-tab:';
let holding: Promise<string> | undefined;

/** This tab's folder name, once its lock is held (the lock is never released by the page). */
export function tabFolder(): Promise<string> {
  holding ??= new Promise<string>((resolve, reject) => {
    if (!('locks' in navigator)) return resolve(TAB_FOLDER);
    navigator.locks
      .request(`${LOCK_PREFIX}${TAB_FOLDER}`, () => {
        resolve(TAB_FOLDER);
        return new Promise<never>(() => undefined);
      })
      .catch(reject);
  });
  return holding;
}

export async function tabDirectory(create: boolean): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  const base = await root.getDirectoryHandle(OPFS_DIRECTORY, { create });
  return base.getDirectoryHandle(await tabFolder(), { create });
}

/**
 * Removes the folders of tabs that are gone, and loose files from before per-tab folders. A
 * folder stays if its tab's lock is held (that tab is open) or, without Web Locks, always.
 */
export async function clearStaleTabFolders(): Promise<string[]> {
  const own = await tabFolder();
  if (!('locks' in navigator)) return [];
  const root = await navigator.storage.getDirectory();
  const base = await root.getDirectoryHandle(OPFS_DIRECTORY).catch(() => undefined);
  if (!base) return [];
  const removed: string[] = [];
  const entries = (
    base as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
  ).entries();
  const names: Array<[string, FileSystemHandle]> = [];
  for await (const entry of entries) names.push(entry);
  for (const [name, handle] of names) {
    if (name === own) continue;
    if (handle.kind === 'file') {
      // The old layout kept files at the top; no tab of this version writes there.
      await base.removeEntry(name).then(
        () => removed.push(name),
        () => undefined,
      );
      continue;
    }
    // Taking the tab's lock ourselves, only if free, means no tab can be using the folder.
    await navigator.locks.request(`${LOCK_PREFIX}${name}`, { ifAvailable: true }, async (lock) => {
      if (!lock) return;
      await base.removeEntry(name, { recursive: true }).then(
        () => removed.push(name),
        () => undefined,
      );
    });
  }
  return removed;
}
