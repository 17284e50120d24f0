import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Room } from '../rooms/room.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import type { RedisRoomStore } from './redis-room-store.ts';

/**
 * This instance's lease on its seats, and its view of Redis's health. Every `beatMs` one
 * pipelined round trip renews the lease (a heartbeat in a sorted set), reads which instances
 * are alive, and finds instances whose lease ran out. A lapsed instance (SIGKILLed, or cut off)
 * is moved to a "dead" set with a release time one resume grace later; any instance that finds
 * the time passed claims the release (one ZREM wins) and removes the seats the dead instance
 * still owns (nobody resumed them elsewhere), telling their rooms they left. No ghosts, and no
 * per-seat keys to renew: one write per instance per beat, whatever its number of seats.
 *
 * The same beat is the health check: one that fails, or has no answer after `outageAfterMs`
 * (Redis frozen: kill -STOP), marks Redis unreachable, logged once, and /readyz answers 503
 * until a beat succeeds again. If Redis came back without this instance's lease (restarted
 * empty), its seats are written back before room operations resume.
 */

export interface InstanceLeaseOptions {
  redis: Redis;
  /** The bus's subscribing connection: ready only once it is back and resubscribed. */
  subscriber: Redis;
  node: string;
  keys: ClusterKeys;
  logger: Logger;
  store: RedisRoomStore;
  /** Seats of a lost instance are released this long after its lease ran out. */
  resumeGraceMs: number;
  /** Tells a room's remaining members that these released participants left. */
  announceLeft(roomId: string, room: Room | undefined, peerIds: string[]): void;
  observeRoundTrip?(seconds: number): void;
  onError?(error: unknown): void;
  beatMs?: number;
  leaseMs?: number;
  outageAfterMs?: number;
}

/** Moves a lapsed instance to the dead set, unless it renewed its lease meanwhile. */
const BURY_SCRIPT = `
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not beat or tonumber(beat) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`;

type LeaseRedis = Redis & {
  parleyBury(
    nodes: string,
    dead: string,
    node: string,
    lapsedBefore: number,
    releaseAt: number,
  ): Promise<number>;
};

export class InstanceLease {
  private readonly redis: LeaseRedis;
  private readonly beatMs: number;
  private readonly leaseMs: number;
  private readonly outageAfterMs: number;
  private readonly timer: NodeJS.Timeout;
  /** Instances whose lease ran out (released or about to be): their seats are up for resume. */
  private lost = new Set<string>();
  private state: 'starting' | 'up' | 'down' = 'starting';
  private busySince: number | undefined;
  private beats = 0;
  private stopped = false;

  constructor(private readonly options: InstanceLeaseOptions) {
    this.beatMs = options.beatMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 5000;
    this.outageAfterMs = options.outageAfterMs ?? 3000;
    options.redis.defineCommand('parleyBury', { numberOfKeys: 2, lua: BURY_SCRIPT });
    this.redis = options.redis as LeaseRedis;
    // A closed connection is an outage at once; a frozen one shows as a beat with no answer.
    for (const connection of [options.redis, options.subscriber]) {
      connection.on('close', () => {
        if (!this.stopped && this.state === 'up')
          this.down(new Error('connection to Redis closed'));
      });
    }
    options.store.pause(); // nothing reaches Redis before the first beat says it answers
    this.timer = setInterval(() => void this.beat(), this.beatMs);
    this.timer.unref();
    void this.beat();
  }

  get ready(): boolean {
    return this.state === 'up';
  }

  /** An instance not known to be lost counts as live: one that just started may not have beaten yet. */
  isLive(node: string): boolean {
    return !this.lost.has(node);
  }

  /** Graceful exit: gives up the lease now, so seats nobody resumes are released after the grace. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.state !== 'up') return;
    const { keys, node, resumeGraceMs } = this.options;
    await this.redis
      .pipeline()
      .zrem(keys.nodes, node)
      .zadd(keys.deadNodes, Date.now() + resumeGraceMs, node)
      .exec();
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.busySince !== undefined) {
      if (Date.now() - this.busySince > this.outageAfterMs)
        this.down(new Error(`no answer from Redis in ${this.outageAfterMs} ms`));
      return;
    }
    this.busySince = Date.now();
    try {
      await this.renew();
    } catch (error) {
      this.down(error);
    } finally {
      this.busySince = undefined;
    }
  }

  private async renew(): Promise<void> {
    const { keys, node, store, logger } = this.options;
    const now = Date.now();
    const lapsedBefore = now - this.leaseMs;
    const started = performance.now();
    const results = await this.redis
      .pipeline()
      .zadd(keys.nodes, now, node)
      .zrange(keys.deadNodes, 0, -1)
      .zrangebyscore(keys.nodes, '-inf', `(${lapsedBefore}`)
      .zrangebyscore(keys.deadNodes, '-inf', now)
      // Alive after all (it was only slow): its seats must not be released.
      .zrem(keys.deadNodes, node)
      .exec();
    if (!results) throw new Error('Redis pipeline aborted');
    for (const [error] of results) if (error) throw error;
    this.options.observeRoundTrip?.((performance.now() - started) / 1000);
    const [added, dead, lapsed, due] = results.map(([, value]) => value) as [
      number,
      string[],
      string[],
      string[],
    ];
    this.lost = new Set([...dead, ...lapsed].filter((other) => other !== node));
    // Our lease was gone: Redis restarted (empty, without persistence) or we were presumed dead.
    if (added === 1 && this.beats > 0) {
      const seats = await store.rewriteOwnedSeats();
      logger.warn({ seats }, 'Redis had lost this instance; its seats were written back');
    }
    this.beats++;
    if (this.state !== 'up') {
      // ioredis resubscribes a reconnected subscriber before anything queued after it: once
      // this PING is answered, frames for this instance's rooms reach it again.
      await this.options.subscriber.ping();
      logger.info(
        this.state === 'down' ? 'Redis reachable again: ready' : 'Redis reachable: ready',
      );
      this.state = 'up';
      store.resume();
    }
    for (const other of lapsed)
      await this.redis.parleyBury(
        keys.nodes,
        keys.deadNodes,
        other,
        lapsedBefore,
        now + this.options.resumeGraceMs,
      );
    for (const dead of due) {
      if (dead === node) continue;
      if ((await this.redis.zrem(keys.deadNodes, dead)) === 1) await this.release(dead);
    }
  }

  private async release(dead: string): Promise<void> {
    const { keys, store, logger } = this.options;
    let seats = 0;
    for (const roomId of await this.redis.smembers(keys.nodeRooms(dead))) {
      const { removed, room } = await store.releaseSeatsOf(roomId, dead);
      seats += removed.length;
      if (removed.length > 0) this.options.announceLeft(roomId, room, removed);
    }
    await this.redis.del(keys.nodeRooms(dead));
    logger.info({ node: dead, seats }, 'released the seats of a lost instance');
  }

  private down(error: unknown): void {
    this.options.onError?.(error);
    if (this.state === 'down') return;
    this.state = 'down';
    this.options.store.pause();
    this.options.logger.error(
      { err: error },
      'Redis unreachable: not ready (/readyz 503); room operations wait until it is back',
    );
  }
}
