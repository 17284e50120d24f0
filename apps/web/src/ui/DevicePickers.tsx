import { useId } from 'react';
import { chooseDevice } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';

/** Camera and microphone selects; used in the lobby and during the call. */
export function DevicePickers() {
  const devices = useCallStore((s) => s.devices);
  const videoDeviceId = useCallStore((s) => s.local.videoDeviceId);
  const audioDeviceId = useCallStore((s) => s.local.audioDeviceId);
  const id = useId();
  // Labels point at the selects (rather than wrapping them) so the accessible name is exactly
  // "Camera" / "Microphone", not the label plus the selected option's text.
  return (
    <div className="device-pickers">
      <label htmlFor={`${id}-camera`}>Camera</label>
      <select
        id={`${id}-camera`}
        value={videoDeviceId ?? ''}
        disabled={devices.cameras.length === 0}
        onChange={(e) => void chooseDevice('video', e.target.value)}
      >
        {devices.cameras.length === 0 && <option value="">No camera</option>}
        {devices.cameras.map((d) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-microphone`}>Microphone</label>
      <select
        id={`${id}-microphone`}
        value={audioDeviceId ?? ''}
        disabled={devices.microphones.length === 0}
        onChange={(e) => void chooseDevice('audio', e.target.value)}
      >
        {devices.microphones.length === 0 && <option value="">No microphone</option>}
        {devices.microphones.map((d) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label}
          </option>
        ))}
      </select>
    </div>
  );
}
