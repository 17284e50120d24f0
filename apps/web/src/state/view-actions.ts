import { useCallStore, type Toast, type ViewState } from './call-store.ts';

/**
 * Actions for the call screen's own layout state (pin, self-view, panels, toasts, speaker).
 * They never touch the call session: these are choices about what this page shows.
 */

function setView(patch: Partial<ViewState>): void {
  useCallStore.setState((s) => ({ view: { ...s.view, ...patch } }));
}

/** Pins a participant (or our own camera, `self`) to the stage; pinning the pinned one unpins. */
export function togglePin(id: string): void {
  const { pinnedId } = useCallStore.getState().view;
  setView({ pinnedId: pinnedId === id ? undefined : id });
}

export function setSelfViewHidden(selfViewHidden: boolean): void {
  setView({ selfViewHidden });
}

/**
 * One side panel at a time keeps the stage usable on a laptop; an incoming file may still open
 * the Files panel beside an open chat (the panel column stacks them).
 */
export function openPanel(panel: 'chat' | 'files' | 'people' | undefined): void {
  useCallStore.setState((s) => ({
    chat: { ...s.chat, open: panel === 'chat', unread: panel === 'chat' ? 0 : s.chat.unread },
    files: { ...s.files, open: panel === 'files' },
    view: { ...s.view, peopleOpen: panel === 'people' },
  }));
}

export function setPeopleOpen(open: boolean): void {
  setView({ peopleOpen: open });
}

export function setPresenceSound(presenceSound: boolean): void {
  setView({ presenceSound });
}

export function setSpeaker(speakerId: string): void {
  setView({ speakerId });
}

/** How many toasts stay on screen at once; older ones make room. */
export const MAX_TOASTS = 3;
let nextToastId = 1;

export function pushToast(kind: Toast['kind'], text: string): void {
  const toast = { id: nextToastId++, kind, text };
  useCallStore.setState((s) => ({ toasts: [...s.toasts, toast].slice(-MAX_TOASTS) }));
}

export function dismissToast(id: number): void {
  useCallStore.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}
