import { lazy, Suspense, useEffect, type ComponentType } from 'react';
import { joinCall } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { Lobby } from './Lobby.tsx';
import { WaitingRoom } from './WaitingRoom.tsx';

/**
 * The in-call UI (tiles, controls, chat and files panels) is not needed to show the lobby, so it
 * is a separate chunk, kept off the page's critical path. The lobby starts loading it at once,
 * while the user picks devices and types a name, so joining never waits for it.
 *
 * Once loaded, it is rendered directly rather than through `lazy`: a lazy component suspends on
 * its first render even when its chunk is already here, and React holds back revealing a
 * suspended boundary for up to 300 ms (its fallback throttle). That delay sat on the join path,
 * before the remote <video> existed (measured: the joiner's remote video got its stream 130-150 ms
 * after the connection was up).
 */
let LoadedInCall: ComponentType | undefined;
const loadInCall = () =>
  import('./InCall.tsx').then(({ InCall }) => {
    LoadedInCall = InCall;
    return { default: InCall };
  });
const LazyInCall = lazy(loadInCall);

const REFUSALS: Record<string, string> = {
  'room-full': 'This call is full. Ask someone to leave, or start a new call.',
  'unsupported-version': 'Parley was updated. Reload the page to join with the new version.',
  replaced: 'You joined this call from another tab.',
  'knock-denied': 'Someone in the call did not let you in.',
  'knock-timed-out': 'Nobody in the call let you in in time. You can ask again.',
  'knock-rate-limited': 'Too many requests to join this call. Wait a minute, then try again.',
};

export function RoomPage({ roomId }: { roomId: string }) {
  const phase = useCallStore((s) => s.phase);
  const closedReason = useCallStore((s) => s.closedReason);
  const displayName = useCallStore((s) => s.displayName);
  const waiting = useCallStore((s) => s.door.waiting);
  const updateReady = useCallStore((s) => s.updateReady);
  // After an upgrade, joining again from this page would run the old version: load the new one.
  const reloadToRejoin = updateReady || closedReason === 'unsupported-version';

  useEffect(() => {
    void loadInCall();
  }, []);

  if (phase === 'lobby') return <Lobby roomId={roomId} />;
  if (phase === 'in-call' && waiting) return <WaitingRoom />;
  if (phase === 'in-call') {
    if (LoadedInCall) return <LoadedInCall />;
    return (
      <Suspense fallback={<main className="page" aria-busy="true" />}>
        <LazyInCall />
      </Suspense>
    );
  }
  return (
    <main className="page">
      <h1>
        {phase === 'left'
          ? 'You left the call'
          : closedReason === 'knock-denied' || closedReason === 'knock-timed-out'
            ? 'You were not let in'
            : 'Could not join'}
      </h1>
      {phase === 'refused' && closedReason && <p role="alert">{REFUSALS[closedReason]}</p>}
      {phase === 'left' && updateReady && (
        <p>Parley was updated while you were in the call. Rejoining loads the new version.</p>
      )}
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() =>
            reloadToRejoin
              ? window.location.reload()
              : void joinCall(roomId, displayName || 'Guest')
          }
        >
          {reloadToRejoin ? 'Reload and rejoin' : 'Rejoin'}
        </button>
        <a href="/">Start a new call</a>
      </div>
    </main>
  );
}
