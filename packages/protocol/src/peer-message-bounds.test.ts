import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePeerMessage,
  FILE_CHANNEL_ID_MAX,
  FILE_CHANNEL_ID_MIN,
  MAX_CHAT_ID_LENGTH,
  MAX_CHAT_LENGTH,
  MAX_FILE_BYTES,
  MAX_MIME_LENGTH,
  MAX_OFFERED_NAME_LENGTH,
  MAX_PEER_MESSAGE_LENGTH,
  MAX_STREAM_ID_LENGTH,
  MAX_TIMESTAMP_MS,
} from './peer-messages.ts';

/**
 * Every bound of every peer message, at the edge and just past it, plus property runs over
 * values outside the bounds. A peer is untrusted: whatever a bound lets through is rendered or
 * used as a number by the receiver (issue 14).
 */

const decode = (message: unknown) => decodePeerMessage(JSON.stringify(message));
const chat = (patch: object) => ({ type: 'chat', id: 'm1', text: 'hi', sentAt: 1, ...patch });
const offer = (patch: object) => ({
  type: 'file-offer',
  transferId: 'abcdefgh',
  name: 'a.txt',
  size: 1,
  mime: 'text/plain',
  ...patch,
});
const accept = (patch: object) => ({
  type: 'file-accept',
  transferId: 'abcdefgh',
  offset: 0,
  channelId: FILE_CHANNEL_ID_MIN,
  ...patch,
});
const media = (patch: object) => ({
  type: 'media-state',
  audio: true,
  video: true,
  screenStreamId: null,
  ...patch,
});

/** Numbers no bound should let through where a byte count or timestamp is expected. */
const hostileNumbers = [
  -1,
  -0.5,
  0.5,
  1e300,
  -1e300,
  MAX_FILE_BYTES + 1,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
];

