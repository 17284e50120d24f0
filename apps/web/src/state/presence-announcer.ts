import type { ChatEntry } from '../call/call-session.ts';
import { useCallStore } from './call-store.ts';
import { pushToast } from './view-actions.ts';

/** How much of a chat message its preview toast shows. */
export const CHAT_PREVIEW_LENGTH = 80;

/** A toast (and, when chosen, a soft chime) for someone joining or leaving. */
export function announcePresence(kind: 'joined' | 'left', name: string): void {
  pushToast(kind, kind === 'joined' ? `${name} joined` : `${name} left`);
  if (useCallStore.getState().view.presenceSound) chime(kind === 'joined' ? 660 : 440);
}

/** A preview of a message from someone else while the chat panel is closed. */
export function announceChat(entry: ChatEntry): void {
  const { chat, participants } = useCallStore.getState();
  if (entry.self || chat.open) return;
  const from = participants[entry.fromId]?.displayName ?? 'Someone';
  const text =
    entry.text.length > CHAT_PREVIEW_LENGTH
      ? `${entry.text.slice(0, CHAT_PREVIEW_LENGTH - 1)}…`
      : entry.text;
  pushToast('chat', `${from}: ${text}`);
}

let audio: AudioContext | undefined;

/** A short, quiet sine blip: noticeable, not startling. Made in place, so no sound file ships. */
export function chime(
  frequency: number,
  target?: { context: AudioContext; node: AudioNode },
  delaySeconds = 0,
): void {
  try {
    const context = target?.context ?? (audio ??= new AudioContext());
    const now = context.currentTime + delaySeconds;
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.08, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.35);
    osc.connect(gain).connect(target?.node ?? context.destination);
    osc.start(now);
    osc.stop(now + 0.4);
  } catch {
    // No audio output available: the toast alone says it.
  }
}
