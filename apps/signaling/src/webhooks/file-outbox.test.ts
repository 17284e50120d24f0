import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookEvent } from './events.ts';
import { FileOutbox } from './file-outbox.ts';
import { RoomTimeline } from './room-timeline.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-outbox-'));
  dirs.push(dir);
  return dir;
}

/** Events from a real timeline, so snapshots and replays are consistent. */
function eventsFor(count: number, rooms = 3): { events: WebhookEvent[]; timeline: RoomTimeline } {
  const events: WebhookEvent[] = [];
  const timeline = new RoomTimeline((e) => events.push(e));
  for (let i = 0; i < count; i++) timeline.joined(`room-${i % rooms}`, `peer-${i}`, `P${i}`);
  return { events, timeline };
}

const A = 'https://a.example/hook';
const B = 'https://b.example/hook';

describe('FileOutbox', () => {
  it('keeps what is not acknowledged, per endpoint, across a reopen', async () => {
    const dir = await freshDir();
    const { events } = eventsFor(2, 1); // room.started, joined, joined
    expect(events).toHaveLength(3);
    const outbox = new FileOutbox(dir, () => []);
    expect(await outbox.open()).toEqual({ rooms: [], replay: [], pending: [] });
    await Promise.all(events.map((e) => outbox.append(e, [A, B])));
    outbox.acknowledge(events[0]!.id, A);
    outbox.acknowledge(events[0]!.id, B);
    outbox.acknowledge(events[1]!.id, B);
    expect(outbox.depth()).toBe(3 * 2 - 3);
    await outbox.close();

    const reopened = new FileOutbox(dir, () => []);
    const state = await reopened.open();
    expect(state.replay.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(state.pending.map((p) => [p.event.id, p.targets])).toEqual(
      events.slice(1).map((e, i) => [e.id, i === 0 ? [A] : [A, B]]),
    );
    expect(reopened.depth()).toBe(3);
    await reopened.close();
  });

  it('cuts off a torn last line (a write SIGKILL interrupted) and appends cleanly after it', async () => {
    const dir = await freshDir();
    const { events } = eventsFor(1); // room.started, joined
    const outbox = new FileOutbox(dir, () => []);
    await outbox.open();
    await outbox.append(events[0]!, [A]);
    await outbox.close();
    await appendFile(join(dir, 'outbox.jsonl'), '{"k":"e","e":{"id":"evt_torn');

    const again = new FileOutbox(dir, () => []);
    expect((await again.open()).pending.map((p) => p.event.id)).toEqual([events[0]!.id]);
    await again.append(events[1]!, [A]);
    await again.close();
    const third = new FileOutbox(dir, () => []);
    expect((await third.open()).pending.map((p) => p.event.id)).toEqual(events.map((e) => e.id));
    await third.close();
  });

  it('compacts to a snapshot plus what is pending, and restores the same rooms and pending events', async () => {
    const dir = await freshDir();
    const { events, timeline } = eventsFor(200);
    const outbox = new FileOutbox(dir, () => timeline.snapshot(), 4096);
    await outbox.open();
    for (const e of events) {
      await outbox.append(e, [A]);
      if (e.data.sequence % 2 === 0 || e.type === 'room.started') outbox.acknowledge(e.id, A);
    }
    await outbox.append(events[0]!, [B]); // one more write, which triggers a compaction
    await outbox.close();
    const text = await readFile(join(dir, 'outbox.jsonl'), 'utf8');
    // Compacted: it starts with a snapshot and holds fewer lines than were written.
    expect(text.startsWith('{"k":"s"')).toBe(true);
    expect(text.split('\n').length).toBeLessThan(events.length * 1.5);

    const restored = new RoomTimeline(() => undefined);
    const reopened = new FileOutbox(dir, () => restored.snapshot());
    const state = await reopened.open();
    restored.restore(state.rooms);
    for (const e of state.replay) restored.apply(e);
    expect(restored.snapshot()).toEqual(timeline.snapshot());
    const expectedPending = events.filter(
      (e) => !(e.data.sequence % 2 === 0 || e.type === 'room.started'),
    );
    expect(state.pending.filter((p) => p.targets.includes(A)).map((p) => p.event.id)).toEqual(
      expectedPending.map((e) => e.id),
    );
    await reopened.close();
  });
});
