import type { Logger } from '../logger.ts';
import type { WebhookEvent } from './events.ts';
import type { WebhookMetrics } from './metrics.ts';
import { attemptDelivery, type AttemptOptions, type AttemptResult } from './pinned-request.ts';
import type { Signer } from './signer.ts';
import { endpointLabel } from './webhook-config.ts';

/**
 * Delivers to one endpoint. Each room is a lane: its events go strictly one after another
 * (event n+1 is not sent before event n got a 2xx), while different rooms proceed in parallel,
 * up to MAX_IN_FLIGHT requests. A failed event is retried after the schedule's next delay (or
 * the receiver's Retry-After, if longer), and its lane waits for it. 410 Gone, or a schedule run
 * out, disables the endpoint until the next start; its events stay in the outbox.
 */

const MAX_IN_FLIGHT = 8;
/** Delays get up to this much extra, so that many lanes failing together do not retry in lockstep. */
const JITTER = 0.1;

interface Lane {
  roomId: string;
  queue: WebhookEvent[];
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

export interface DispatcherDeps {
  url: URL;
  signer: Signer;
  scheduleSeconds: readonly number[];
  attempt: AttemptOptions;
  logger: Logger;
  metrics: WebhookMetrics | undefined;
  onDelivered: (event: WebhookEvent, url: URL) => void;
  random?: () => number;
}

export class EndpointDispatcher {
  private readonly lanes = new Map<string, Lane>();
  /** Lanes whose head event may be sent now, oldest first. */
  private readonly ready = new Set<Lane>();
  private inFlight = 0;
  private pausedUntil = 0;
  private pauseTimer: NodeJS.Timeout | undefined;
  private disabledReason: string | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly label: string;

  constructor(private readonly deps: DispatcherDeps) {
    this.label = endpointLabel(deps.url);
  }

  get disabled(): string | undefined {
    return this.disabledReason;
  }

  /** Called only once the event is durable in the outbox. */
  enqueue(event: WebhookEvent): void {
    const roomId = event.data.roomId;
    let lane = this.lanes.get(roomId);
    if (!lane) {
      lane = { roomId, queue: [], failures: 0, timer: undefined };
      this.lanes.set(roomId, lane);
    }
    lane.queue.push(event);
    if (lane.queue.length === 1) this.schedule(lane, this.delayBefore(1));
  }

  /** Events waiting here (not yet acknowledged by this endpoint). */
  get queued(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.queue.length;
    return n;
  }

  /** Stops scheduling; resolves when attempts in flight are done or after `waitMs`. */
  async stop(waitMs: number): Promise<void> {
    this.disabledReason ??= 'stopping';
    clearTimeout(this.pauseTimer);
    for (const lane of this.lanes.values()) clearTimeout(lane.timer);
    if (this.inFlight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  private delayBefore(attempt: number): number {
    const seconds = this.deps.scheduleSeconds[attempt - 1] ?? 0;
    const random = this.deps.random ?? Math.random;
    return seconds === 0 ? 0 : seconds * 1000 * (1 + JITTER * random());
  }

  private schedule(lane: Lane, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.add(lane);
      return this.pump();
    }
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.ready.add(lane);
      this.pump();
    }, delayMs);
    lane.timer.unref();
  }

  private pump(): void {
    if (this.disabledReason) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      if (!this.pauseTimer) {
        this.pauseTimer = setTimeout(() => {
          this.pauseTimer = undefined;
          this.pump();
        }, wait);
        this.pauseTimer.unref();
      }
      return;
    }
    for (const lane of this.ready) {
      if (this.inFlight >= MAX_IN_FLIGHT) return;
      this.ready.delete(lane);
      void this.send(lane);
    }
  }

  private async send(lane: Lane): Promise<void> {
    const event = lane.queue[0];
    if (!event) return;
    this.inFlight += 1;
    const attempt = lane.failures + 1;
    this.deps.logger.debug(this.fields(event, attempt), 'webhook attempt starting');
    const body = JSON.stringify(event);
    const headers = this.deps.signer.headers(event.id, body);
    let result: AttemptResult;
    try {
      result = await attemptDelivery(this.deps.url, body, headers, this.deps.attempt);
    } catch (error) {
      result = { outcome: 'failed', error: (error as Error).message, ms: 0 };
    }
    this.inFlight -= 1;
    this.deps.metrics?.attempts.inc({ outcome: result.outcome });
    if (result.outcome === 'delivered')
      this.delivered(lane, event, attempt, result.ms, result.status);
    else this.failed(lane, event, attempt, result);
    if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.pump();
  }

  private delivered(
    lane: Lane,
    event: WebhookEvent,
    attempt: number,
    ms: number,
    status: number,
  ): void {
    this.deps.metrics?.latency.observe((Date.now() - Date.parse(event.timestamp)) / 1000);
    this.deps.onDelivered(event, this.deps.url);
    this.deps.logger.info(
      { ...this.fields(event, attempt), status, ms, outcome: 'delivered' },
      'webhook delivered',
    );
    lane.queue.shift();
    lane.failures = 0;
    if (lane.queue.length > 0) this.schedule(lane, this.delayBefore(1));
    else this.lanes.delete(lane.roomId);
  }

  private failed(
    lane: Lane,
    event: WebhookEvent,
    attempt: number,
    result: Exclude<AttemptResult, { outcome: 'delivered' }>,
  ): void {
    lane.failures = attempt;
    const status = 'status' in result ? result.status : undefined;
    const fields = {
      ...this.fields(event, attempt),
      ...(status !== undefined ? { status } : {}),
      ...(result.error ? { error: result.error } : {}),
      ms: result.ms,
      outcome: result.outcome,
    };
    if (status === 410) {
      this.deps.logger.warn(fields, 'webhook attempt failed');
      return this.disable('the receiver answered 410 Gone');
    }
    if (attempt >= this.deps.scheduleSeconds.length) {
      this.deps.logger.warn(fields, 'webhook attempt failed');
      return this.disable(`${attempt} attempts at event ${event.id} all failed`);
    }
    const retryAfterMs = 'retryAfterMs' in result ? result.retryAfterMs : undefined;
    let delay = this.delayBefore(attempt + 1);
    if (retryAfterMs !== undefined) {
      // The receiver asked for a break: the whole endpoint pauses, not just this room.
      delay = Math.max(delay, retryAfterMs);
      this.pausedUntil = Math.max(this.pausedUntil, Date.now() + retryAfterMs);
    }
    this.deps.logger.warn(
      {
        ...fields,
        nextAttemptInMs: Math.round(delay),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      },
      'webhook attempt failed',
    );
    this.schedule(lane, delay);
  }

  private disable(reason: string): void {
    if (this.disabledReason) return;
    this.disabledReason = reason;
    clearTimeout(this.pauseTimer);
    for (const lane of this.lanes.values()) clearTimeout(lane.timer);
    this.ready.clear();
    this.deps.metrics?.disabled.inc();
    this.deps.logger.error(
      { endpoint: this.label, reason, undelivered: this.queued },
      `webhook endpoint DISABLED: ${this.label}: ${reason}. Its undelivered events stay in the outbox and are sent again after a restart; remove the URL from WEBHOOK_URLS to drop them.`,
    );
  }

  private fields(event: WebhookEvent, attempt: number) {
    return {
      endpoint: this.label,
      eventId: event.id,
      type: event.type,
      roomId: event.data.roomId,
      sequence: event.data.sequence,
      attempt,
    };
  }
}
