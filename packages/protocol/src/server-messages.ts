import * as v from 'valibot';
import { IdSchema } from './client-messages.ts';
import { ErrorCodeSchema } from './errors.ts';
import { MAX_PEEK_NAMES } from './limits.ts';
import {
  KnockEndedSchema,
  KnockSchema,
  LockStateSchema,
  PeerUpdatedSchema,
  WaitingForAdmissionSchema,
} from './lock-messages.ts';
import { SignalPayloadSchema } from './signal-payload.ts';

/** Messages the signalling server sends to a browser. */

export const PeerInfoSchema = v.strictObject({
  id: IdSchema,
  displayName: v.string(),
  /**
   * Whether the *receiving* client is the polite side of the pair it forms with this peer.
   * The server derives it from the two IDs, so both sides always agree, even after a restart.
   */
  polite: v.boolean(),
});

export const IceServerSchema = v.strictObject({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});

export const JoinedSchema = v.strictObject({
  type: v.literal('joined'),
  protocol: v.number(),
  roomId: IdSchema,
  selfId: IdSchema,
  /** Present this with `selfId` on the next join to be restored as the same participant. */
  resumeToken: v.string(),
  /** True when the server restored an existing participant rather than adding a new one. */
  resumed: v.boolean(),
  peers: v.array(PeerInfoSchema),
  iceServers: v.array(IceServerSchema),
  capacity: v.number(),
  /** The largest file participants should accept (the admin's MAX_FILE_BYTES). */
  maxFileBytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

/** The answer to `refresh-ice-servers`: the same servers with newly minted credentials. */
export const IceServersSchema = v.strictObject({
  type: v.literal('ice-servers'),
  iceServers: v.array(IceServerSchema),
});

export const PeerJoinedSchema = v.strictObject({
  type: v.literal('peer-joined'),
  peer: PeerInfoSchema,
});

export const PeerLeftSchema = v.strictObject({
  type: v.literal('peer-left'),
  peerId: IdSchema,
  /** `left`: said goodbye. `disconnected`: the connection died and did not come back in time. */
  reason: v.picklist(['left', 'disconnected']),
});

export const ServerSignalSchema = v.strictObject({
  type: v.literal('signal'),
  /** Always stamped by the server from the sending connection; never taken from the client. */
  from: IdSchema,
  payload: SignalPayloadSchema,
});

/** Sent by the server every heartbeat interval so that browsers (which cannot see WS pings) notice a dead link. */
export const ServerPingSchema = v.strictObject({
  type: v.literal('ping'),
  t: v.number(),
});

export const ServerPongSchema = v.strictObject({
  type: v.literal('pong'),
  t: v.number(),
});

export const ServerErrorSchema = v.strictObject({
  type: v.literal('error'),
  code: ErrorCodeSchema,
  message: v.string(),
  /** Dot path of the offending field, when the error is about one. */
  path: v.optional(v.string()),
});

/** The answer to `peek`: the display names seated in the room now, and its capacity. */
export const RoomPeekSchema = v.strictObject({
  type: v.literal('room-peek'),
  roomId: IdSchema,
  names: v.pipe(v.array(v.string()), v.maxLength(MAX_PEEK_NAMES)),
  capacity: v.number(),
});

export const ServerMessageSchema = v.variant('type', [
  JoinedSchema,
  PeerJoinedSchema,
  PeerLeftSchema,
  ServerSignalSchema,
  ServerPingSchema,
  ServerPongSchema,
  ServerErrorSchema,
  IceServersSchema,
  RoomPeekSchema,
  PeerUpdatedSchema,
  LockStateSchema,
  KnockSchema,
  KnockEndedSchema,
  WaitingForAdmissionSchema,
]);

export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
export type PeerInfo = v.InferOutput<typeof PeerInfoSchema>;
export type IceServer = v.InferOutput<typeof IceServerSchema>;
export type JoinedMessage = v.InferOutput<typeof JoinedSchema>;
export type RoomPeekMessage = v.InferOutput<typeof RoomPeekSchema>;
export type ServerErrorMessage = v.InferOutput<typeof ServerErrorSchema>;
