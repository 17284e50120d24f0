import type { DoorEvent } from '../hub/room-bus.ts';

/**
 * Reads a door event another instance published (redis-room-bus.ts). Instances trust each
 * other, but a shared Redis is one more place a stray publish can come from: anything that is
 * not exactly a known event is dropped rather than acted on.
 */
export function parseDoorEvent(text: string): DoorEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  switch (event.kind) {
    case 'opened':
    case 'emptied':
      return { kind: event.kind };
    case 'greet':
      return typeof event.peerId === 'string' ? { kind: 'greet', peerId: event.peerId } : undefined;
    case 'answer':
      return typeof event.knockId === 'string' &&
        typeof event.admit === 'boolean' &&
        typeof event.byName === 'string'
        ? { kind: 'answer', knockId: event.knockId, admit: event.admit, byName: event.byName }
        : undefined;
    default:
      return undefined;
  }
}
