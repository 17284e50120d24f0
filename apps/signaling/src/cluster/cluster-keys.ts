/** Every Redis key and channel the cluster uses, in one place (one prefix, so a Redis can be shared). */
export type ClusterKeys = ReturnType<typeof clusterKeys>;

export function clusterKeys(prefix = 'parley:') {
  return {
    /** A room's members and their owners: see stored-room.ts. */
    room: (roomId: string) => `${prefix}room:${roomId}`,
    /** Present while a seat that ended must not be resumed (a leave, a released seat). */
    ended: (roomId: string, peerId: string) => `${prefix}ended:${roomId}:${peerId}`,
    /** Sorted set: instance → time of its last heartbeat (ms). */
    nodes: `${prefix}nodes`,
    /** Sorted set: instance found dead → when its remaining seats are released (ms). */
    deadNodes: `${prefix}dead-nodes`,
    /** Set: rooms in which an instance owned seats, so its seats can be found when it dies. */
    nodeRooms: (node: string) => `${prefix}node-rooms:${node}`,
    /** Hash: a room's webhook event stream (session, sequence, members): cluster-room-timeline.ts. */
    webhookRoom: (roomId: string) => `${prefix}webhook-room:${roomId}`,
    /** Pub/sub channel carrying frames for a room's participants between instances. */
    roomChannel: (roomId: string) => `${prefix}bus:${roomId}`,
    roomChannelPrefix: `${prefix}bus:`,
    /** Pub/sub channel of one instance: HTTP session requests forwarded to it, and their answers. */
    nodeChannel: (tag: string) => `${prefix}node:${tag}`,
  };
}
