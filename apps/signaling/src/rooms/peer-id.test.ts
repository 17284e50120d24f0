import { ID_PATTERN } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { newPeerId } from './peer-id.ts';
import { isPolite } from './room.ts';

describe('peer IDs', () => {
  it('are valid protocol IDs with 128 random bits after the time', () => {
    const ids = Array.from({ length: 50 }, () => newPeerId());
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
    expect(new Set(ids.map((id) => id.slice(12))).size).toBe(ids.length);
  });

  it('sort in the order they were made, within a millisecond and when the clock steps back', () => {
    const now = Date.now() + 60_000;
    const ids = [newPeerId(now), newPeerId(now), newPeerId(now - 5_000), newPeerId(now + 1)];
    expect([...ids].sort()).toEqual(ids);
  });

  it('make whoever was there first the polite side, so the newcomer offers', () => {
    const first = newPeerId();
    const newcomer = newPeerId();
    expect(isPolite(first, newcomer)).toBe(true);
    expect(isPolite(newcomer, first)).toBe(false);
  });
});
