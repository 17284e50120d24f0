import * as v from 'valibot';
import { MAX_CANDIDATE_LENGTH, MAX_SDP_LENGTH } from './limits.ts';

/**
 * The opaque-to-the-server part of a `signal`: exactly the objects simple-peer emits from its
 * `signal` event. The server still validates them so that it never relays arbitrary JSON.
 */

const DescriptionSchema = v.strictObject({
  type: v.picklist(['offer', 'answer']),
  sdp: v.pipe(v.string(), v.maxLength(MAX_SDP_LENGTH)),
});

const CandidateSchema = v.strictObject({
  type: v.literal('candidate'),
  candidate: v.strictObject({
    candidate: v.pipe(v.string(), v.maxLength(MAX_CANDIDATE_LENGTH)),
    sdpMid: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
    sdpMLineIndex: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0)))),
    usernameFragment: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256)))),
  }),
});

/** The non-initiator asks the initiator to start a new offer/answer round. */
const RenegotiateSchema = v.strictObject({
  type: v.literal('renegotiate'),
  renegotiate: v.literal(true),
});

/** The non-initiator asks the initiator to add a transceiver so it can send a new kind. */
const TransceiverRequestSchema = v.strictObject({
  type: v.literal('transceiverRequest'),
  transceiverRequest: v.strictObject({
    kind: v.picklist(['audio', 'video']),
    init: v.optional(
      v.strictObject({
        direction: v.optional(v.picklist(['sendrecv', 'sendonly', 'recvonly', 'inactive'])),
      }),
    ),
  }),
});

export const SignalPayloadSchema = v.variant('type', [
  DescriptionSchema,
  CandidateSchema,
  RenegotiateSchema,
  TransceiverRequestSchema,
]);

export type SignalPayload = v.InferOutput<typeof SignalPayloadSchema>;
