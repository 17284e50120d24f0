import { describe, expect, it, vi } from 'vitest';
import type { WebhookEvent } from './events.ts';
import { RoomTimeline } from './room-timeline.ts';

function timeline() {
  const events: WebhookEvent[] = [];
  return { events, t: new RoomTimeline((e) => events.push(e)) };
}

describe('RoomTimeline', () => {
  it('ignores a join for a seat already announced and a leave for one never announced', () => {
    const { events, t } = timeline();
    t.joined('r', 'a', 'A');
    t.joined('r', 'a', 'A'); // e.g. a resume on a restarted instance
    t.left('r', 'zz', 'left');
    t.left('other', 'a', 'timeout');
    expect(events.map((e) => e.type)).toEqual(['room.started', 'participant.joined']);
  });

  it('starts a new session, with its sequence from 1, when a finished room is used again', () => {
    const { events, t } = timeline();
    t.joined('r', 'a', 'A');
    t.left('r', 'a', 'left');
    t.joined('r', 'b', 'B');
    const sessions = events.map((e) => [e.data.roomSessionId, e.data.sequence]);
    expect(sessions.slice(0, 4).map(([, seq]) => seq)).toEqual([1, 2, 3, 4]);
    expect(sessions.slice(4).map(([, seq]) => seq)).toEqual([1, 2]);
    expect(sessions[4]![0]).not.toBe(sessions[0]![0]);
  });

  it('after a restart, announces as timed out whoever does not come back within the grace', () => {
    vi.useFakeTimers();
    try {
      const before = timeline();
      before.t.joined('r', 'a', 'A');
      before.t.joined('r', 'b', 'B');
      const { events, t } = timeline();
      t.restore(before.t.snapshot());
      t.expireUnconfirmedAfter(1000);
      t.joined('r', 'a', 'A'); // A resumes: no event
      vi.advanceTimersByTime(1000);
      expect(
        events.map((e) => [e.type, e.data.sequence, e.data.participant.id, e.data.reason]),
      ).toEqual([['participant.left', 4, 'b', 'timeout']]);
      t.left('r', 'a', 'left');
      expect(events.map((e) => e.type).slice(1)).toEqual(['participant.left', 'room.finished']);
    } finally {
      vi.useRealTimers();
    }
  });
});
