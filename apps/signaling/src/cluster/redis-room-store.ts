import type { Redis } from 'ioredis';
import {
  admit,
  emptyRoom,
  findMember,
  withLock,
  type AdmitRequest,
  type AdmitResult,
  type Member,
  type Room,
} from '../rooms/room.ts';
import type { RoomStore } from '../rooms/room-store.ts';
import type { ClusterKeys } from './cluster-keys.ts';
import { ROOM_CHANGED_MESSAGE } from './redis-room-bus.ts';
import type { RoomCache } from './room-cache.ts';
import { decodeRoom, encodeRoom, type OwnedRoom } from './stored-room.ts';

/**
 * Rooms shared by every instance through Redis. Each change reads the room, applies the same
 * pure rule the in-memory store uses (rooms/room.ts: capacity, restore of a held seat, distinct
 * names), and writes it back with a compare-and-set Lua script that succeeds only if the room
 * is still what was read. A loser re-reads and decides again, so seven joins racing for six
 * seats through any number of instances seat exactly six, and the rules live in one place.
 *
 * Every member records its owner, the instance holding its connection. An instance changes
 * only seats it owns (a seat resumed elsewhere is no longer its to drop), and remembers them,
 * so that it can write them back when Redis comes back empty (restarted without persistence).
 * The room's lock travels in the same value (stored-room.ts), so a join's lock check is part of
 * the same compare-and-set, and an instance remembers which of its rooms it last saw locked, so
 * that a room written back after a data loss is not silently unlocked.
 */

