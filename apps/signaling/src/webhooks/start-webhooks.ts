import { register, type Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { checkDestination, type Resolver } from './address-policy.ts';
import { EndpointDispatcher } from './endpoint-dispatcher.ts';
import type { WebhookEvent } from './events.ts';
import { FileOutbox } from './file-outbox.ts';
import type { RoomLifecycleListener } from './lifecycle.ts';
import { createWebhookMetrics } from './metrics.ts';
import type { Outbox } from './outbox.ts';
import { AgentPool } from './pinned-request.ts';
import { RoomTimeline } from './room-timeline.ts';
import { Signer } from './signer.ts';
import { endpointLabel, type WebhookConfig } from './webhook-config.ts';

/**
 * Wires the webhook pipeline: hub → RoomTimeline (events with sequence numbers) → Outbox
 * (durable first) → one EndpointDispatcher per URL (signed, retried, ordered per room).
 */

export interface Webhooks {
  /** Give this to the hub. */
  readonly lifecycle: RoomLifecycleListener;
  readonly outbox: Outbox;
  /** Stops delivering (attempts in flight get a moment to finish) and closes the outbox. */
  close(): Promise<void>;
}

/** What the pipeline needs of a room timeline: the in-memory one, or a shared one (cluster/). */
export type WebhookTimeline = RoomLifecycleListener &
  Pick<
    RoomTimeline,
    'snapshot' | 'restore' | 'apply' | 'expireUnconfirmedAfter' | 'roomCount' | 'dispose'
  >;

export interface WebhookDeps {
  logger: Logger;
  /** Participants who were present before a restart get this long to come back. */
  resumeGraceMs: number;
  registry?: Registry;
  resolver?: Resolver;
  /** Tests substitute an outbox; the default is the file outbox in config.outboxDir. */
  outbox?: (rooms: () => ReturnType<RoomTimeline['snapshot']>) => Outbox;
  /**
   * Scale-out: a timeline shared by every instance (cluster/cluster-room-timeline.ts), so a
   * room's events form one stream whichever instance holds each seat. Default: in memory.
   */
  timeline?: (emit: (event: WebhookEvent) => void) => WebhookTimeline;
}

/** How long shutdown waits for attempts in flight; the rest are retried after the restart. */
const STOP_WAIT_MS = 2_000;

/** Undefined when webhooks are off: then nothing is created and the hub gets no listener. */
export async function startWebhooks(
  config: WebhookConfig | undefined,
  deps: WebhookDeps,
): Promise<Webhooks | undefined> {
  if (!config) return undefined;
  const logger = deps.logger.child({ component: 'webhooks' });
  const targets = config.urls.map((u) => u.href);

  // The timeline only emits once the hub is running, by which time everything below exists.
  const timeline: WebhookTimeline =
    deps.timeline?.((event) => emit(event)) ?? new RoomTimeline((event) => emit(event));
  const snapshot = () => timeline.snapshot();
  const outbox = deps.outbox?.(snapshot) ?? new FileOutbox(config.outboxDir, snapshot);
  const state = await outbox.open();
  const metrics = createWebhookMetrics(deps.registry ?? register, () => outbox.depth());

  const signer = new Signer(config.secrets);
  const agents = new AgentPool();
  const dispatchers = new Map(
    config.urls.map((url) => [
      url.href,
      new EndpointDispatcher({
        url,
        signer,
        scheduleSeconds: config.retryScheduleSeconds,
        attempt: {
          timeoutMs: config.timeoutMs,
          allowPrivate: config.allowPrivate,
          agents,
          ...(deps.resolver ? { resolver: deps.resolver } : {}),
        },
        logger,
        metrics,
        onDelivered: (event, to) => outbox.acknowledge(event.id, to.href),
      }),
    ]),
  );

  const emit = (event: WebhookEvent) => {
    metrics.events.inc({ type: event.type });
    outbox.append(event, targets).then(
      () => {
        logger.debug({ eventId: event.id, type: event.type }, 'webhook event stored');
        for (const dispatcher of dispatchers.values()) dispatcher.enqueue(event);
      },
      (error: unknown) =>
        logger.error(
          { err: error, eventId: event.id, type: event.type, roomId: event.data.roomId },
          'webhook event LOST: the outbox could not store it (is DATA_DIR writable and not full?)',
        ),
    );
  };

  timeline.restore(state.rooms);
  for (const event of state.replay) timeline.apply(event);

  // Deliveries a previous run did not finish, in the order they were written.
  const dropped = new Map<string, number>();
  for (const { event, targets: waiting } of state.pending) {
    for (const target of waiting) {
      const dispatcher = dispatchers.get(target);
      if (dispatcher) dispatcher.enqueue(event);
      else {
        outbox.acknowledge(event.id, target);
        dropped.set(target, (dropped.get(target) ?? 0) + 1);
      }
    }
  }
  for (const [target, count] of dropped) {
    logger.warn(
      { endpoint: endpointLabel(new URL(target)), events: count },
      'dropping undelivered webhook events for an endpoint no longer in WEBHOOK_URLS',
    );
  }
  timeline.expireUnconfirmedAfter(deps.resumeGraceMs);

  logger.info(
    {
      endpoints: config.urls.map(endpointLabel),
      outbox: config.outboxDir,
      resumedDeliveries: state.pending.length,
      rooms: timeline.roomCount,
      retryScheduleSeconds: config.retryScheduleSeconds,
      allowPrivate: config.allowPrivate,
    },
    'webhooks on',
  );
  // Reported now rather than discovered at the first event; each attempt checks again anyway.
  for (const url of config.urls) {
    void checkDestination(url, config.allowPrivate, deps.resolver).then((check) => {
      if (!check.ok) {
        logger.error(
          { endpoint: endpointLabel(url), reason: check.reason, addresses: check.addresses },
          `webhook endpoint REFUSED: ${endpointLabel(url)}: ${check.reason}. Attempts to it will fail until this changes.`,
        );
      }
    });
  }

  return {
    lifecycle: timeline,
    outbox,
    async close() {
      timeline.dispose();
      await Promise.all([...dispatchers.values()].map((d) => d.stop(STOP_WAIT_MS)));
      agents.destroy();
      await outbox.close();
    },
  };
}
