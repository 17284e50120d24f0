import type { PeerMessage } from '@parley/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DropCounter } from './drop-counter.ts';
import { PEER_RATE_LIMITS, PeerMessageGate } from './peer-message-gate.ts';
import { TokenBucket } from './token-bucket.ts';

const chat: PeerMessage = { type: 'chat', id: 'm', text: 'hi', sentAt: 0 };
const offer: PeerMessage = {
  type: 'file-offer',
  transferId: 'abcdefgh',
  name: 'a',
  size: 1,
  mime: '',
};
const ack: PeerMessage = { type: 'file-ack', transferId: 'abcdefgh', offset: 0 };

function admitted(gate: PeerMessageGate, peerId: string, message: PeerMessage, times: number) {
  let n = 0;
  for (let i = 0; i < times; i++) if (gate.admit(peerId, message)) n++;
  return n;
}

describe('TokenBucket', () => {
  it('gives the burst at once, then refills at its rate, never above the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 500; // half a second at 2/s: one token
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now = 60_000; // a long pause refills to the burst, not beyond
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(3);
  });
});

describe('PeerMessageGate', () => {
  it('lets a chat burst through, then the refill rate', () => {
    let now = 0;
    const gate = new PeerMessageGate(() => now);
    expect(admitted(gate, 'p', chat, 1000)).toBe(PEER_RATE_LIMITS.chat.burst);
    now = 10_000;
    expect(admitted(gate, 'p', chat, 1000)).toBe(PEER_RATE_LIMITS.chat.perSecond * 10);
  });
  it('limits each peer on its own', () => {
    const gate = new PeerMessageGate(() => 0);
    admitted(gate, 'flooder', chat, 1000);
    expect(gate.admit('flooder', chat)).toBe(false);
    expect(gate.admit('other', chat)).toBe(true);
  });
  it('keeps separate buckets: a chat flood does not stop file acknowledgements or offers', () => {
    const gate = new PeerMessageGate(() => 0);
    admitted(gate, 'p', chat, 1000);
    expect(admitted(gate, 'p', offer, 1000)).toBe(PEER_RATE_LIMITS.offer.burst);
    expect(admitted(gate, 'p', ack, 1000)).toBe(PEER_RATE_LIMITS.file.burst);
  });
  it('forgets a peer that left (a rejoin starts fresh)', () => {
    const gate = new PeerMessageGate(() => 0);
    admitted(gate, 'p', chat, 1000);
    gate.forget('p');
    expect(gate.admit('p', chat)).toBe(true);
  });
});

describe('DropCounter', () => {
  afterEach(() => void vi.useRealTimers());
  it('counts every drop but reports at most once per interval', () => {
    vi.useFakeTimers();
    const reports: unknown[] = [];
    const counter = new DropCounter((counts) => reports.push(counts), 1000);
    for (let i = 0; i < 5000; i++) counter.count(i % 2 ? 'invalid' : 'rate-limited');
    expect(reports).toHaveLength(0);
    vi.advanceTimersByTime(1000);
    expect(reports).toEqual([{ invalid: 2500, 'rate-limited': 2500, 'over-cap': 0 }]);
    counter.count('over-cap');
    counter.dispose();
    vi.advanceTimersByTime(5000);
    expect(reports).toHaveLength(1);
    expect(counter.totals['over-cap']).toBe(1);
  });
});
