import type { CallSession } from '../call/call-session.ts';
import type { useCallStore } from './call-store.ts';
import { deleteStream, setStream } from './media-streams.ts';
import { markJoin } from './timing-marks.ts';

type Store = typeof useCallStore;

/** The one place where session events become store updates. Returns a function that unbinds. */
export function bindSessionToStore(session: CallSession, store: Store): () => void {
  const offs = [
    session.on('status', (signaling) => {
      if (signaling === 'joined') markJoin('signaling-joined');
      store.setState({ signaling });
    }),
    session.on('self', (selfId) => store.setState({ selfId })),
    session.on('participant-joined', (p) =>
      store.setState((s) => ({ participants: { ...s.participants, [p.id]: p } })),
    ),
    session.on('participant-updated', (p) => {
      if (p.connection === 'connected') markJoin('peer-connected');
      store.setState((s) => ({ participants: { ...s.participants, [p.id]: p } }));
    }),
    session.on('participant-left', (id) => {
      deleteStream(id);
      store.setState((s) => {
        const { [id]: _gone, ...participants } = s.participants;
        return { participants };
      });
    }),
    session.on('remote-stream', (id, stream) => setStream(id, stream)),
    session.on('local-media', (state) =>
      store.setState((s) => ({ local: { ...s.local, ...state } })),
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
