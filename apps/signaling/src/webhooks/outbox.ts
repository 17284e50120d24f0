import type { WebhookEvent } from './events.ts';
import type { RoomSnapshot } from './room-timeline.ts';

/** An event with the endpoints (by URL) that have not acknowledged it yet. */
export interface PendingEvent {
  event: WebhookEvent;
  targets: string[];
}

export interface OutboxState {
  /** The room view at the last compaction; the timeline restores it, then replays `replay`. */
  rooms: RoomSnapshot[];
  /** Every event written since that snapshot, delivered or not, in order. */
  replay: WebhookEvent[];
  /** Undelivered events, in the order they were written. */
  pending: PendingEvent[];
}

/**
 * Durable storage of events between "happened" and "every endpoint said 2xx". The file outbox
 * (one instance, DATA_DIR) implements it today; a shared one (Redis, issue 15) can implement
 * the same contract so that any instance resumes another's deliveries.
 */
export interface Outbox {
  /** Reads what a previous run left. Call once, before anything else. */
  open(): Promise<OutboxState>;
  /**
   * Stores an event for these endpoints. Resolves once it is durable (survives SIGKILL and a
   * power cut); only then may delivery start. Rejects if it could not be stored.
   */
  append(event: WebhookEvent, targets: readonly string[]): Promise<void>;
  /** The endpoint acknowledged the event. Need not be durable at once: losing it means a duplicate, never a loss. */
  acknowledge(eventId: string, target: string): void;
  /** (event, endpoint) pairs not yet acknowledged. */
  depth(): number;
  /** Flushes and closes. */
  close(): Promise<void>;
}
