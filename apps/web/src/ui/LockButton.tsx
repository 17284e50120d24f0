import { Lock, LockOpen } from 'lucide-react';
import { setCallLocked } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { ControlButton } from './controls/ControlButton.tsx';
import type { MoreAction } from './controls/MoreMenu.tsx';

/** What the lock control says and does: anyone in the call may lock it; newcomers then knock. */
export function lockAction(locked: boolean): MoreAction {
  return {
    name: locked ? 'Unlock call' : 'Lock call',
    icon: locked ? Lock : LockOpen,
    onClick: () => setCallLocked(!locked),
  };
}

/** "Lock call" / "Unlock call" on the wide control bar (in "More" on narrow screens). */
export function LockButton() {
  const locked = useCallStore((s) => s.door.locked);
  const action = lockAction(locked);
  return (
    <ControlButton
      name={action.name}
      icon={action.icon}
      tooltip={locked ? 'Unlock: newcomers join at once' : 'Lock: newcomers must be let in'}
      pressed={locked}
      tone={locked ? 'active' : 'normal'}
      placement="more"
      onClick={action.onClick}
    />
  );
}
