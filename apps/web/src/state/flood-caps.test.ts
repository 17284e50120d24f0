import { describe, expect, it } from 'vitest';
import type { TransferSnapshot } from '../call/files/transfer-types.ts';
import { appendCapped, MAX_CHAT_LINES, opensFilesPanel } from './flood-caps.ts';

const snap = (id: string, patch: Partial<TransferSnapshot> = {}): TransferSnapshot => ({
  id,
  direction: 'in',
  peerId: 'p',
  name: 'f',
  size: 1,
  transferred: 0,
  bytesSent: 0,
  state: 'offered',
  speed: 0,
  eta: undefined,
  verified: false,
  error: undefined,
  downloadUrl: undefined,
  ...patch,
});

describe('appendCapped', () => {
  it(`keeps the newest ${MAX_CHAT_LINES} lines`, () => {
    let lines: number[] = [];
    for (let i = 0; i < MAX_CHAT_LINES * 3; i++) lines = appendCapped(lines, i);
    expect(lines).toHaveLength(MAX_CHAT_LINES);
    expect(lines[0]).toBe(MAX_CHAT_LINES * 2);
    expect(lines.at(-1)).toBe(MAX_CHAT_LINES * 3 - 1);
  });
  it('does not change the array it was given (store state is immutable)', () => {
    const lines = [1, 2];
    appendCapped(lines, 3, 2);
    expect(lines).toEqual([1, 2]);
  });
});

describe('opensFilesPanel', () => {
  it('opens for the first incoming offer of a burst only', () => {
    const transfers: Record<string, TransferSnapshot> = {};
    let opens = 0;
    for (let i = 0; i < 50; i++) {
      const s = snap(`t${i}`);
      if (opensFilesPanel(transfers, s)) opens++;
      transfers[s.id] = s;
    }
    expect(opens).toBe(1);
  });
  it('opens again for a new offer once nothing waits for an answer', () => {
    const transfers = { t1: snap('t1', { state: 'declined' }), t2: snap('t2', { state: 'done' }) };
    expect(opensFilesPanel(transfers, snap('t3'))).toBe(true);
  });
  it('never opens for updates of a known transfer or for outgoing files', () => {
    expect(opensFilesPanel({ t1: snap('t1', { state: 'done' }) }, snap('t1'))).toBe(false);
    expect(opensFilesPanel({}, snap('t9', { direction: 'out' }))).toBe(false);
  });
});
