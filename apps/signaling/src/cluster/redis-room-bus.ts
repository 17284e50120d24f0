import type { Redis } from 'ioredis';
import { RoomCounts, type DoorEvent, type RoomBus, type RoomBusHandlers } from '../hub/room-bus.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { parseDoorEvent } from './door-event.ts';
import type { RoomCache } from './room-cache.ts';

/**
 * Frames between instances over Redis pub/sub, one channel per room (as PeerCalls does): an
 * instance subscribes to a room while it holds a participant of it, and a frame for a
 * participant elsewhere is published on the room's channel, where the instance holding that
 * participant picks it up. All publishes of an instance go through one connection, and Redis
 * delivers a channel's messages to a subscriber in publish order, so one sender's signals reach
 * their target in the order sent.
 *
 * A message is a few header lines, then the frame untouched:
 *   d\n<from instance>\n<to peer>\n<sent at, ms>\n<frame>   a frame for a participant
 *   c\n<from instance>\n<peer>\n0\n                          that participant resumed at <from>
 *   e\n<from instance>\n\n0\n<door event, JSON>               lock and knock (door-event.ts)
 *   r\n\n\n0\n                                         the room was written (ROOM_CHANGED_MESSAGE)
 *
 * Pub/sub delivers at most once: a frame published while the subscriber's connection is down
 * is lost (docs/scaling.md, "Redis outage").
 */

export interface RedisRoomBusOptions {
  /** Publishes; the ordinary command connection. */
  publisher: Redis;
  /** Only subscribes (a subscribed connection can do nothing else); ioredis resubscribes it after a reconnect. */
  subscriber: Redis;
  node: string;
  keys: ClusterKeys;
  /**
   * Who holds a seat now, per the store. A claim is obeyed only if this instance does not: a
   * participant that resumed elsewhere and then, at once, here again must keep the newest.
   */
  ownerOf?(roomId: string, peerId: string): Promise<string | undefined>;
  /** Seconds from publish to delivery here, and publish failures, for metrics. */
  observeLatency?(seconds: number): void;
  onPublishError?(error: unknown): void;
  /**
   * The relay's copy of rooms (room-cache.ts), kept true by the "room changed" messages this bus
   * hears: it may keep a room only while the room's channel is subscribed.
   */
  cache?: RoomCache;
}

/** Published by the room store's compare-and-set script whenever it writes a room. */
export const ROOM_CHANGED_MESSAGE = 'r\n\n\n0\n';

export class RedisRoomBus implements RoomBus {
  readonly spansInstances = true;
  private readonly rooms = new RoomCounts();
  /** Subscriptions on their way: a second participant waits for the first one's. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private handlers: RoomBusHandlers | undefined;
  /** Frames published by an instance (this one included) and delivered to a connection here. */
  receivedFromOtherInstances = 0;

  constructor(private readonly options: RedisRoomBusOptions) {
    options.subscriber.on('message', (channel: string, message: string) =>
      this.onMessage(channel, message),
    );
    // While the subscriber is down, "room changed" messages are lost: no copy may be trusted
    // until every room's channel is subscribed again.
    options.subscriber.on('close', () => options.cache?.suspend());
    options.subscriber.on('ready', () => void this.resubscribe());
  }

  listen(handlers: RoomBusHandlers): void {
    this.handlers = handlers;
  }

  get localRooms(): number {
    return this.rooms.size;
  }

  async enter(roomId: string): Promise<void> {
    if (!this.rooms.add(roomId)) {
      await this.subscribing.get(roomId);
      return;
    }
    const subscription = this.options.subscriber.subscribe(this.options.keys.roomChannel(roomId));
    this.subscribing.set(roomId, subscription);
    try {
      await subscription;
      if (this.rooms.has(roomId)) this.options.cache?.watch(roomId);
    } catch (error) {
      this.rooms.remove(roomId);
      throw error;
    } finally {
      if (this.subscribing.get(roomId) === subscription) this.subscribing.delete(roomId);
    }
  }

