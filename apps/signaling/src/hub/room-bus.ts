/**
 * The seam between the hub and other signalling instances. The hub delivers to participants
 * connected to this instance itself; a frame for anyone else goes through the bus. With one
 * process (the default) there is nobody else and the in-process bus does nothing; with
 * REDIS_URL set, cluster/redis-room-bus.ts carries frames between instances. The hub never
 * learns which.
 *
 *   hub ──send / claim / announce──▶ RoomBus ──▶ other instances' hubs (deliver / claimed / door)
 */
export interface RoomBus {
  /** False for the single-process bus: nothing is ever sent, so the hub need not build frames. */
  readonly spansInstances: boolean;
  /**
   * A participant of `roomId` is about to be seated on this instance. Resolves once frames for
   * the room can reach this instance, so nothing sent after its seat exists is missed.
   * Counted: every `enter` is matched by one `exit`. Returns nothing when there is nothing to
   * wait for, so a single process seats a participant without a promise hop.
   */
  enter(roomId: string): Promise<void> | void;
  exit(roomId: string): void;
  /** A frame for a seated participant that is not connected to this instance. */
  send(roomId: string, peerId: string, frame: string | Uint8Array): void;
  /** This instance now holds `peerId`'s connection: another instance holding it lets go. */
  claim(roomId: string, peerId: string): void;
  /**
   * Tells the other instances holding the room (a participant, or a newcomer knocking there)
   * what happened at its door. This instance has already acted on it itself.
   */
  announce(roomId: string, event: DoorEvent): void;
  /** What other instances send this one. Called once, by the hub. */
  listen(handlers: RoomBusHandlers): void;
  /** Rooms with a participant seated, or a newcomer knocking, on this instance. */
  readonly localRooms: number;
  /** Frames from other instances delivered to a connection here, for metrics. */
  readonly receivedFromOtherInstances?: number;
}

export interface RoomBusHandlers {
  /**
   * A frame for `peerId`; false when it is not connected here (every instance holding someone
   * in the room may see the room's frames).
   */
  deliver(peerId: string, frame: string): boolean;
  /** Another instance took over `peerId` (a resume there): drop its connection and timer here. */
  claimed(peerId: string): void;
  /** Another instance announced something at a room's door. */
  door(roomId: string, event: DoorEvent): void;
}

/**
 * What instances tell each other about a locked room's door (hub/doorkeeper.ts). The lock
 * itself is in the room store; these are about the newcomers waiting, each held by the
 * instance its connection reached.
 */
export type DoorEvent =
  /** A participant answered a knock held by another instance. */
  | { kind: 'answer'; knockId: string; admit: boolean; byName: string }
  /** The room was unlocked: everyone waiting comes in. */
  | { kind: 'opened' }
  /** The last participant left: whoever waits is turned away. */
  | { kind: 'emptied' }
  /** A participant came into the locked room: show it the knocks waiting elsewhere. */
  | { kind: 'greet'; peerId: string };

/** One process: every participant is local, so there is nothing to carry. */
export class InProcessRoomBus implements RoomBus {
  readonly spansInstances = false;
  private readonly rooms = new RoomCounts();

  enter(roomId: string): void {
    this.rooms.add(roomId);
  }

  exit(roomId: string): void {
    this.rooms.remove(roomId);
  }

  send(): void {}
  claim(): void {}
  announce(): void {}
  listen(): void {}

  get localRooms(): number {
    return this.rooms.size;
  }
}

/**
 * Room reference counts shared by bus implementations: `enter` on 0→1 starts listening to a
 * room, `exit` on 1→0 stops.
 */
export class RoomCounts {
  private readonly counts = new Map<string, number>();

  /** True when this is the room's first participant here. */
  add(roomId: string): boolean {
    const count = (this.counts.get(roomId) ?? 0) + 1;
    this.counts.set(roomId, count);
    return count === 1;
  }

  /** True when this was the room's last participant here. */
  remove(roomId: string): boolean {
    const count = (this.counts.get(roomId) ?? 0) - 1;
    if (count > 0) {
      this.counts.set(roomId, count);
      return false;
    }
    return this.counts.delete(roomId);
  }

  has(roomId: string): boolean {
    return this.counts.has(roomId);
  }

  keys(): string[] {
    return [...this.counts.keys()];
  }

  get size(): number {
    return this.counts.size;
  }
}
