import { encodeMessage, type ClientSignalMessage } from '@parley/protocol';

/**
 * The frame a validated `signal` is relayed as: `{"type":"signal","from":…,"payload":…}`.
 *
 * Re-serialising the payload used to be the largest single cost of a relay after the socket
 * write itself: JSON-escaping an SDP (CRLF line ends throughout) took longer than parsing the
 * whole frame. For the common case, an offer or answer sent exactly as `JSON.stringify` writes
 * it, the payload's own bytes are copied from the client's frame behind a server-made header
 * instead. This is done only when the frame's text fixes the payload's structure completely:
 *
 *   {"type":"signal","to":"<to>","payload":{"type":"<offer|answer>","sdp":"<S>"}}
 *
 * where `<to>` is the validated ID (base64url, so no quote or backslash) and `<S>` contains no
 * quote character at all. JSON.parse accepted the frame (the caller decoded it first), and with
 * no quote inside `<S>` the SDP string can only end at the quote after it, so the copied text is
 * exactly one JSON object with exactly the keys `type` and `sdp`, in that order, no duplicates,
 * and decodes to the very value the schema validated. Any other shape (candidates, other key
 * orders, whitespace, a quote in the SDP) is re-serialised as before.
 */

const TO_PREFIX = '{"type":"signal","to":"';
const PAYLOAD_KEY = '","payload":';
const TYPE_KEY = '{"type":"';
const SDP_KEY = '","sdp":"';
const FRAME_END = '"}}';
const CLOSE_BRACE = 0x7d;

/** The server-made part of a relayed signal, around the sender's ID (an ID: ASCII, no quote). */
const FROM_PREFIX = '{"type":"signal","from":"';
const FROM_SUFFIX = '","payload":';

/**
 * Where the payload starts in `text`, when the frame has the fixed shape above and the payload
 * bytes may be reused; -1 otherwise. `message` must be `text`, decoded and validated.
 */
export function reusablePayloadStart(text: string, message: ClientSignalMessage): number {
  const { to, payload } = message;
  if (payload.type !== 'offer' && payload.type !== 'answer') return -1;
  if (!text.startsWith(TO_PREFIX) || !text.startsWith(to, TO_PREFIX.length)) return -1;
  const keyStart = TO_PREFIX.length + to.length;
  if (!text.startsWith(PAYLOAD_KEY, keyStart)) return -1;
  const payloadStart = keyStart + PAYLOAD_KEY.length;
  if (!text.startsWith(TYPE_KEY, payloadStart)) return -1;
  const typeStart = payloadStart + TYPE_KEY.length;
  if (!text.startsWith(payload.type, typeStart)) return -1;
  const sdpKeyStart = typeStart + payload.type.length;
  if (!text.startsWith(SDP_KEY, sdpKeyStart) || !text.endsWith(FRAME_END)) return -1;
  // The only quote from the SDP's opening quote on must be the closing one. (It cannot be
  // escaped by a backslash before it: the SDP string would then never end, and JSON.parse,
  // which accepted this frame, would not have.)
  if (text.indexOf('"', sdpKeyStart + SDP_KEY.length) !== text.length - FRAME_END.length) return -1;
  return payloadStart;
}

/**
 * The relayed frame. With the client's frame as UTF-8 `bytes` (what the socket received), a
 * reusable payload is copied as bytes: everything before it is ASCII, so its character offset
 * in `text` is also its byte offset, and the frame's last byte is the outer `}` we keep.
 */
export function relayedSignalFrame(
  from: string,
  message: ClientSignalMessage,
  text: string,
  bytes: Uint8Array | undefined,
): string | Buffer {
  const payloadStart = bytes ? reusablePayloadStart(text, message) : -1;
  if (bytes === undefined || payloadStart < 0 || bytes[bytes.length - 1] !== CLOSE_BRACE) {
    return encodeMessage({ type: 'signal', from, payload: message.payload });
  }
  const headerLength = FROM_PREFIX.length + from.length + FROM_SUFFIX.length;
  const frame = Buffer.allocUnsafe(headerLength + bytes.length - payloadStart);
  frame.write(FROM_PREFIX, 0, 'latin1');
  frame.write(from, FROM_PREFIX.length, 'latin1');
  frame.write(FROM_SUFFIX, FROM_PREFIX.length + from.length, 'latin1');
  frame.set(bytes.subarray(payloadStart), headerLength);
  return frame;
}