describe('chat bounds', () => {
  it('sentAt: 0 and the last valid Date are accepted', () => {
    expect(decode(chat({ sentAt: 0 }))).toBeDefined();
    expect(decode(chat({ sentAt: MAX_TIMESTAMP_MS }))).toBeDefined();
    // The bound is exactly what Date can still format.
    expect(() => new Date(MAX_TIMESTAMP_MS).toISOString()).not.toThrow();
    expect(() => new Date(MAX_TIMESTAMP_MS + 1).toISOString()).toThrow(RangeError);
  });
  it.each([MAX_TIMESTAMP_MS + 1, 1e300, -1, 1.5, '1', null])('sentAt %j is refused', (sentAt) => {
    expect(decode(chat({ sentAt }))).toBeUndefined();
  });
  it('sentAt: any number the decoder accepts formats as a date', () => {
    fc.assert(
      fc.property(fc.double(), (sentAt) => {
        const message = decode(chat({ sentAt }));
        if (message?.type === 'chat')
          expect(() => new Date(message.sentAt).toISOString()).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
  it('text: 1 to MAX_CHAT_LENGTH characters', () => {
    expect(decode(chat({ text: 'x' }))).toBeDefined();
    expect(decode(chat({ text: 'x'.repeat(MAX_CHAT_LENGTH) }))).toBeDefined();
    expect(decode(chat({ text: '' }))).toBeUndefined();
    expect(decode(chat({ text: 'x'.repeat(MAX_CHAT_LENGTH + 1) }))).toBeUndefined();
    expect(decode(chat({ text: 'x'.repeat(200_000) }))).toBeUndefined();
  });
  it('text at the cap, all control characters, still fits one message once JSON-escaped', () => {
    const text = '\u0001'.repeat(MAX_CHAT_LENGTH);
    expect(decode(chat({ text, id: 'x'.repeat(MAX_CHAT_ID_LENGTH) }))).toBeDefined();
  });
  it('id: 1 to MAX_CHAT_ID_LENGTH base64url characters', () => {
    expect(decode(chat({ id: 'a'.repeat(MAX_CHAT_ID_LENGTH) }))).toBeDefined();
    expect(decode(chat({ id: 'a'.repeat(MAX_CHAT_ID_LENGTH + 1) }))).toBeUndefined();
    expect(decode(chat({ id: '' }))).toBeUndefined();
    expect(decode(chat({ id: 'a:b' }))).toBeUndefined();
    expect(decode(chat({ id: 7 }))).toBeUndefined();
  });
});

describe('media-state bounds', () => {
  it('screenStreamId: null or 1 to MAX_STREAM_ID_LENGTH characters', () => {
    expect(decode(media({ screenStreamId: 'a'.repeat(MAX_STREAM_ID_LENGTH) }))).toBeDefined();
    expect(decode(media({ screenStreamId: 'a'.repeat(MAX_STREAM_ID_LENGTH + 1) }))).toBeUndefined();
    expect(decode(media({ screenStreamId: '' }))).toBeUndefined();
    expect(decode(media({ screenStreamId: 5 }))).toBeUndefined();
  });
  it.each(['audio', 'video'])('%s must be a boolean', (field) => {
    expect(decode(media({ [field]: 1 }))).toBeUndefined();
    expect(decode(media({ [field]: undefined }))).toBeUndefined();
  });
});

describe('file message bounds', () => {
  it('size: 0 to MAX_FILE_BYTES, integers only', () => {
    expect(decode(offer({ size: 0 }))).toBeDefined();
    expect(decode(offer({ size: MAX_FILE_BYTES }))).toBeDefined();
    for (const size of hostileNumbers) expect(decode(offer({ size }))).toBeUndefined();
  });
  it.each(['file-accept', 'file-ack'])('%s offset: 0 to MAX_FILE_BYTES, integers only', (type) => {
    const base = type === 'file-accept' ? accept({}) : { type, transferId: 'abcdefgh', offset: 0 };
    expect(decode({ ...base, offset: MAX_FILE_BYTES })).toBeDefined();
    for (const offset of hostileNumbers) expect(decode({ ...base, offset })).toBeUndefined();
  });
  it('channelId: FILE_CHANNEL_ID_MIN to FILE_CHANNEL_ID_MAX', () => {
    expect(decode(accept({ channelId: FILE_CHANNEL_ID_MAX }))).toBeDefined();
    for (const channelId of [FILE_CHANNEL_ID_MIN - 1, FILE_CHANNEL_ID_MAX + 1, 300.5, 0, -1])
      expect(decode(accept({ channelId }))).toBeUndefined();
  });
  it('name: 1 to MAX_OFFERED_NAME_LENGTH characters; mime: at most MAX_MIME_LENGTH', () => {
    expect(decode(offer({ name: 'n'.repeat(MAX_OFFERED_NAME_LENGTH) }))).toBeDefined();
    expect(decode(offer({ name: 'n'.repeat(MAX_OFFERED_NAME_LENGTH + 1) }))).toBeUndefined();
    expect(decode(offer({ name: '' }))).toBeUndefined();
    expect(decode(offer({ mime: 'm'.repeat(MAX_MIME_LENGTH) }))).toBeDefined();
    expect(decode(offer({ mime: 'm'.repeat(MAX_MIME_LENGTH + 1) }))).toBeUndefined();
  });
  it('transferId: 8 to 64 base64url characters', () => {
    expect(decode(offer({ transferId: 'a'.repeat(64) }))).toBeDefined();
    for (const transferId of ['a'.repeat(7), 'a'.repeat(65), 'abcdefg!', 12345678])
      expect(decode(offer({ transferId }))).toBeUndefined();
  });
  it('cancel reason is one of three; result verified is a boolean', () => {
    const cancel = { type: 'file-cancel', transferId: 'abcdefgh' };
    expect(decode({ ...cancel, reason: 'failed' })).toBeDefined();
    expect(decode({ ...cancel, reason: 'boom' })).toBeUndefined();
    const result = { type: 'file-result', transferId: 'abcdefgh' };
    expect(decode({ ...result, verified: 'yes' })).toBeUndefined();
  });
});

describe('any input', () => {
  it('non-strings and oversize text are refused before parsing', () => {
    expect(decodePeerMessage(new ArrayBuffer(8))).toBeUndefined();
    expect(decodePeerMessage(undefined)).toBeUndefined();
    const huge = JSON.stringify(chat({ text: 'x'.repeat(MAX_PEER_MESSAGE_LENGTH) }));
    expect(decodePeerMessage(huge)).toBeUndefined();
  });
  it('arbitrary JSON never throws, and whatever passes is within every bound', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const message = decodePeerMessage(JSON.stringify(value));
        if (!message) return;
        const numbers = Object.values(message).filter((x) => typeof x === 'number');
        for (const n of numbers) expect(Number.isSafeInteger(n)).toBe(true);
        const strings = Object.values(message).filter((x) => typeof x === 'string');
        for (const s of strings) expect(s.length).toBeLessThanOrEqual(MAX_OFFERED_NAME_LENGTH);
      }),
      { numRuns: 3000 },
    );
  });
  it('mutated copies of valid messages never throw', () => {
    const valid = [chat({}), offer({}), accept({}), media({})];
    const mutant = fc.record({
      base: fc.constantFrom(...valid),
      key: fc.constantFrom('type', 'id', 'text', 'sentAt', 'size', 'offset', 'name', 'audio'),
      value: fc.oneof(fc.anything(), fc.double(), fc.string({ maxLength: 3000 })),
    });
    fc.assert(
      fc.property(mutant, ({ base, key, value }) => {
        const text = JSON.stringify({ ...base, [key]: value });
        expect(() => decodePeerMessage(text ?? '')).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
