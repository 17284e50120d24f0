import { useId } from 'react';
import { useCallStore } from '../../state/call-store.ts';
import { chime } from '../../state/presence-announcer.ts';
import { setSpeaker } from '../../state/view-actions.ts';

/** Browsers that can send a media element's audio to a chosen output (Chromium, Firefox 116+). */
export const canPickSpeaker =
  typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

type SinkAudio = HTMLAudioElement & { setSinkId(id: string): Promise<void> };

/** Plays a short tone on the chosen output, so people can check it before anyone speaks. */
async function playTestSound(speakerId: string): Promise<void> {
  const context = new AudioContext();
  const destination = context.createMediaStreamDestination();
  const audio = new Audio() as SinkAudio;
  audio.srcObject = destination.stream;
  if (speakerId) await audio.setSinkId(speakerId);
  await audio.play();
  const target = { context, node: destination };
  chime(523, target);
  chime(784, target, 0.25);
  setTimeout(() => {
    audio.pause();
    void context.close();
  }, 800);
}

/** The speaker picker: offered only where the browser can route audio and lists outputs. */
export function SpeakerPicker() {
  const speakers = useCallStore((s) => s.devices.speakers);
  const speakerId = useCallStore((s) => s.view.speakerId);
  const id = useId();
  if (!canPickSpeaker || speakers.length === 0) return null;
  return (
    <div className="speaker-picker">
      <label htmlFor={`${id}-speaker`}>Speaker</label>
      <div className="row">
        <select id={`${id}-speaker`} value={speakerId} onChange={(e) => setSpeaker(e.target.value)}>
          {!speakers.some((s) => s.deviceId === 'default') && (
            <option value="">System default</option>
          )}
          {speakers.map((d) => (
            <option key={d.deviceId} value={d.deviceId === 'default' ? '' : d.deviceId}>
              {d.label}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void playTestSound(speakerId).catch(() => undefined)}>
          Test speaker
        </button>
      </div>
    </div>
  );
}
