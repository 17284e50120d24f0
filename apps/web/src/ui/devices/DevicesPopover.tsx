import { X } from 'lucide-react';
import { useEffect } from 'react';
import { useCallStore } from '../../state/call-store.ts';
import { setPresenceSound } from '../../state/view-actions.ts';
import { DevicePickers } from '../DevicePickers.tsx';
import { SpeakerPicker } from './SpeakerPicker.tsx';

/** Camera, microphone and speaker during the call, above the control bar. Escape closes it. */
export function DevicesPopover({ id, onClose }: { id: string; onClose: () => void }) {
  const presenceSound = useCallStore((s) => s.view.presenceSound);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div id={id} className="popover devices-panel" role="region" aria-label="Devices">
      <div className="popover-head">
        <h2>Devices</h2>
        <button type="button" className="icon-button" aria-label="Close devices" onClick={onClose}>
          <X aria-hidden="true" size={18} />
        </button>
      </div>
      <DevicePickers />
      <SpeakerPicker />
      <label className="checkbox">
        <input
          type="checkbox"
          checked={presenceSound}
          onChange={(e) => setPresenceSound(e.target.checked)}
        />
        Sound when someone joins or leaves
      </label>
    </div>
  );
}
