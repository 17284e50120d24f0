import { hostname } from 'node:os';
import { encodeMessage, randomId } from '@parley/protocol';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { WebhookEvent } from '../webhooks/events.ts';
import type { RoomLifecycleListener } from '../webhooks/lifecycle.ts';
import { ClusterRoomTimeline } from './cluster-room-timeline.ts';
import { clusterKeys } from './cluster-keys.ts';
import { createClusterMetrics } from './cluster-metrics.ts';
import { InstanceLease } from './instance-lease.ts';
import { RedisRoomBus } from './redis-room-bus.ts';
import { RedisRoomStore } from './redis-room-store.ts';
import { RedisSessionRoute } from './redis-session-route.ts';
import { RoomCache } from './room-cache.ts';

/**
 * Scale-out wiring (REDIS_URL set): two Redis connections (commands and publishes; subscribes),
 * the shared room store, the cross-instance bus and this instance's lease. The hub gets the
 * store and the bus through its seams and never learns they are Redis.
 */

export interface Cluster {
  readonly node: string;
  readonly store: RedisRoomStore;
  readonly bus: RedisRoomBus;
  /** Carries HTTP session requests to the instance holding the session. */
  readonly sessionRoute: RedisSessionRoute;
  /** Why this instance should not get new clients, or undefined when it is ready. */
  unreadyReason(): string | undefined;
  /**
   * Before the drain: marks this instance's seats disconnected and gives up its lease, so its
   * clients resume elsewhere as themselves and seats nobody resumes are released after the grace.
   */
  leave(): Promise<void>;
  /** The webhook event stream shared by every instance (webhooks on). */
  webhookTimeline(emit: (event: WebhookEvent) => void): ClusterRoomTimeline;
  /** Disconnects from Redis (after `leave`, once the clients are gone). */
  close(): Promise<void>;
}

export interface ClusterOptions {
  redisUrl: string;
  logger: Logger;
  resumeGraceMs: number;
  /** How long a seat that ended cannot be resumed with its token (the hub's own ledger's span). */
  endedTtlMs: number;
  /**
   * Told of seats this instance released for a lost one (webhooks: `participant.left`). A
   * function, because webhooks start after the cluster (they need its Redis).
   */
  lifecycle?: () => RoomLifecycleListener | undefined;
}

export function startCluster({
  redisUrl,
  logger,
  resumeGraceMs,
  endedTtlMs,
  lifecycle,
}: ClusterOptions): Cluster {
  const node = `${hostname()}-${randomId().slice(0, 8)}`;
  const keys = clusterKeys();
  const metrics = createClusterMetrics();
  const countError = () => metrics.redisErrors.inc();
  const redis = new Redis(redisUrl, {
    // Back within a second of Redis returning; commands queued meanwhile wait ~15 s at most.
    retryStrategy: (times) => Math.min(times * 100, 1000),
    maxRetriesPerRequest: 20,
    // Publishes made while handling one burst of frames go out in one write (the batch is sent
    // on setImmediate, in order): bench 9 measured redis-server's CPU per cross-instance signal
    // at 3 µs instead of 12, and each instance's at 29 µs instead of 34.
    enableAutoPipelining: true,
    connectionName: `parley-${node}`,
  });
  const subscriber = redis.duplicate({ connectionName: `parley-${node}-sub` });
  // Without a listener ioredis would throw; the lease logs the outage once.
  redis.on('error', countError);
  subscriber.on('error', countError);

  // Shared by the store (which reads and keeps rooms) and the bus (which hears when they change).
  const cache = new RoomCache();
  const store: RedisRoomStore = new RedisRoomStore({
    redis,
    node,
    keys,
    cache,
    // Called on admissions only, once `lease` below exists.
    isLive: (other): boolean => lease.isLive(other),
    endedTtlMs,
  });
  const bus = new RedisRoomBus({
    publisher: redis,
    subscriber,
    node,
    keys,
    ownerOf: (roomId, peerId) => store.ownerOf(roomId, peerId),
    observeLatency: (seconds) => metrics.relayLatency.observe(seconds),
    onPublishError: countError,
    cache,
  });
  // Made before the lease: it subscribes before the lease's first beat pings that connection,
  // so "ready" also means requests forwarded from other instances reach this one.
  const sessionRoute = new RedisSessionRoute({
    publisher: redis,
    subscriber,
    node,
    keys,
    onPublishError: countError,
  });
  const lease: InstanceLease = new InstanceLease({
    redis,
    subscriber,
    node,
    keys,
    logger,
    store,
    resumeGraceMs,
    announceLeft(roomId, room, peerIds) {
      // Only the instance that won the release gets here: the events go out once.
      for (const peerId of peerIds) lifecycle?.()?.left(roomId, peerId, 'timeout');
      // The lost instance held the room's last seats: its lock went with it; newcomers waiting
      // on any instance (this one too) are turned away, as when a room empties on one.
      if (!room) bus.announceToAll(roomId, { kind: 'emptied' });
      for (const member of room?.members ?? []) {
        if (!member.connected) continue;
        for (const peerId of peerIds)
          bus.send(
            roomId,
            member.peerId,
            encodeMessage({ type: 'peer-left', peerId, reason: 'disconnected' }),
          );
      }
    },
    observeRoundTrip: (seconds) => metrics.redisRoundTrip.observe(seconds),
    onError: countError,
  });
  logger.info({ node }, 'scale-out on: rooms are shared through Redis (REDIS_URL)');

  return {
    node,
    store,
    bus,
    webhookTimeline: (emit) => new ClusterRoomTimeline(redis, keys, emit, logger),
    sessionRoute,
    unreadyReason: () => (lease.ready ? undefined : 'redis-unavailable'),
    async leave() {
      if (lease.ready) await store.disconnectOwnedSeats().catch(countError);
      await lease.stop().catch(countError);
    },
    async close() {
      sessionRoute.close();
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
}
