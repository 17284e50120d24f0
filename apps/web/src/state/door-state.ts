import type { CallSession } from '../call/call-session.ts';
import type { useCallStore } from './call-store.ts';

/** Lock and knock as the UI shows it: plain data. */
export interface DoorUiState {
  /** The call is locked for newcomers (shown to everyone in it). */
  locked: boolean;
  /** Who changed the lock last, for the notice. */
  lockedBy: string | undefined;
  /** Newcomers waiting at the locked call, oldest first. */
  knocks: Array<{ id: string; displayName: string }>;
  /** We knocked and wait to be let in. */
  waiting: boolean;
  /** The lobby's "Start the call locked". */
  startLocked: boolean;
}

export const initialDoorState: DoorUiState = {
  locked: false,
  lockedBy: undefined,
  knocks: [],
  waiting: false,
  startLocked: false,
};

/** More knocks than this are not listed (the server caps them too); the oldest stay. */
const MAX_KNOCKS_SHOWN = 20;

type Store = typeof useCallStore;

/** Binds the session's lock and knock events to the store; returns a function that unbinds. */
export function bindDoorToStore(session: CallSession, store: Store): () => void {
  const setDoor = (change: (door: DoorUiState) => Partial<DoorUiState>) =>
    store.setState((s) => ({ door: { ...s.door, ...change(s.door) } }));
  const offs = [
    session.on('door', (message) => {
      switch (message.type) {
        case 'waiting-for-admission':
          return setDoor(() => ({ waiting: true }));
        case 'lock-state':
          return store.setState((s) => ({
            door: { ...s.door, locked: message.locked, lockedBy: message.byName },
            notice:
              message.byName === undefined
                ? s.notice
                : `${message.byName} ${message.locked ? 'locked' : 'unlocked'} the call`,
          }));
        case 'knock':
          return setDoor((door) => ({
            knocks: door.knocks.some((k) => k.id === message.knockId)
              ? door.knocks
              : [...door.knocks, { id: message.knockId, displayName: message.displayName }].slice(
                  0,
                  MAX_KNOCKS_SHOWN,
                ),
          }));
        case 'knock-ended':
          return setDoor((door) => ({
            knocks: door.knocks.filter((k) => k.id !== message.knockId),
          }));
      }
    }),
    session.on('self', () => setDoor(() => ({ waiting: false }))),
    session.on('self-name', (displayName) => store.setState({ displayName })),
    session.on('closed', () => setDoor(() => ({ waiting: false, knocks: [], locked: false }))),
  ];
  return () => offs.forEach((off) => off());
}
