import { beforeEach, describe, expect, it } from 'vitest';
import type { CallSession, CallSessionEvents, Participant } from '../call/call-session.ts';
import { newParticipant } from '../call/participant.ts';
import { TypedEmitter } from '../call/typed-emitter.ts';
import { initialCallState, useCallStore } from './call-store.ts';
import { bindSessionToStore } from './session-bridge.ts';
import { togglePin } from './view-actions.ts';

class FakeSession extends TypedEmitter<CallSessionEvents> {
  fire<K extends keyof CallSessionEvents>(event: K, ...args: CallSessionEvents[K]): void {
    this.emit(event, ...args);
  }
}

function person(id: string, displayName: string): Participant {
  return { ...newParticipant({ id, displayName, polite: true }), audio: true, video: true };
}

const toastTexts = () => useCallStore.getState().toasts.map((t) => t.text);

describe('session bridge: presence and chat announcements', () => {
  let session: FakeSession;
  beforeEach(() => {
    useCallStore.setState(initialCallState, true);
    session = new FakeSession();
    bindSessionToStore(session as unknown as CallSession, useCallStore);
  });

  it('announces people who join after us, not those already there', async () => {
    // As CallSession does on `joined`: our ID, then everyone listed, in the same task.
    session.fire('self', 'me');
    session.fire('participant-joined', person('a', 'Ada'));
    await Promise.resolve();
    expect(toastTexts()).toEqual([]);
    session.fire('participant-joined', person('b', 'Bob'));
    expect(toastTexts()).toEqual(['Bob joined']);
  });

  it('announces leaves, keeps the name for finished transfers, and unpins whoever left', async () => {
    session.fire('self', 'me');
    await Promise.resolve();
    session.fire('participant-joined', person('b', 'Bob'));
    togglePin('b');
    session.fire('participant-left', 'b');
    expect(toastTexts()).toEqual(['Bob joined', 'Bob left']);
    expect(useCallStore.getState().knownNames).toEqual({ b: 'Bob' });
    expect(useCallStore.getState().view.pinnedId).toBeUndefined();
  });

  it('previews a message only while the chat is closed, and never our own', async () => {
    session.fire('self', 'me');
    await Promise.resolve();
    session.fire('participant-joined', person('b', 'Bob'));
    useCallStore.setState({ toasts: [] });
    const line = { id: 'm1', fromId: 'b', text: 'hello', sentAt: 0, self: false };
    session.fire('chat', line);
    session.fire('chat', { ...line, id: 'm2', fromId: 'me', self: true });
    expect(toastTexts()).toEqual(['Bob: hello']);
    expect(useCallStore.getState().chat.unread).toBe(1);
    useCallStore.setState((s) => ({ chat: { ...s.chat, open: true } }));
    session.fire('chat', { ...line, id: 'm3' });
    expect(toastTexts()).toEqual(['Bob: hello']);
  });
});

describe('session bridge: an upgrade during the call', () => {
  it('marks the update ready without touching the call', () => {
    useCallStore.setState(initialCallState, true);
    const session = new FakeSession();
    bindSessionToStore(session as unknown as CallSession, useCallStore);
    session.fire('status', 'joined');
    session.fire('server-updated', 99);
    expect(useCallStore.getState()).toMatchObject({ updateReady: true, signaling: 'joined' });
  });
});