  exit(roomId: string): void {
    if (!this.rooms.remove(roomId)) return;
    this.options.cache?.unwatch(roomId);
    // Commands on one connection run in order: a later `enter` re-subscribes after this.
    this.options.subscriber
      .unsubscribe(this.options.keys.roomChannel(roomId))
      .catch((error: unknown) => this.options.onPublishError?.(error));
  }

  send(roomId: string, peerId: string, frame: string | Uint8Array): void {
    const head = `d\n${this.options.node}\n${peerId}\n${now()}\n`;
    this.publish(
      roomId,
      typeof frame === 'string' ? head + frame : Buffer.concat([Buffer.from(head), frame]),
    );
  }

  claim(roomId: string, peerId: string): void {
    this.publish(roomId, `c\n${this.options.node}\n${peerId}\n0\n`);
  }

  announce(roomId: string, event: DoorEvent): void {
    this.publish(roomId, `e\n${this.options.node}\n\n0\n${JSON.stringify(event)}`);
  }

  /** A door event this instance acts on too (it found the room emptied, like any other). */
  announceToAll(roomId: string, event: DoorEvent): void {
    this.handlers?.door(roomId, event);
    this.announce(roomId, event);
  }

  private publish(roomId: string, message: string | Buffer): void {
    this.options.publisher
      .publish(this.options.keys.roomChannel(roomId), message)
      .catch((error: unknown) => this.options.onPublishError?.(error));
  }

  /**
   * After a reconnect. ioredis subscribes the channels again by itself, but gives no sign of when
   * that is done; this subscription (the same channels, harmless twice) is that sign.
   */
  private async resubscribe(): Promise<void> {
    const cache = this.options.cache;
    if (!cache) return;
    const channels = this.rooms.keys().map((roomId) => this.options.keys.roomChannel(roomId));
    try {
      if (channels.length > 0) await this.options.subscriber.subscribe(...channels);
      cache.resume();
    } catch (error) {
      // Still down or down again: the next 'ready' tries again, and the copy stays suspended.
      this.options.onPublishError?.(error);
    }
  }

  private async onClaim(channel: string, peerId: string): Promise<void> {
    const owner = await this.options.ownerOf?.(this.roomOf(channel), peerId).catch(() => undefined);
    if (owner !== this.options.node) this.handlers?.claimed(peerId);
  }

  /** The room a bus channel belongs to (read only where needed: not on the frame path). */
  private roomOf(channel: string): string {
    return channel.slice(this.options.keys.roomChannelPrefix.length);
  }

  private onMessage(channel: string, message: string): void {
    if (!channel.startsWith(this.options.keys.roomChannelPrefix) || !this.handlers) return;
    const kindEnd = message.indexOf('\n');
    const fromEnd = message.indexOf('\n', kindEnd + 1);
    const peerEnd = message.indexOf('\n', fromEnd + 1);
    const sentEnd = message.indexOf('\n', peerEnd + 1);
    if (sentEnd < 0) return;
    const kind = message.slice(0, kindEnd);
    const from = message.slice(kindEnd + 1, fromEnd);
    const peerId = message.slice(fromEnd + 1, peerEnd);
    if (kind === 'c') {
      if (from !== this.options.node) void this.onClaim(channel, peerId);
      return;
    }
    if (kind === 'r') {
      this.options.cache?.changed(this.roomOf(channel));
      return;
    }
    if (kind === 'e') {
      const event = parseDoorEvent(message.slice(sentEnd + 1));
      if (event && from !== this.options.node) this.handlers.door(this.roomOf(channel), event);
      return;
    }
    if (kind !== 'd' || !this.handlers.deliver(peerId, message.slice(sentEnd + 1))) return;
    this.receivedFromOtherInstances++;
    this.options.observeLatency?.(
      Math.max(0, (now() - Number(message.slice(peerEnd + 1, sentEnd))) / 1000),
    );
  }
}

/** Wall-clock milliseconds with sub-millisecond precision (instances on one host share it). */
function now(): number {
  return performance.timeOrigin + performance.now();
}
