import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { WebhookEvent } from './events.ts';
import type { Outbox, OutboxState, PendingEvent } from './outbox.ts';
import type { RoomSnapshot } from './room-timeline.ts';

/**
 * The single-instance outbox: one append-only JSON-lines file under DATA_DIR.
 *
 *   {"k":"e","e":<event>,"to":[urls]}   an event, written (and fdatasync'd) before delivery
 *   {"k":"a","id":"evt_…","to":"url"}    an endpoint acknowledged it (written lazily)
 *   {"k":"s","rooms":[…]}                 the room view at a compaction (first line only)
 *   {"k":"p","e":<event>,"to":[urls]}   an event carried over by a compaction, still pending
 *
 * Appends are grouped: every event queued while one write+fdatasync is in progress goes into
 * the next one, so a burst costs one sync, not one per event. A SIGKILL can tear only the last
 * line; `open` cuts it off. When the file has grown to twice what is still live, it is
 * rewritten from memory (snapshot + pending) to a temporary file, synced and renamed over.
 */

const FILE = 'outbox.jsonl';
const MIN_COMPACT_BYTES = 4 * 1024 * 1024;

type Line =
  | { k: 'e' | 'p'; e: WebhookEvent; to: string[] }
  | { k: 'a'; id: string; to: string }
  | { k: 's'; rooms: RoomSnapshot[] };

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class FileOutbox implements Outbox {
  private readonly path: string;
  private handle: FileHandle | undefined;
  private readonly pending = new Map<string, { event: WebhookEvent; targets: Set<string> }>();
  private pairs = 0;
  private queued: string[] = [];
  private waiters: Waiter[] = [];
  private draining: Promise<void> | undefined;
  private bytes = 0;
  private compactAt = MIN_COMPACT_BYTES;

  constructor(
    private readonly dir: string,
    /** The live room view, written at the head of a compacted file. */
    private readonly rooms: () => RoomSnapshot[],
    private readonly minCompactBytes = MIN_COMPACT_BYTES,
  ) {
    this.path = join(dir, FILE);
    this.compactAt = minCompactBytes;
  }

  async open(): Promise<OutboxState> {
    await mkdir(this.dir, { recursive: true });
    await rm(`${this.path}.tmp`, { force: true }); // a compaction that never finished
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    let rooms: RoomSnapshot[] = [];
    const replay: WebhookEvent[] = [];
    let goodBytes = 0;
    let offset = 0;
    while (offset < text.length) {
      const end = text.indexOf('\n', offset);
      if (end === -1) break; // a torn last line: the write it belonged to never completed
      const raw = text.slice(offset, end);
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        break;
      }
      offset = end + 1;
      goodBytes += Buffer.byteLength(raw) + 1;
      if (line.k === 's') rooms = line.rooms;
      else if (line.k === 'a') this.forget(line.id, line.to);
      else {
        if (line.k === 'e') replay.push(line.e);
        this.remember(line.e, line.to);
      }
    }
    this.handle = await open(this.path, 'a+');
    const { size } = await this.handle.stat();
    if (size !== goodBytes) {
      await this.handle.truncate(goodBytes);
      await this.handle.datasync();
    }
    this.bytes = goodBytes;
    this.compactAt = Math.max(this.minCompactBytes, 2 * goodBytes);
    const pending: PendingEvent[] = [...this.pending.values()].map((p) => ({
      event: p.event,
      targets: [...p.targets],
    }));
    return { rooms, replay, pending };
  }

  append(event: WebhookEvent, targets: readonly string[]): Promise<void> {
    this.remember(event, targets);
    this.queued.push(JSON.stringify({ k: 'e', e: event, to: [...targets] } satisfies Line) + '\n');
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.drain();
    return durable;
  }

  acknowledge(eventId: string, target: string): void {
    if (!this.forget(eventId, target)) return;
    this.queued.push(JSON.stringify({ k: 'a', id: eventId, to: target } satisfies Line) + '\n');
    this.drain();
  }

  depth(): number {
    return this.pairs;
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.handle?.datasync();
    await this.handle?.close();
    this.handle = undefined;
  }

  private remember(event: WebhookEvent, targets: readonly string[]): void {
    if (targets.length === 0) return;
    this.pending.set(event.id, { event, targets: new Set(targets) });
    this.pairs += targets.length;
  }

  private forget(eventId: string, target: string): boolean {
    const entry = this.pending.get(eventId);
    if (!entry?.targets.delete(target)) return false;
    this.pairs -= 1;
    if (entry.targets.size === 0) this.pending.delete(eventId);
    return true;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = this.writeLoop().finally(() => {
      this.draining = undefined;
      // Anything queued after the loop's last check.
      if (this.queued.length > 0) this.drain();
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queued.length > 0) {
      const waiters = this.waiters.splice(0);
      try {
        const handle = this.handle;
        if (!handle) throw new Error('the webhook outbox is closed');
        if (this.bytes >= this.compactAt) {
          await this.compact();
        } else {
          const chunk = this.queued.splice(0).join('');
          await handle.write(chunk);
          this.bytes += Buffer.byteLength(chunk);
          // Only events need to be durable before they are sent; acknowledgements ride along.
          if (waiters.length > 0) await handle.datasync();
        }
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
  }

  /**
   * Rewrites the file from memory. Everything queued is already reflected in memory (the
   * pending map and the room view change when an event is queued), so the queue is dropped
   * and its waiters are released once the new file is durable.
   */
  private async compact(): Promise<void> {
    this.queued = [];
    const lines: string[] = [JSON.stringify({ k: 's', rooms: this.rooms() } satisfies Line)];
    for (const { event, targets } of this.pending.values())
      lines.push(JSON.stringify({ k: 'p', e: event, to: [...targets] } satisfies Line));
    const content = lines.join('\n') + '\n';
    const tmp = await open(`${this.path}.tmp`, 'w');
    try {
      await tmp.write(content);
      await tmp.datasync();
    } finally {
      await tmp.close();
    }
    await rename(`${this.path}.tmp`, this.path);
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync(); // the rename itself must survive a power cut
    } finally {
      await dir.close();
    }
    await this.handle?.close();
    this.handle = await open(this.path, 'a');
    this.bytes = Buffer.byteLength(content);
    this.compactAt = Math.max(this.minCompactBytes, 2 * this.bytes);
  }
}
