import { MicOff, PictureInPicture2, Pin, PinOff } from 'lucide-react';
import { useCallback, useState, type CSSProperties, type ReactNode } from 'react';
import type { Participant } from '../call/call-session.ts';
import { togglePin } from '../state/view-actions.ts';
import { ConnectionStats } from './ConnectionStats.tsx';
import { TrustBadge } from './TrustBadge.tsx';
import { VideoView } from './VideoView.tsx';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  connected: '',
  reconnecting: 'Reconnecting…',
  unreachable: 'Could not connect',
  failed: 'Connection lost',
};

interface TileProps {
  /** Participant ID, or `self`: what pinning refers to. */
  id: string;
  streamId: string;
  name: string;
  self: boolean;
  audio: boolean;
  video: boolean;
  speaking: boolean;
  participant?: Participant | undefined;
  pinned?: boolean;
  /** `small` hides the less-used buttons (self-view, strips). */
  variant?: 'normal' | 'small' | undefined;
  style?: CSSProperties | undefined;
  className?: string;
  /**
   * The tile-menu slot: extra per-participant actions (e.g. "Verify <name>") render beside
   * Pin and Picture in picture.
   */
  actions?: ReactNode;
}

/** One participant: video (or initials when the camera is off), name, mic and connection state. */
export function Tile({
  id,
  streamId,
  name,
  self,
  audio,
  video,
  speaking,
  participant,
  pinned = false,
  variant = 'normal',
  style,
  className = '',
  actions,
}: TileProps) {
  const label = self ? `${name} (you)` : name;
  const [videoElement, setVideoElement] = useState<HTMLVideoElement | null>(null);
  const onVideo = useCallback((el: HTMLVideoElement | null) => setVideoElement(el), []);
  const stats = participant?.stats;
  const connection = participant?.connection;

  return (
    <section
      role="group"
      aria-label={label}
      className={`tile ${speaking ? 'speaking' : ''} ${variant} ${className}`}
      style={style}
      data-speaking={speaking}
      data-audio={audio ? 'on' : 'off'}
      data-video={video ? 'on' : 'off'}
      data-connection={connection ?? 'self'}
      data-frames-decoded={stats?.framesDecoded}
      data-audio-packets={stats?.audioPacketsReceived}
      data-ice-restarts={participant?.iceRestarts}
    >
      <VideoView streamId={streamId} self={self} label={`Video of ${label}`} onVideo={onVideo} />
      {!video && (
        <div className="avatar" aria-hidden="true">
          <span className="avatar-initials">{initials(name)}</span>
        </div>
      )}
      {variant === 'normal' && (
        <div className="tile-actions">
          <button
            type="button"
            className="tile-button"
            aria-pressed={pinned}
            aria-label={pinned ? `Unpin ${label}` : `Pin ${label}`}
            title={pinned ? 'Unpin' : 'Pin to the stage'}
            onClick={() => togglePin(id)}
          >
            {pinned ? (
              <PinOff aria-hidden="true" size={18} />
            ) : (
              <Pin aria-hidden="true" size={18} />
            )}
          </button>
          {!self && videoElement && 'requestPictureInPicture' in videoElement && (
            <button
              type="button"
              className="tile-button"
              aria-label={`Picture in picture: ${name}`}
              title="Picture in picture"
              onClick={() => void videoElement.requestPictureInPicture().catch(() => undefined)}
            >
              <PictureInPicture2 aria-hidden="true" size={18} />
            </button>
          )}
          {actions}
        </div>
      )}
      <div className="tile-footer">
        {!audio && (
          <span className="badge mic-off" role="img" aria-label="Microphone off">
            <MicOff aria-hidden="true" size={16} />
          </span>
        )}
        <span className="tile-name">
          <bdi>{name}</bdi>
          {self && ' (you)'}
        </span>
        <TrustBadge participant={participant} />
        {speaking && <span className="visually-hidden">speaking</span>}
        {connection && CONNECTION_TEXT[connection] && (
          <span className="badge">{CONNECTION_TEXT[connection]}</span>
        )}
        {participant && connection === 'connected' && <ConnectionStats stats={stats} name={name} />}
      </div>
    </section>
  );
}

function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((part) => part[0]?.toUpperCase())
      .join('') || '?'
  );
}
