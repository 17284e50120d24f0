import { setStartLocked } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';

/** The lobby's "Start the call locked": takes effect only if nobody is in the call yet. */
export function StartLockedOption() {
  const startLocked = useCallStore((s) => s.door.startLocked);
  return (
    <label className="checkbox">
      <input
        type="checkbox"
        checked={startLocked}
        onChange={(e) => setStartLocked(e.target.checked)}
      />
      Start the call locked (if you are the first one in)
    </label>
  );
}
