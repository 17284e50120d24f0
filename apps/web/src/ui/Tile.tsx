import { useCallback, useState } from 'react';
import type { Participant } from '../call/call-session.ts';
import { ConnectionStats } from './ConnectionStats.tsx';
import { VideoView } from './VideoView.tsx';
import { TrustBadge } from './TrustBadge.tsx';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  connected: '',
  reconnecting: 'Reconnecting…',
  unreachable: 'Could not connect',
  failed: 'Connection lost',
};

interface TileProps {
  streamId: string;
  name: string;
  self: boolean;
  audio: boolean;
  video: boolean;
  speaking: boolean;
  participant?: Participant;
}

/** One participant: video (or initials when the camera is off), name, mic and speaking state. */
export function Tile({ streamId, name, self, audio, video, speaking, participant }: TileProps) {
  const label = self ? `${name} (you)` : name;
  const [videoElement, setVideoElement] = useState<HTMLVideoElement | null>(null);
  const onVideo = useCallback((el: HTMLVideoElement | null) => setVideoElement(el), []);
  const stats = participant?.stats;
  const connection = participant?.connection;

  return (
    <section
      role="group"
      aria-label={label}
      className={speaking ? 'tile speaking' : 'tile'}
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
          {initials(name)}
        </div>
      )}
      <div className="tile-footer">
        <span className="tile-name">{label}</span>
        <TrustBadge participant={participant} />
        {!audio && (
          <span className="badge" role="img" aria-label="Microphone off">
            🔇
          </span>
        )}
        {speaking && <span className="visually-hidden">speaking</span>}
        {connection && CONNECTION_TEXT[connection] && (
          <span className="badge">{CONNECTION_TEXT[connection]}</span>
        )}
        {participant && connection === 'connected' && <ConnectionStats stats={stats} name={name} />}
        {!self && videoElement && 'requestPictureInPicture' in videoElement && (
          <button
            type="button"
            className="tile-button"
            aria-label={`Picture in picture: ${name}`}
            onClick={() => void videoElement.requestPictureInPicture().catch(() => undefined)}
          >
            ⧉
          </button>
        )}
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
