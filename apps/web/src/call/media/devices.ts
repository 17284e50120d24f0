export interface DeviceOption {
  deviceId: string;
  label: string;
}

export interface DeviceLists {
  cameras: DeviceOption[];
  microphones: DeviceOption[];
  /** Audio outputs; only browsers that can route audio (setSinkId) list them usefully. */
  speakers: DeviceOption[];
}

/** Cameras and microphones with readable labels (labels are empty until permission is granted). */
export async function listDevices(
  mediaDevices: MediaDevices | undefined = globalThis.navigator?.mediaDevices,
): Promise<DeviceLists> {
  if (!mediaDevices?.enumerateDevices) return { cameras: [], microphones: [], speakers: [] };
  const devices = await mediaDevices.enumerateDevices();
  const pick = (kind: MediaDeviceKind, fallback: string) =>
    devices
      .filter((d) => d.kind === kind && d.deviceId)
      .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
  return {
    cameras: pick('videoinput', 'Camera'),
    microphones: pick('audioinput', 'Microphone'),
    speakers: pick('audiooutput', 'Speaker'),
  };
}
