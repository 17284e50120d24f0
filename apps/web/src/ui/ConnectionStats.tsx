import type { LinkStats } from '../call/peer-link.ts';

/**
 * The connection indicator on a remote tile: direct or relayed, and the health figures people
 * ask about when a call stutters. The data attributes carry the raw candidate types for tests
 * and support questions; the text is the readable summary.
 */
export function ConnectionStats({ stats, name }: { stats: LinkStats | undefined; name: string }) {
  const route = stats?.route ?? 'unknown';
  const parts = [
    route === 'relay' ? 'Relayed' : route === 'direct' ? 'Direct' : 'Connecting',
    stats?.rttMs !== undefined ? `${stats.rttMs} ms` : undefined,
    stats?.lossPercent !== undefined ? `${stats.lossPercent}% loss` : undefined,
    stats?.receiveKbps !== undefined ? formatKbps(stats.receiveKbps) : undefined,
  ].filter(Boolean);
  const description =
    route === 'relay'
      ? 'through the relay server'
      : route === 'direct'
        ? 'directly, peer to peer'
        : 'not yet established';
  return (
    <span
      className="badge connection-stats"
      data-testid="connection-stats"
      data-route={route}
      data-local-candidate-type={stats?.localCandidateType}
      data-remote-candidate-type={stats?.remoteCandidateType}
      data-rtt-ms={stats?.rttMs}
      data-loss-percent={stats?.lossPercent}
      data-send-kbps={stats?.sendKbps}
      data-video-send-kbps={stats?.videoSendKbps}
      title={`Connection to ${name}: ${description}. Round trip, packet loss and incoming bitrate.`}
    >
      {parts.join(' · ')}
    </span>
  );
}

function formatKbps(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mb/s` : `${kbps} kb/s`;
}
