import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import {
  newEventId,
  newRoomSessionId,
  type EventType,
  type WebhookEvent,
} from '../webhooks/events.ts';
import type { LeaveReason } from '../webhooks/lifecycle.ts';
import type { WebhookTimeline } from '../webhooks/start-webhooks.ts';
import type { ClusterKeys } from './cluster-keys.ts';

/**
 * The webhook event stream of a room shared by every instance (REDIS_URL and WEBHOOK_URLS set).
 * One process keeps its room timelines in memory (webhooks/room-timeline.ts); with several,
 * a room's participants sit on different instances, a participant may resume on another
 * instance than the one it joined (a resume sends no event there), and the seats of a lost
 * instance are released by whichever instance claims the release. So who is in a room's event
 * stream, its session id and its sequence live in Redis, one hash per room, and each change is
 * one Lua script: the instance whose script adds or removes a member is the only one to emit
 * the event. A seat released after its instance died gets its `participant.left` (and the
 * room its `room.finished`) exactly once, from the instance that released it.
 *
 * Events still go out through the emitting instance's own outbox and dispatchers; `sequence`
 * orders a room's events across instances. Cost: one round trip per join or leave, nothing on
 * the relay path.
 */

/** Adds a member; returns nil if it is already in the stream (a resume), else what to emit. */
const JOIN_SCRIPT = `
local key = KEYS[1]
local field = 'm:' .. ARGV[1]
if redis.call('HEXISTS', key, field) == 1 then return false end
local session = redis.call('HGET', key, 's')
local started = 0
if not session then
  session = ARGV[3]
  started = 1
  redis.call('HSET', key, 's', session)
end
redis.call('HSET', key, field, ARGV[2])
local sequence = redis.call('HINCRBY', key, 'q', 1 + started)
redis.call('PEXPIRE', key, ARGV[4])
return {session, sequence, redis.call('HLEN', key) - 2, started}`;

/** Removes a member; nil if it is not in the stream (never announced, or already gone). */
const LEAVE_SCRIPT = `
local key = KEYS[1]
local field = 'm:' .. ARGV[1]
local name = redis.call('HGET', key, field)
if not name then return false end
redis.call('HDEL', key, field)
local session = redis.call('HGET', key, 's')
local sequence = redis.call('HINCRBY', key, 'q', 1)
local count = redis.call('HLEN', key) - 2
if count == 0 then redis.call('DEL', key) else redis.call('PEXPIRE', key, ARGV[2]) end
return {session, name, sequence, count}`;

/** Bounds a stream whose every instance vanished; rooms themselves live at most this long too. */
const STREAM_TTL_MS = 7 * 24 * 3600_000;

type TimelineRedis = Redis & {
  parleyWebhookJoin(
    key: string,
    peerId: string,
    name: string,
    session: string,
    ttlMs: number,
  ): Promise<[string, number, number, number] | null>;
  parleyWebhookLeave(
    key: string,
    peerId: string,
    ttlMs: number,
  ): Promise<[string, string, number, number] | null>;
};

export class ClusterRoomTimeline implements WebhookTimeline {
  private readonly redis: TimelineRedis;

  constructor(
    redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly emit: (event: WebhookEvent) => void,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('parleyWebhookJoin', { numberOfKeys: 1, lua: JOIN_SCRIPT });
    redis.defineCommand('parleyWebhookLeave', { numberOfKeys: 1, lua: LEAVE_SCRIPT });
    this.redis = redis as TimelineRedis;
  }

  // Commands on one connection run and answer in the order sent, so this instance's events for
  // a room are emitted in sequence order without waiting here.
  joined(roomId: string, peerId: string, displayName: string): void {
    this.redis
      .parleyWebhookJoin(
        this.keys.webhookRoom(roomId),
        peerId,
        displayName,
        newRoomSessionId(),
        STREAM_TTL_MS,
      )
      .then((reply) => {
        if (!reply) return; // already in the stream: resumed here after joining elsewhere
        const [session, sequence, count, started] = reply;
        const event = (type: EventType, seq: number) =>
          this.event(type, roomId, session, seq, peerId, displayName, count);
        if (started === 1) this.emit(event('room.started', sequence - 1));
        this.emit(event('participant.joined', sequence));
      })
      .catch((error: unknown) => this.lost(error, roomId, peerId, 'participant.joined'));
  }

  left(roomId: string, peerId: string, reason: LeaveReason): void {
    this.redis
      .parleyWebhookLeave(this.keys.webhookRoom(roomId), peerId, STREAM_TTL_MS)
      .then((reply) => {
        if (!reply) return; // never announced, or another instance already did
        const [session, name, sequence, count] = reply;
        this.emit(
          this.event('participant.left', roomId, session, sequence, peerId, name, count, reason),
        );
        if (count === 0)
          this.emit(this.event('room.finished', roomId, session, sequence + 1, peerId, name, 0));
      })
      .catch((error: unknown) => this.lost(error, roomId, peerId, 'participant.left'));
  }

  // The stream's state is in Redis, not in the outbox: nothing to snapshot or replay here.
  snapshot(): [] {
    return [];
  }
  restore(): void {}
  apply(): void {}
  /**
   * A restarted instance comes back under a new instance ID; the seats its previous run held
   * are released through that run's lapsed lease, with their events, by whichever instance
   * releases them.
   */
  expireUnconfirmedAfter(): void {}
  readonly roomCount = 0;
  dispose(): void {}

  private event(
    type: EventType,
    roomId: string,
    roomSessionId: string,
    sequence: number,
    peerId: string,
    name: string,
    participantCount: number,
    reason?: LeaveReason,
  ): WebhookEvent {
    return {
      id: newEventId(),
      type,
      timestamp: new Date().toISOString(),
      data: {
        roomId,
        roomSessionId,
        sequence,
        participant: { id: peerId, name },
        participantCount,
        ...(reason ? { reason } : {}),
      },
    };
  }

  private lost(error: unknown, roomId: string, peerId: string, type: EventType): void {
    this.logger.error(
      { err: error, roomId, peerId, type },
      'webhook event LOST: Redis did not answer the shared room timeline',
    );
  }
}
