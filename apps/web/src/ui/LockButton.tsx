import { setCallLocked } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';

/** "Lock call" / "Unlock call": anyone in the call may lock it; a locked call makes newcomers knock. */
export function LockButton() {
  const locked = useCallStore((s) => s.door.locked);
  return (
    <button type="button" aria-pressed={locked} onClick={() => setCallLocked(!locked)}>
      {locked ? 'Unlock call' : 'Lock call'}
    </button>
  );
}