/**
 * Compare-and-set of one room, recording the room under the writing instance's index. A write
 * also tells every instance holding the room, on its bus channel, to drop its copy (room-cache.ts):
 * in the script, so no write can go unannounced.
 */
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`;

/** Each round at least one writer wins, so this bounds a race between this many writers. */
const MAX_ATTEMPTS = 64;
/** Rooms are deleted when they empty; this only bounds a room whose every instance vanished. */
const ROOM_TTL_MS = 7 * 24 * 3600_000;

type CasRedis = Redis & {
  parleyRoomCas(room: string, index: string, ...args: string[]): Promise<number>;
};

type Change<T> = {
  value: T;
  /** The room to write (an empty one is deleted); absent when nothing changes. */
  next?: { room: Room; owners: ReadonlyMap<string, string> };
};

export interface RedisRoomStoreOptions {
  redis: Redis;
  /** This instance's ID, recorded as the owner of the seats it admits. */
  node: string;
  keys: ClusterKeys;
  /** Whether an instance's lease is current (instance-lease.ts). */
  isLive(node: string): boolean;
  /** How long an ended seat's resume token stays refused. */
  endedTtlMs: number;
  /** The relay's copy of rooms, kept true by the bus (room-cache.ts); none: every relay reads. */
  cache?: RoomCache;
}

export class RedisRoomStore implements RoomStore {
  private readonly redis: CasRedis;
  /** Seats this instance owns: roomId → peerId → member, to write back after a data loss. */
  private readonly owned = new Map<string, Map<string, Member>>();
  /** Rooms with a seat owned here that were locked when last read or written here. */
  private readonly lockedRooms = new Set<string>();
  private paused: { promise: Promise<void>; resume(): void } | undefined;

  constructor(private readonly options: RedisRoomStoreOptions) {
    options.redis.defineCommand('parleyRoomCas', { numberOfKeys: 2, lua: CAS_SCRIPT });
    this.redis = options.redis as CasRedis;
  }

  get(roomId: string): Promise<Room | undefined> {
    return this.whenAvailable(async () => (await this.read(roomId))?.room);
  }

  /**
   * From the copy when it names the target, so the relay needs no Redis read. A target missing
   * from the copy is looked up afresh before it is refused: it may have joined a moment ago.
   */
  relayTarget(roomId: string, peerId: string): Member | undefined | Promise<Member | undefined> {
    const cached = this.options.cache?.get(roomId);
    const member = cached && findMember(cached, peerId);
    if (member) return member;
    return this.get(roomId).then((room) => room && findMember(room, peerId));
  }

  admit(roomId: string, request: AdmitRequest, capacity: number): Promise<AdmitResult> {
    return this.whenAvailable(async () => {
      const result = await this.update<AdmitResult>(roomId, (current) => {
        const owners = new Map(current?.owners);
        // A member whose instance died is as good as disconnected: resuming it is no takeover.
        const room = current ? this.seenFromHere(current) : emptyRoom(roomId);
        const result = admit(room, request, capacity);
        if (!result.ok) return { value: result };
        owners.set(request.peerId, this.options.node);
        // Written back as they were: whether another instance is dead is only this one's view.
        const others = new Map(current?.room.members.map((m) => [m.peerId, m]));
        const next: Room = {
          ...result.room,
          members: result.room.members.map((m) =>
            m.peerId === request.peerId ? m : (others.get(m.peerId) ?? m),
          ),
        };
        return { value: { ...result, room: next }, next: { room: next, owners } };
      });
      if (result.ok) {
        this.own(roomId, result.member);
        this.noteLock(roomId, result.room);
      }
      return result;
    });
  }

  setLock(roomId: string, locked: boolean): Promise<boolean> {
    return this.whenAvailable(() =>
      this.update(roomId, (current) => {
        if (!current || (current.room.locked ?? false) === locked) return { value: false };
        const next = { room: withLock(current.room, locked), owners: current.owners };
        return { value: true, next };
      }),
    );
  }

  markDisconnected(roomId: string, peerId: string): Promise<Room | undefined> {
    return this.whenAvailable(async () => {
      let ours = false;
      const room = await this.update(roomId, (current) => {
        ours = current !== undefined && this.owns(current, peerId);
        if (!current || !ours) return { value: current?.room };
        const next: Room = {
          ...current.room,
          members: current.room.members.map((m) =>
            m.peerId === peerId ? { ...m, connected: false } : m,
          ),
        };
        return { value: next, next: { room: next, owners: current.owners } };
      });
      const member = room && findMember(room, peerId);
      if (ours && member) this.own(roomId, member);
      else this.disown(roomId, peerId);
      return room;
    });
  }

  remove(roomId: string, peerId: string): Promise<Room | undefined> {
    return this.whenAvailable(async () => {
      let removed = false;
      const room = await this.update(roomId, (current) => {
        removed = false;
        if (!current) return { value: undefined };
        // Not ours (resumed on another instance): it stays, and the hub sees it still there.
        if (findMember(current.room, peerId) && !this.owns(current, peerId))
          return { value: current.room };
        const next = withoutMembers(current.room, [peerId]);
        removed = next.members.length < current.room.members.length;
        if (!removed) return { value: next.members.length === 0 ? undefined : next };
        return {
          value: next.members.length === 0 ? undefined : next,
          next: { room: next, owners: current.owners },
        };
      });
      this.disown(roomId, peerId); // removed, or resumed on another instance: not ours either way
      if (removed) await this.markEnded(roomId, [peerId]);
      return room;
    });
  }

  /** The instance holding a seat's connection now, if the seat exists. */
  async ownerOf(roomId: string, peerId: string): Promise<string | undefined> {
    return (await this.read(roomId))?.owners.get(peerId);
  }

  async seatEnded(roomId: string, peerId: string): Promise<boolean> {
    return (await this.redis.exists(this.options.keys.ended(roomId, peerId))) === 1;
  }

  /**
   * Releases the seats `deadNode` still owns in a room (nobody resumed them within the grace).
   * Returns who was removed and the room as it is now, for the peer-left notices.
   */
  async releaseSeatsOf(
    roomId: string,
    deadNode: string,
  ): Promise<{ removed: string[]; room: Room | undefined }> {
    const outcome = await this.update(roomId, (current) => {
      if (!current) return { value: { removed: [] as string[], room: undefined } };
      const removed = current.room.members
        .filter((m) => current.owners.get(m.peerId) === deadNode)
        .map((m) => m.peerId);
      if (removed.length === 0) return { value: { removed, room: current.room } };
      const next = withoutMembers(current.room, removed);
      return {
        value: { removed, room: next.members.length === 0 ? undefined : next },
        next: { room: next, owners: current.owners },
      };
    });
    await this.markEnded(roomId, outcome.removed);
    return outcome;
  }

  /**
   * Before a graceful exit tells clients to reconnect: their seats read as disconnected, so a
   * resume on another instance is a plain resume, not a takeover of a live connection.
   */
  async disconnectOwnedSeats(): Promise<void> {
    await Promise.all(
      [...this.owned.keys()].map((roomId) =>
        this.update(roomId, (current) => {
          if (!current) return { value: undefined };
          const mine = (m: Member) => m.connected && this.owns(current, m.peerId);
          if (!current.room.members.some(mine)) return { value: undefined };
          const members = current.room.members.map((m) =>
            mine(m) ? { ...m, connected: false } : m,
          );
          return {
            value: undefined,
            next: { room: { ...current.room, members }, owners: current.owners },
          };
        }),
      ),
    );
  }

  /** Holds every room operation (in memory, in order) until `resume`: Redis is unreachable. */
  pause(): void {
    if (this.paused) return;
    let resume!: () => void;
    const promise = new Promise<void>((resolve) => (resume = resolve));
    this.paused = { promise, resume };
  }

  resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.resume();
  }

  /** Writes back the seats this instance owns that Redis lost (it restarted empty). */
  async rewriteOwnedSeats(): Promise<number> {
    let restored = 0;
    for (const [roomId, members] of this.owned) {
      await this.update(roomId, (current) => {
        const room = current?.room ?? emptyRoom(roomId);
        const missing = [...members.values()].filter((m) => !findMember(room, m.peerId));
        restored = missing.length;
        // Any instance that saw the room locked locks it again: a lost lock must not open it.
        const locked = (room.locked ?? false) || this.lockedRooms.has(roomId);
        if (missing.length === 0 && locked === (room.locked ?? false)) return { value: undefined };
        const owners = new Map(current?.owners);
        for (const m of missing) owners.set(m.peerId, this.options.node);
        const next = withLock({ ...room, members: [...room.members, ...missing] }, locked);
        return { value: undefined, next: { room: next, owners } };
      });
    }
    return restored;
  }

  private whenAvailable<T>(operation: () => Promise<T>): Promise<T> {
    return this.paused ? this.paused.promise.then(operation) : operation();
  }

  private async read(roomId: string): Promise<OwnedRoom | undefined> {
    const ticket = this.options.cache?.ticket() ?? 0;
    const current = decodeRoom(roomId, await this.redis.get(this.options.keys.room(roomId)));
    this.noteLock(roomId, current?.room);
    this.options.cache?.keep(roomId, current?.room, ticket);
    return current;
  }

  private async update<T>(roomId: string, change: (current?: OwnedRoom) => Change<T>): Promise<T> {
    const { keys, node } = this.options;
    const key = keys.room(roomId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const text = await this.redis.get(key);
      const current = decodeRoom(roomId, text);
      const { value, next } = change(current);
      if (!next) {
        this.noteLock(roomId, current?.room);
        return value;
      }
      const nextText =
        next.room.members.length === 0 ? '' : encodeRoom(next.room, next.owners, node);
      const written = await this.redis.parleyRoomCas(
        key,
        keys.nodeRooms(node),
        text ?? '',
        nextText,
        String(ROOM_TTL_MS),
        roomId,
        keys.roomChannel(roomId),
        ROOM_CHANGED_MESSAGE,
      );
      if (written === 1) {
        // Our own notice is on its way too; the copy must not serve a relay before it lands.
        this.options.cache?.changed(roomId);
        this.noteLock(roomId, next.room);
        return value;
      }
    }
    throw new Error(`room ${roomId}: too many concurrent changes`);
  }

  private seenFromHere({ room, owners }: OwnedRoom): Room {
    const { isLive } = this.options;
    return {
      ...room,
      members: room.members.map((m) =>
        m.connected && !isLive(owners.get(m.peerId) ?? '') ? { ...m, connected: false } : m,
      ),
    };
  }

  private owns(current: OwnedRoom, peerId: string): boolean {
    return current.owners.get(peerId) === this.options.node;
  }

  private own(roomId: string, member: Member): void {
    let members = this.owned.get(roomId);
    if (!members) this.owned.set(roomId, (members = new Map()));
    members.set(member.peerId, member);
  }

  private disown(roomId: string, peerId: string): void {
    const members = this.owned.get(roomId);
    members?.delete(peerId);
    if (members?.size !== 0) return;
    this.owned.delete(roomId);
    this.lockedRooms.delete(roomId);
  }

  /** A room missing from Redis tells nothing: it may be a data loss this instance will undo. */
  private noteLock(roomId: string, room: Room | undefined): void {
    if (!room || !this.owned.has(roomId)) return;
    if (room.locked) this.lockedRooms.add(roomId);
    else this.lockedRooms.delete(roomId);
  }

  private async markEnded(roomId: string, peerIds: string[]): Promise<void> {
    if (peerIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const peerId of peerIds)
      pipeline.set(this.options.keys.ended(roomId, peerId), '1', 'PX', this.options.endedTtlMs);
    await pipeline.exec();
  }
}

function withoutMembers(room: Room, peerIds: string[]): Room {
  return { ...room, members: room.members.filter((m) => !peerIds.includes(m.peerId)) };
}
