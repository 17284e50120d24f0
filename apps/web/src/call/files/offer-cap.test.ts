import type { FileMessage } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { FileTransfers, MAX_PENDING_OFFERS_PER_PEER } from './file-transfers.ts';
import type { TransferSnapshot } from './transfer-types.ts';

function receiver() {
  const sent: Array<{ to: string; message: FileMessage }> = [];
  const shown = new Map<string, TransferSnapshot>();
  let refused = 0;
  const transfers = new FileTransfers({
    peer: (peerId) => ({
      sendControl: (message) => (sent.push({ to: peerId, message }), true),
      openChannel: () => {
        throw new Error('not opened in this test');
      },
      maxMessageSize: () => 65536,
    }),
    isPolite: () => true,
    displayName: () => 'X',
    onUpdate: (snapshot) => shown.set(snapshot.id, snapshot),
    onOfferRefused: () => refused++,
    maxFileBytes: () => 1e9,
    openSink: () => Promise.reject(new Error('no storage in this test')),
  });
  const offer = (peerId: string, n: number) =>
    transfers.handle(peerId, {
      type: 'file-offer',
      transferId: `transfer${n}`.padEnd(8, '0'),
      name: `f${n}`,
      size: 10,
      mime: '',
    });
  return { transfers, sent, shown, offer, refused: () => refused };
}

describe('pending offers per peer', () => {
  it(`shows at most ${MAX_PENDING_OFFERS_PER_PEER} unanswered offers from one peer; the rest are declined unseen and counted`, () => {
    const r = receiver();
    for (let i = 0; i < MAX_PENDING_OFFERS_PER_PEER + 30; i++) r.offer('flooder', i);
    expect(r.shown.size).toBe(MAX_PENDING_OFFERS_PER_PEER);
    expect(r.refused()).toBe(30);
    expect(r.sent.filter((s) => s.message.type === 'file-decline')).toHaveLength(30);
    // Another participant is not affected by the flooder's cap.
    r.offer('friend', 1000);
    expect([...r.shown.values()].filter((s) => s.peerId === 'friend')).toHaveLength(1);
  });
  it('frees a place once an offer is answered', () => {
    const r = receiver();
    for (let i = 0; i < MAX_PENDING_OFFERS_PER_PEER; i++) r.offer('p', i);
    r.transfers.decline([...r.shown.keys()][0]!);
    r.offer('p', 500);
    expect(r.refused()).toBe(0);
    r.offer('p', 501);
    expect(r.refused()).toBe(1);
  });
});
