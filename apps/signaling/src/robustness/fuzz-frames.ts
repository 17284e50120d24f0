import { CLOSE_CODES, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@parley/protocol';
import fc from 'fast-check';

/**
 * What the fuzz test throws at the server, as fast-check arbitraries. Every frame fits in one
 * WebSocket frame under the 64 KiB cap (oversize frames are in `closingFrames`, since they end
 * the connection). The server must answer each with a typed reply; the fuzz test decides which
 * one from the codec and the connection state.
 */

/** Stands for "a fresh room ID"; the driver replaces every occurrence with a unique one. */
export const FRESH_ROOM = 'FRESHROOMFRESHROOMFRES';

export type FuzzFrame = { kind: string; text: string } | { kind: string; bytes: Uint8Array };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Message = { [key: string]: Json };

const id = fc.stringMatching(/^[A-Za-z0-9_-]{22}$/);
/**
 * Any code point but half surrogates. (fast-check's built-in 'binary' unit lazily builds a
 * million-entry reverse map per string arbitrary, which costs seconds here.)
 */
const codePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));
const shortText = (maxLength: number) => fc.string({ unit: codePoint, maxLength });

const payload: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constantFrom('offer', 'answer'),
    sdp: shortText(300).map((s) => `v=0\r\n${s}`),
  }),
  fc.record({
    type: fc.constant('candidate'),
    candidate: fc.record(
      {
        candidate: shortText(200),
        sdpMid: fc.option(shortText(8), { nil: null }),
        sdpMLineIndex: fc.option(fc.nat(16), { nil: null }),
        usernameFragment: fc.option(shortText(16), { nil: null }),
      },
      { requiredKeys: ['candidate'] },
    ),
  }),
  fc.constant({ type: 'renegotiate', renegotiate: true }),
  fc.record({
    type: fc.constant('transceiverRequest'),
    transceiverRequest: fc.record(
      {
        kind: fc.constantFrom('audio', 'video'),
        init: fc.record(
          { direction: fc.constantFrom('sendrecv', 'sendonly', 'recvonly', 'inactive') },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['kind'] },
    ),
  }),
);

/** Well-formed client messages; whether each is right *now* depends on the connection state. */
export const validMessage: fc.Arbitrary<Message> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        type: fc.constant('join'),
        protocol: fc.constant(PROTOCOL_VERSION),
        roomId: fc.constant(FRESH_ROOM),
        displayName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
        resume: fc.record({ peerId: id, token: fc.base64String({ maxLength: 60 }) }),
      },
      { requiredKeys: ['type', 'protocol', 'roomId', 'displayName'] },
    ),
  },
  { weight: 2, arbitrary: fc.constant({ type: 'leave' }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('signal'), to: id, payload }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('ping'),
      t: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }),
  },
);

const validText = validMessage.map((m) => JSON.stringify(m));

/** Every path to a value inside a message, e.g. ['payload', 'candidate', 'sdpMid']. */
function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  const nested = Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]));
  return prefix.length === 0 ? nested : [prefix, ...nested];
}

function withValueAt(message: Message, path: string[], value: Json | undefined): Message {
  const copy = structuredClone(message);
  let target: { [key: string]: Json } = copy;
  for (const key of path.slice(0, -1)) target = target[key] as { [key: string]: Json };
  const [last] = path.slice(-1);
  if (last === undefined) return copy;
  if (value === undefined) Reflect.deleteProperty(target, last);
  else target[last] = value;
  return copy;
}

function valueAt(message: Message, path: string[]): Json {
  let value: Json = message;
  for (const key of path) value = (value as { [key: string]: Json })[key] ?? null;
  return value;
}

/** The n-th (modulo their number) path into a message; every message has at least `type`. */
function nthPath(message: Message, n: number): string[] {
  const all = paths(message);
  return all[n % all.length] ?? ['type'];
}

const typeOf = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const anyJsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  shortText(20),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(shortText(5), fc.integer(), { maxKeys: 3 }),
) as fc.Arbitrary<Json>;

/** A field of a valid message replaced by a value of another JSON type, or removed. */
const wrongType = fc
  .tuple(validMessage, fc.nat(), anyJsonValue, fc.boolean())
  .map(([message, n, value, remove]) => {
    const path = nthPath(message, n);
    if (remove) return JSON.stringify(withValueAt(message, path, undefined));
    const original = valueAt(message, path);
    // Same type by chance: wrap it, so the replacement really has another type.
    const replacement = typeOf(value) === typeOf(original) ? [value] : value;
    return JSON.stringify(withValueAt(message, path, replacement));
  });

const awkwardKeys = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'from',
  'type',
  '',
);

/** A valid message with one more key appended as raw JSON (so `__proto__` stays an own key). */
const extraKey = fc
  .tuple(validText, fc.oneof(awkwardKeys, shortText(12)), anyJsonValue)
  .map(
    ([text, key, value]) => `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`,
  );

