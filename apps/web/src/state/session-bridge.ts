import type { CallSession } from '../call/call-session.ts';
import type { useCallStore } from './call-store.ts';
import {
  deletePeerStreams,
  deleteStream,
  remoteStreamKey,
  SELF_SCREEN,
  setStream,
} from './media-streams.ts';
import { markJoin } from './timing-marks.ts';
import { announceChat, announcePresence } from './presence-announcer.ts';
import { appendCapped, opensFilesPanel } from './flood-caps.ts';

type Store = typeof useCallStore;

/** The one place where session events become store updates. Returns a function that unbinds. */
export function bindSessionToStore(session: CallSession, store: Store): () => void {
  // The people already in the room arrive in the same task as our own `self` event; they did
  // not just join, so they get no toast. Anyone after that did.
  let listingExisting = false;
  const offs = [
    session.on('status', (signaling) => {
      if (signaling === 'joined') markJoin('signaling-joined');
      store.setState({ signaling });
    }),
    session.on('self', (selfId) => {
      listingExisting = true;
      queueMicrotask(() => (listingExisting = false));
      store.setState({ selfId });
    }),
    session.on('participant-joined', (p) => {
      store.setState((s) => ({
        participants: { ...s.participants, [p.id]: p },
        knownNames: { ...s.knownNames, [p.id]: p.displayName },
      }));
      if (!listingExisting) announcePresence('joined', p.displayName);
    }),
    session.on('participant-updated', (p) => {
      if (p.connection === 'connected') markJoin('peer-connected');
      store.setState((s) => ({ participants: { ...s.participants, [p.id]: p } }));
    }),
    session.on('participant-left', (id) => {
      deletePeerStreams(id);
      const name = store.getState().participants[id]?.displayName;
      store.setState((s) => {
        const { [id]: _gone, ...participants } = s.participants;
        const pinnedId = s.view.pinnedId === id ? undefined : s.view.pinnedId;
        return { participants, view: { ...s.view, pinnedId } };
      });
      if (name !== undefined) announcePresence('left', name);
    }),
    session.on('remote-stream', (id, stream) => setStream(remoteStreamKey(id, stream.id), stream)),
    session.on('local-screen', (stream) => {
      if (stream) setStream(SELF_SCREEN, stream);
      else deleteStream(SELF_SCREEN);
      store.setState({ sharingScreen: stream !== undefined });
    }),
    session.on('transfer', (snapshot) =>
      store.setState((s) => ({
        files: {
          // A new incoming file opens the panel, once per burst of offers (see flood-caps.ts).
          open: s.files.open || opensFilesPanel(s.files.transfers, snapshot),
          transfers: { ...s.files.transfers, [snapshot.id]: snapshot },
        },
      })),
    ),
    session.on('chat', (entry) => {
      store.setState((s) => {
        const fromName = entry.self
          ? s.displayName
          : (s.participants[entry.fromId]?.displayName ?? 'Someone');
        return {
          chat: {
            ...s.chat,
            unread: s.chat.open || entry.self ? s.chat.unread : s.chat.unread + 1,
            lines: appendCapped(s.chat.lines, { ...entry, fromName }),
          },
        };
      });
      announceChat(entry);
    }),
    session.on('dropped', (droppedMessages) => store.setState({ droppedMessages })),
    session.on('server-updated', () => store.setState({ updateReady: true })),
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
