import { useState, type FormEvent } from 'react';
import { joinCall, leaveCall } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';

const NAME_KEY = 'parley.displayName';

const REFUSALS: Record<string, string> = {
  'room-full': 'This call is full. Ask the host to make room, or start a new call.',
  'unsupported-version': 'Parley was updated. Reload the page to join.',
  replaced: 'You joined this call from another tab.',
};

const CONNECTION_LABEL = {
  connecting: 'Connecting…',
  connected: 'Connected',
  failed: 'Connection failed',
};

export function RoomPage({ roomId }: { roomId: string }) {
  const phase = useCallStore((s) => s.phase);
  const signaling = useCallStore((s) => s.signaling);
  const participants = useCallStore((s) => s.participants);
  const closedReason = useCallStore((s) => s.closedReason);
  const [name, setName] = useState(() => localStorage.getItem(NAME_KEY) ?? '');

  function join(event?: FormEvent) {
    event?.preventDefault();
    const displayName = name.trim() || 'Guest';
    localStorage.setItem(NAME_KEY, displayName);
    joinCall(roomId, displayName);
  }

  if (phase === 'lobby') {
    return (
      <main className="page">
        <h1>Join the call</h1>
        <form onSubmit={join} className="lobby">
          <label>
            Your name
            <input
              value={name}
              maxLength={64}
              autoComplete="name"
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <button type="submit" className="primary">
            Join call
          </button>
        </form>
      </main>
    );
  }

  if (phase === 'left' || phase === 'refused') {
    return (
      <main className="page">
        <h1>{phase === 'left' ? 'You left the call' : 'Could not join'}</h1>
        {phase === 'refused' && closedReason && <p role="alert">{REFUSALS[closedReason]}</p>}
        <button type="button" className="primary" onClick={() => join()}>
          Rejoin
        </button>
      </main>
    );
  }

  const people = Object.values(participants);
  return (
    <main className="page">
      <p role="status" className="signaling-status" data-status={signaling}>
        {signaling === 'joined'
          ? 'Connected'
          : signaling === 'reconnecting'
            ? 'Reconnecting…'
            : 'Connecting…'}
      </p>
      <ul className="participants" aria-label="Participants">
        {people.length === 0 && <li>Waiting for others to join. Share this page's link.</li>}
        {people.map((p) => (
          <li key={p.id} role="group" aria-label={p.displayName} data-connection={p.connection}>
            <span className="name">{p.displayName}</span>{' '}
            <span className="connection">{CONNECTION_LABEL[p.connection]}</span>
          </li>
        ))}
      </ul>
      <button type="button" onClick={leaveCall}>
        Leave
      </button>
    </main>
  );
}
