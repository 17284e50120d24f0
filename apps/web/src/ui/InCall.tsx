import { useCallStore } from '../state/call-store.ts';
import { SELF } from '../state/media-streams.ts';
import { ControlBar } from './ControlBar.tsx';
import { Tile } from './Tile.tsx';

const STATUS_TEXT = {
  idle: 'Connecting…',
  connecting: 'Connecting…',
  joined: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

export function InCall() {
  const signaling = useCallStore((s) => s.signaling);
  const participants = useCallStore((s) => s.participants);
  const local = useCallStore((s) => s.local);
  const displayName = useCallStore((s) => s.displayName);
  const notice = useCallStore((s) => s.notice);
  const people = Object.values(participants);
  const anyReconnecting = people.some((p) => p.connection === 'reconnecting');
  const status =
    signaling === 'joined' && anyReconnecting ? 'Reconnecting…' : STATUS_TEXT[signaling];

  return (
    <main className="call">
      <header className="call-header">
        <p role="status" className="signaling-status" data-status={signaling}>
          {status}
        </p>
        <p aria-live="polite" className="notice">
          {notice}
        </p>
      </header>
      <div className="grid" data-count={people.length + 1}>
        <Tile
          streamId={SELF}
          name={displayName}
          self
          audio={local.audioEnabled}
          video={local.videoEnabled}
          speaking={local.speaking}
        />
        {people.map((p) => (
          <Tile
            key={p.id}
            streamId={p.id}
            name={p.displayName}
            self={false}
            audio={p.audio}
            video={p.video}
            speaking={p.speaking}
            participant={p}
          />
        ))}
      </div>
      {people.length === 0 && (
        <p className="waiting">
          Waiting for others. Share the link: anyone who opens it joins this call.
        </p>
      )}
      <ControlBar />
    </main>
  );
}
