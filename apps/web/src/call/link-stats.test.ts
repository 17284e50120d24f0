import { describe, expect, it } from 'vitest';
import { readStats } from './link-stats.ts';

/** A getStats report as Chromium shapes it: entries linked by ID. */
function report(
  bytes: { sent: number; received: number; video: number },
  lost: number,
  videoPackets = 900,
) {
  return [
    { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
    {
      id: 'P1',
      type: 'candidate-pair',
      currentRoundTripTime: 0.0425,
      bytesSent: bytes.sent,
      bytesReceived: bytes.received,
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
    },
    { id: 'L1', type: 'local-candidate', candidateType: 'host' },
    { id: 'R1', type: 'remote-candidate', candidateType: 'relay' },
    {
      id: 'IV',
      type: 'inbound-rtp',
      kind: 'video',
      packetsReceived: videoPackets,
      packetsLost: lost,
      framesDecoded: 300,
    },
    { id: 'IA', type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: 0 },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', bytesSent: bytes.video },
  ];
}

describe('readStats', () => {
  it('reads the selected pair: RTT, candidate types, relayed when either side is a relay', () => {
    const { stats } = readStats(report({ sent: 0, received: 0, video: 0 }, 0), 0, undefined);
    expect(stats).toMatchObject({
      rttMs: 43,
      localCandidateType: 'host',
      remoteCandidateType: 'relay',
      route: 'relay',
      framesDecoded: 300,
      audioPacketsReceived: 100,
    });
    // Rates need a previous reading.
    expect(stats.sendKbps).toBeUndefined();
    expect(stats.lossPercent).toBeUndefined();
  });

  it('turns counters into rates and loss since the previous reading', () => {
    const first = readStats(report({ sent: 0, received: 0, video: 0 }, 0), 1000, undefined);
    const second = readStats(
      report({ sent: 125_000, received: 250_000, video: 100_000 }, 10, 900 + 990),
      2000,
      first.totals,
    ).stats;
    expect(second).toMatchObject({ sendKbps: 1000, receiveKbps: 2000, videoSendKbps: 800 });
    // 990 more packets arrived and 10 more were lost: 1 % of the 1000 sent meanwhile.
    expect(second.lossPercent).toBe(1);
  });

  it('skips a rate whose counter went backwards (the pair changed in an ICE restart)', () => {
    const first = readStats(report({ sent: 500_000, received: 0, video: 0 }, 0), 1000, undefined);
    const second = readStats(report({ sent: 1000, received: 0, video: 0 }, 0), 2000, first.totals);
    expect(second.stats.sendKbps).toBeUndefined();
  });
});
