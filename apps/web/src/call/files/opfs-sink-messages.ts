/**
 * The OPFS folder incoming files are written to, by the worker, and read or cleared from; each
 * tab has a folder of its own inside it (opfs-tab-folder.ts).
 */
export const OPFS_DIRECTORY = 'parley-incoming';

/** Messages between the main thread's OPFS sink and its writer worker (opfs-writer.worker.ts). */
export type SinkRequest = { id: number } & (
  | { op: 'open'; folder: string; name: string }
  | { op: 'write'; position: number; chunks: ArrayBuffer[] }
  | { op: 'digest' }
  | { op: 'close' }
  | { op: 'discard' }
);

export type SinkReply =
  | { id: number; ok: true; value: number | string | undefined }
  | { id: number; ok: false; error: string };
