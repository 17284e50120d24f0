import { CallSession } from '../call/call-session.ts';
import { browserHints, signalingUrlFor } from '../call/signaling-client.ts';
import { initialCallState, useCallStore } from './call-store.ts';
import { bindSessionToStore } from './session-bridge.ts';

/** Actions the components call. Owns the single live CallSession. */

let active: { session: CallSession; unbind: () => void } | undefined;

export function joinCall(roomId: string, displayName: string): void {
  leaveCall();
  useCallStore.setState({ ...initialCallState, phase: 'in-call', signaling: 'connecting' });
  const session = new CallSession({
    url: signalingUrlFor(window.location),
    roomId,
    displayName,
    hints: browserHints,
  });
  active = { session, unbind: bindSessionToStore(session, useCallStore) };
  session.start();
}

export function leaveCall(): void {
  if (!active) return;
  const { session, unbind } = active;
  active = undefined;
  session.leave();
  unbind();
  useCallStore.setState({ ...initialCallState, phase: 'left' });
}

// Closing or reloading the tab says goodbye, so the others see us leave at once.
window.addEventListener('pagehide', () => active?.session.leave());
