import * as v from 'valibot';
import { ID_PATTERN, MAX_DISPLAY_NAME_LENGTH } from './limits.ts';

/**
 * Lock and knock, and the name-change notice (additive to protocol 2: an older client ignores
 * frames it cannot decode, and only a locked call or a takeover sends these).
 *
 * A participant locks the call (`set-lock`); everyone in it gets `lock-state`. A newcomer's
 * `join` to a locked call is parked: the newcomer gets `waiting-for-admission`, participants get
 * `knock`. The first `answer-knock` decides: admitted, the newcomer gets the usual `joined`;
 * denied or unanswered for the knock timeout, it gets the error `knock-denied` or
 * `knock-timed-out`. Either way participants get `knock-ended`, so every prompt goes away.
 */

const Id = v.pipe(v.string(), v.regex(ID_PATTERN, 'must be 22-64 base64url characters'));

// --- client to server ------------------------------------------------------------------------

export const SetLockSchema = v.strictObject({
  type: v.literal('set-lock'),
  locked: v.boolean(),
});

export const AnswerKnockSchema = v.strictObject({
  type: v.literal('answer-knock'),
  knockId: Id,
  admit: v.boolean(),
});

// --- server to client ------------------------------------------------------------------------

/** The call's lock state, sent on every change and to each newcomer of a locked call. */
export const LockStateSchema = v.strictObject({
  type: v.literal('lock-state'),
  locked: v.boolean(),
  /** Who changed it, when someone just did (absent in the state sent to a newcomer). */
  byName: v.optional(v.pipe(v.string(), v.maxLength(MAX_DISPLAY_NAME_LENGTH))),
});

/** Someone is waiting to be let into this locked call. */
export const KnockSchema = v.strictObject({
  type: v.literal('knock'),
  knockId: Id,
  displayName: v.pipe(v.string(), v.maxLength(MAX_DISPLAY_NAME_LENGTH)),
});

export const KnockEndedSchema = v.strictObject({
  type: v.literal('knock-ended'),
  knockId: Id,
  outcome: v.picklist(['admitted', 'denied', 'timed-out', 'cancelled']),
  /** Who answered, for admitted and denied. */
  byName: v.optional(v.pipe(v.string(), v.maxLength(MAX_DISPLAY_NAME_LENGTH))),
});

/** To the newcomer: the call is locked and participants have been asked. */
export const WaitingForAdmissionSchema = v.strictObject({
  type: v.literal('waiting-for-admission'),
  /** Milliseconds the knock waits before it times out. */
  timeoutMs: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

/**
 * A participant's name changed: its seat was resumed under another name (possibly from another
 * connection: `takeover`), or the server told a newcomer apart from a namesake (sent to the
 * newcomer itself, with its own ID).
 */
export const PeerUpdatedSchema = v.strictObject({
  type: v.literal('peer-updated'),
  peerId: Id,
  displayName: v.pipe(v.string(), v.maxLength(MAX_DISPLAY_NAME_LENGTH)),
  /** True when a new connection took over a seat whose old connection was still live. */
  takeover: v.boolean(),
});

export type SetLockMessage = v.InferOutput<typeof SetLockSchema>;
export type AnswerKnockMessage = v.InferOutput<typeof AnswerKnockSchema>;
export type KnockOutcome = v.InferOutput<typeof KnockEndedSchema>['outcome'];