const unknownType = fc
  .tuple(
    fc.oneof(
      shortText(24),
      fc.constantFrom('JOIN', 'join ', 'signal\u0000', 'joined', 'error', 'pong', '__proto__'),
      fc.integer(),
      fc.constant(null),
    ),
    fc.dictionary(shortText(8), anyJsonValue, { maxKeys: 4 }),
  )
  .map(([type, rest]) => JSON.stringify({ ...rest, type }));

const malformed = fc.oneof(
  shortText(300),
  fc.tuple(validText, fc.nat()).map(([text, n]) => text.slice(0, n % text.length)),
  fc
    .tuple(validText, fc.nat(), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 3 }))
    .map(([text, n, junk]) => {
      const at = n % text.length;
      return text.slice(0, at) + junk + text.slice(at + 1);
    }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '[]',
    '{}',
    '"join"',
    '1e999',
    'NaN',
    '{"type":"join"',
    '{"type":"ping","t":1}}',
    '{"type":"ping","t":1,"t":2}',
    '\ufeff{"type":"leave"}',
    '{"type":"ping","t":1e400}',
    '{"type":"ping","t":-0}',
    '\u0000',
    '{"type":"\ud800"}',
  ),
);

const deepNesting = fc
  .tuple(
    fc.integer({ min: 50, max: 12_000 }),
    fc.constantFrom('array', 'object', 'payload', 'field'),
  )
  .map(([wanted, where]) => {
    // `{"a":` and `}` are 6 bytes a level: stay under the frame cap at any depth.
    const depth = Math.min(wanted, Math.floor((MAX_FRAME_BYTES - 100) / 6));
    const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    if (where === 'array') return arrays;
    if (where === 'object') return objects;
    if (where === 'payload')
      return `{"type":"signal","to":"${'A'.repeat(22)}","payload":${objects}}`;
    return `{"type":"join","protocol":${PROTOCOL_VERSION},"roomId":${arrays},"displayName":"x"}`;
  });

/** A string field of a valid message blown up to 1–60 KB (the frame stays under 64 KiB). */
const hugeString = fc
  .tuple(
    validMessage,
    fc.nat(),
    fc.oneof(
      fc.string({ unit: codePoint, minLength: 1, maxLength: 4 }),
      fc.constantFrom(' ', '"', '\\', '\u0000', 'é'),
    ),
    fc.integer({ min: 1_000, max: 60_000 }),
    fc.boolean(),
  )
  .map(([message, n, unit, length, asKey]) => {
    let size = length;
    for (;;) {
      const huge = unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
      const text = asKey
        ? `${JSON.stringify(message).slice(0, -1)},${JSON.stringify(huge)}:1}`
        : JSON.stringify(withValueAt(message, nthPath(message, n), huge));
      if (Buffer.byteLength(text) <= MAX_FRAME_BYTES) return text;
      size = Math.floor(size * 0.8);
    }
  });

const binary = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  validText.map((text) => new TextEncoder().encode(text)),
);

/** The mix of one fuzz run. Weights are percentages. */
export const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 30, arbitrary: validText.map((text) => ({ kind: 'valid message', text })) },
  { weight: 14, arbitrary: malformed.map((text) => ({ kind: 'malformed JSON', text })) },
  { weight: 6, arbitrary: fc.json({ maxDepth: 3 }).map((text) => ({ kind: 'any JSON', text })) },
  { weight: 15, arbitrary: wrongType.map((text) => ({ kind: 'wrong type', text })) },
  { weight: 10, arbitrary: unknownType.map((text) => ({ kind: 'unknown type', text })) },
  { weight: 8, arbitrary: extraKey.map((text) => ({ kind: 'unknown key', text })) },
  { weight: 3, arbitrary: deepNesting.map((text) => ({ kind: 'deep nesting', text })) },
  { weight: 3, arbitrary: hugeString.map((text) => ({ kind: 'huge string', text })) },
  { weight: 11, arbitrary: binary.map((bytes) => ({ kind: 'binary frame', bytes })) },
);

/** Frames that must end the connection, with the close code the server must use. */
export type ClosingFrame = {
  kind: string;
  data: Uint8Array | string;
  binary: boolean;
  closeCode: number;
};

export const closingFrame: fc.Arbitrary<ClosingFrame> = fc.oneof(
  fc.integer({ min: MAX_FRAME_BYTES + 1, max: 256 * 1024 }).map((n) => ({
    kind: 'oversize text',
    data: JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(n) }),
    binary: false,
    closeCode: CLOSE_CODES.messageTooBig,
  })),
  fc.integer({ min: MAX_FRAME_BYTES + 1, max: 256 * 1024 }).map((n) => ({
    kind: 'oversize binary',
    data: new Uint8Array(n),
    binary: true,
    closeCode: CLOSE_CODES.messageTooBig,
  })),
  fc
    .tuple(shortText(50), fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88]))
    .map(([prefix, bad]) => ({
      kind: 'invalid UTF-8 text',
      data: new Uint8Array([...new TextEncoder().encode(prefix), ...bad]),
      binary: false,
      closeCode: CLOSE_CODES.invalidPayload,
    })),
);
