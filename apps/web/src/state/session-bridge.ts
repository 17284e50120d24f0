import type { CallSession } from '../call/call-session.ts';
import type { useCallStore } from './call-store.ts';

type Store = typeof useCallStore;

/** The one place where session events become store updates. Returns a function that unbinds. */
export function bindSessionToStore(session: CallSession, store: Store): () => void {
  const offs = [
    session.on('status', (signaling) => store.setState({ signaling })),
    session.on('self', (selfId) => store.setState({ selfId, phase: 'in-call' })),
    session.on('participant-joined', (p) =>
      store.setState((s) => ({ participants: { ...s.participants, [p.id]: p } })),
    ),
    session.on('participant-updated', (p) =>
      store.setState((s) => ({ participants: { ...s.participants, [p.id]: p } })),
    ),
    session.on('participant-left', (id) =>
      store.setState((s) => {
        const { [id]: _gone, ...participants } = s.participants;
        return { participants };
      }),
    ),
    session.on('closed', (reason) =>
      store.setState({
        phase: reason === 'left' ? 'left' : 'refused',
        closedReason: reason,
        participants: {},
      }),
    ),
  ];
  return () => offs.forEach((off) => off());
}
