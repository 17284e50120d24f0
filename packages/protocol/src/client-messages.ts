import * as v from 'valibot';
import { cleanDisplayName } from './display-name.ts';
import { AnswerKnockSchema, SetLockSchema } from './lock-messages.ts';
import { ID_PATTERN, MAX_DISPLAY_NAME_LENGTH } from './limits.ts';
import { SignalPayloadSchema } from './signal-payload.ts';

/** Messages a browser sends to the signalling server. */

export const IdSchema = v.pipe(
  v.string(),
  v.regex(ID_PATTERN, 'must be 22-64 base64url characters'),
);

/**
 * A display name as sent: bounded before any work is done on it, then cleaned by the shared
 * rules (display-name.ts). The output is the cleaned name, so the server only ever sees that.
 */
export const DisplayNameSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_DISPLAY_NAME_LENGTH * 4),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const checked = cleanDisplayName(dataset.value);
    if (checked.ok) return checked.name;
    addIssue({ message: checked.reason });
    return NEVER;
  }),
);

export const JoinSchema = v.strictObject({
  type: v.literal('join'),
  /** Checked before the rest of the message, so a newer client gets a clear answer. */
  protocol: v.pipe(v.number(), v.integer()),
  roomId: IdSchema,
  displayName: DisplayNameSchema,
  /** Present when reconnecting: lets the server restore the same participant without a flicker. */
  resume: v.optional(
    v.strictObject({
      peerId: IdSchema,
      token: v.pipe(v.string(), v.maxLength(128)),
    }),
  ),
  /** Lock the call at once if this join creates it (the lobby's "Start the call locked"). */
  startLocked: v.optional(v.boolean()),
});

export const LeaveSchema = v.strictObject({ type: v.literal('leave') });

export const ClientSignalSchema = v.strictObject({
  type: v.literal('signal'),
  to: IdSchema,
  payload: SignalPayloadSchema,
});

/** App-level ping: the server answers with a pong echoing `t`, so the client can time the link. */
export const ClientPingSchema = v.strictObject({
  type: v.literal('ping'),
  t: v.pipe(v.number(), v.finite()),
});

/**
 * Asks for fresh ICE servers (new TURN credentials) before an ICE restart: coturn checks a
 * credential only when an allocation is made, so a restart after expiry needs new ones.
 */
export const RefreshIceServersSchema = v.strictObject({ type: v.literal('refresh-ice-servers') });

/**
 * From the lobby, before joining: who is in this room? Answered with `room-peek`. It does not
 * join or announce anything; only someone holding the link (the room ID) can ask, and they
 * could join anyway.
 */
export const PeekSchema = v.strictObject({ type: v.literal('peek'), roomId: IdSchema });

export const ClientMessageSchema = v.variant('type', [
  JoinSchema,
  LeaveSchema,
  ClientSignalSchema,
  ClientPingSchema,
  RefreshIceServersSchema,
  PeekSchema,
  SetLockSchema,
  AnswerKnockSchema,
]);

export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;
export type JoinMessage = v.InferOutput<typeof JoinSchema>;
export type ClientSignalMessage = v.InferOutput<typeof ClientSignalSchema>;
