/** Figures from getStats, for the connection indicator and for tests. */
export interface LinkStats {
  framesDecoded: number;
  audioPacketsReceived: number;
  /** Round-trip time of the selected candidate pair. */
  rttMs: number | undefined;
  /** `relay` when either side of the selected pair is a TURN relay. */
  route: 'direct' | 'relay' | undefined;
  /** Candidate types of the selected pair: host, srflx, prflx or relay. */
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
  /** Share of inbound RTP packets lost since the previous reading, in percent. */
  lossPercent: number | undefined;
  /** Bitrates since the previous reading, over the selected candidate pair, in kbit/s. */
  sendKbps: number | undefined;
  receiveKbps: number | undefined;
  /** Outgoing video bitrate alone (what the mesh budget limits), in kbit/s. */
  videoSendKbps: number | undefined;
  /**
   * Incoming video bitrate alone, from inbound-rtp video bytes, in kbit/s. What a tile shows:
   * the candidate pair's bytes also count data-channel traffic (a file transfer read as 121 Mb/s).
   */
  videoReceiveKbps: number | undefined;
}

/** Cumulative counters kept between readings, to turn them into rates. */
export interface StatsTotals {
  at: number;
  bytesSent: number;
  bytesReceived: number;
  videoBytesSent: number;
  videoBytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}

type StatsEntry = Record<string, unknown>;

/** Reads one getStats report; `previous` (the last reading's totals) turns counters into rates. */
export function readStats(
  report: { forEach(callback: (entry: StatsEntry) => void): void },
  at: number,
  previous: StatsTotals | undefined,
): { stats: LinkStats; totals: StatsTotals } {
  const stats: LinkStats = {
    framesDecoded: 0,
    audioPacketsReceived: 0,
    rttMs: undefined,
    route: undefined,
    localCandidateType: undefined,
    remoteCandidateType: undefined,
    lossPercent: undefined,
    sendKbps: undefined,
    receiveKbps: undefined,
    videoSendKbps: undefined,
    videoReceiveKbps: undefined,
  };
  const totals: StatsTotals = {
    at,
    bytesSent: 0,
    bytesReceived: 0,
    videoBytesSent: 0,
    videoBytesReceived: 0,
    packetsReceived: 0,
    packetsLost: 0,
  };
  const byId = new Map<string, StatsEntry>();
  report.forEach((entry) => byId.set(entry.id as string, entry));
  for (const entry of byId.values()) {
    if (entry.type === 'inbound-rtp') {
      totals.packetsReceived += Number(entry.packetsReceived ?? 0);
      totals.packetsLost += Math.max(0, Number(entry.packetsLost ?? 0));
      if (entry.kind === 'video') {
        stats.framesDecoded += Number(entry.framesDecoded ?? 0);
        totals.videoBytesReceived += Number(entry.bytesReceived ?? 0);
      }
      if (entry.kind === 'audio') stats.audioPacketsReceived += Number(entry.packetsReceived ?? 0);
    }
    if (entry.type === 'outbound-rtp' && entry.kind === 'video')
      totals.videoBytesSent += Number(entry.bytesSent ?? 0);
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string') {
      const pair = byId.get(entry.selectedCandidatePairId);
      if (pair) {
        if (typeof pair.currentRoundTripTime === 'number')
          stats.rttMs = Math.round(pair.currentRoundTripTime * 1000);
        totals.bytesSent += Number(pair.bytesSent ?? 0);
        totals.bytesReceived += Number(pair.bytesReceived ?? 0);
        const local = byId.get(pair.localCandidateId as string);
        const remote = byId.get(pair.remoteCandidateId as string);
        stats.localCandidateType = local?.candidateType as string | undefined;
        stats.remoteCandidateType = remote?.candidateType as string | undefined;
        stats.route =
          local?.candidateType === 'relay' || remote?.candidateType === 'relay'
            ? 'relay'
            : 'direct';
      }
    }
  }
  if (previous) {
    const seconds = (totals.at - previous.at) / 1000;
    // Counters restart when the selected pair changes (an ICE restart): skip that reading.
    const kbps = (now: number, before: number) =>
      seconds > 0 && now >= before ? Math.round(((now - before) * 8) / seconds / 1000) : undefined;
    stats.sendKbps = kbps(totals.bytesSent, previous.bytesSent);
    stats.receiveKbps = kbps(totals.bytesReceived, previous.bytesReceived);
    stats.videoSendKbps = kbps(totals.videoBytesSent, previous.videoBytesSent);
    stats.videoReceiveKbps = kbps(totals.videoBytesReceived, previous.videoBytesReceived);
    const received = totals.packetsReceived - previous.packetsReceived;
    const lost = totals.packetsLost - previous.packetsLost;
    if (received >= 0 && lost >= 0 && received + lost > 0)
      stats.lossPercent = Math.round((lost / (received + lost)) * 1000) / 10;
  }
  return { stats, totals };
}
