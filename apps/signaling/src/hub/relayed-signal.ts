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

/**
 * Who a relayed signal is from, with the server-made start of every frame relayed from them:
 * `{"type":"signal","from":"<id>","payload":` (an ID is ASCII with no quote). Made once per
 * seat rather than written out character by character for every frame: writing the three
 * strings into each new frame cost as much as copying the whole 1 KB payload after them.
 */
export interface RelaySender {
  readonly id: string;
  readonly header: Buffer;
}

export function relaySender(id: string): RelaySender {
  return { id, header: Buffer.from(`{"type":"signal","from":"${id}","payload":`, 'latin1') };
}

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
  from: RelaySender,
  message: ClientSignalMessage,
  text: string,
  bytes: Uint8Array | undefined,
): string | Buffer {
  const payloadStart = bytes ? reusablePayloadStart(text, message) : -1;
  if (bytes === undefined || payloadStart < 0 || bytes[bytes.length - 1] !== CLOSE_BRACE) {
    return encodeMessage({ type: 'signal', from: from.id, payload: message.payload });
  }
  const { header } = from;
  const frame = Buffer.allocUnsafe(header.length + bytes.length - payloadStart);
  header.copy(frame, 0);
  frame.set(bytes.subarray(payloadStart), header.length);
  return frame;
}
