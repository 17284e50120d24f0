import { randomBytes } from 'node:crypto';
import type { LeaveReason } from './lifecycle.ts';

/**
 * What receivers get: the Standard Webhooks payload shape (`type`, `timestamp`, `data`) plus
 * the event id, which is also the `webhook-id` header (the same on every retry, so receivers
 * deduplicate with it).
 */
export const EVENT_TYPES = [
  'room.started',
  'participant.joined',
  'participant.left',
  'room.finished',
] as const;
export type EventType = (typeof EVENT_TYPES)[number] | 'webhook.test';

export interface EventData {
  roomId: string;
  /**
   * One room id can host many calls over time; each run from `room.started` to `room.finished`
   * is a session with its own id, and `sequence` counts from 1 within it.
   */
  roomSessionId: string;
  sequence: number;
  participant: { id: string; name: string };
  /** Seats taken after this event (a leaving participant no longer counts). */
  participantCount: number;
  /** participant.left only. */
  reason?: LeaveReason;
}

export interface WebhookEvent {
  id: string;
  type: EventType;
  /** ISO 8601, when the event happened (the `webhook-timestamp` header is the attempt's time). */
  timestamp: string;
  data: EventData;
}

export function newEventId(): string {
  return `evt_${randomBytes(16).toString('base64url')}`;
}

export function newRoomSessionId(): string {
  return `rs_${randomBytes(12).toString('base64url')}`;
}
