import { Signal, SignalHigh, SignalLow, SignalMedium } from 'lucide-react';
import { useId, useRef, useState } from 'react';
import type { LinkStats } from '../call/peer-link.ts';
import type { SignalingTransport } from '../call/racing-socket.ts';
import { useCallStore } from '../state/call-store.ts';
import { useDismiss } from './controls/use-dismiss.ts';

type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** Thresholds people feel: past ~150 ms talk-over starts, past a few % loss video smears. */
export function connectionQuality(stats: LinkStats | undefined): Quality {
  if (!stats || stats.rttMs === undefined) return 'unknown';
  const loss = stats.lossPercent ?? 0;
  if (stats.rttMs < 150 && loss < 2) return 'good';
  if (stats.rttMs < 400 && loss < 8) return 'fair';
  return 'poor';
}

const QUALITY_TEXT: Record<Quality, string> = {
  good: 'good',
  fair: 'fair',
  poor: 'poor',
  unknown: 'measuring',
};

const TRANSPORT_TEXT: Record<SignalingTransport, string> = {
  websocket: 'WebSocket',
  sse: 'HTTP streaming (SSE)',
  'long-poll': 'HTTP long-polling',
};

const ICONS = { good: SignalHigh, fair: SignalMedium, poor: SignalLow, unknown: Signal };

/**
 * The compact connection indicator on a remote tile (signal bars), with the full figures in a
 * popover: direct or relayed, round trip, loss and incoming video bitrate (video RTP only, so a
 * file transfer on the data channel does not inflate it). The data attributes carry the raw
 * figures for tests and support questions.
 */
export function ConnectionStats({ stats, name }: { stats: LinkStats | undefined; name: string }) {
  const [open, setOpen] = useState(false);
  const transport = useCallStore((s) => s.signalingTransport);
  const popoverId = useId();
  const rootRef = useRef<HTMLSpanElement>(null);
  const route = stats?.route ?? 'unknown';
  const quality = connectionQuality(stats);
  const Icon = ICONS[quality];

  useDismiss(open, rootRef, setOpen);

  const routeText = route === 'relay' ? 'Relayed' : route === 'direct' ? 'Direct' : 'Connecting';
  return (
    <span className="connection" ref={rootRef}>
      <button
        type="button"
        className={`tile-button connection-stats quality-${quality}`}
        data-testid="connection-stats"
        data-route={route}
        data-local-candidate-type={stats?.localCandidateType}
        data-remote-candidate-type={stats?.remoteCandidateType}
        data-rtt-ms={stats?.rttMs}
        data-loss-percent={stats?.lossPercent}
        data-send-kbps={stats?.sendKbps}
        data-video-send-kbps={stats?.videoSendKbps}
        data-video-receive-kbps={stats?.videoReceiveKbps}
        aria-label={`Connection to ${name}: ${QUALITY_TEXT[quality]}, ${routeText.toLowerCase()}`}
        aria-expanded={open}
        aria-controls={open ? popoverId : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <Icon aria-hidden="true" size={18} />
        {route === 'relay' && <span className="route-tag">Relayed</span>}
      </button>
      {open && (
        <div id={popoverId} className="popover connection-popover">
          <p className="popover-title">Connection to {name}</p>
          <dl>
            <dt>Route</dt>
            <dd>
              {route === 'relay'
                ? 'Relayed through the server'
                : route === 'direct'
                  ? 'Direct, peer to peer'
                  : 'Not yet established'}
            </dd>
            <dt>Round trip</dt>
            <dd>{stats?.rttMs !== undefined ? `${stats.rttMs} ms` : '—'}</dd>
            <dt>Packet loss</dt>
            <dd>{stats?.lossPercent !== undefined ? `${stats.lossPercent}%` : '—'}</dd>
            <dt>Video in</dt>
            <dd>
              {stats?.videoReceiveKbps !== undefined ? formatKbps(stats.videoReceiveKbps) : '—'}
            </dd>
            <dt>Video out</dt>
            <dd>{stats?.videoSendKbps !== undefined ? formatKbps(stats.videoSendKbps) : '—'}</dd>
            <dt>Signalling</dt>
            <dd data-testid="signaling-transport">{transport ? TRANSPORT_TEXT[transport] : '—'}</dd>
          </dl>
        </div>
      )}
    </span>
  );
}

export function formatKbps(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${kbps} kbit/s`;
}
