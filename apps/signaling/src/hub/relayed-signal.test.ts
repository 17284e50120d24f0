import {
  decodeClientMessage,
  decodeServerMessage,
  encodeMessage,
  type ClientSignalMessage,
} from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relaySender, relayedSignalFrame, reusablePayloadStart } from './relayed-signal.ts';

const from = 'FFFFFFFFFFFFFFFFFFFFFF';
const sender = relaySender(from);
const to = 'TTTTTTTTTTTTTTTTTTTTTT';

/** Decodes `text` as the hub does; the test frames are meant to be valid signals. */
function signalOf(text: string): ClientSignalMessage {
  const decoded = decodeClientMessage(text);
  if (!decoded.ok || decoded.message.type !== 'signal')
    throw new Error(`not a valid signal: ${text}`);
  return decoded.message;
}

/** The relay of `text` as the target receives it, and whether the payload bytes were reused. */
function relay(text: string) {
  const message = signalOf(text);
  const frame = relayedSignalFrame(sender, message, text, Buffer.from(text));
  return {
    message,
    reused: reusablePayloadStart(text, message) >= 0,
    text: typeof frame === 'string' ? frame : frame.toString('utf8'),
  };
}

/** What the target must get: exactly the validated payload, stamped with the sender. */
function expectFaithful(text: string) {
  const relayed = relay(text);
  const decoded = decodeServerMessage(relayed.text);
  expect(decoded).toEqual({
    ok: true,
    message: { type: 'signal', from, payload: relayed.message.payload },
  });
  // No duplicate or extra keys anywhere: reading the frame key by key finds the same object.
  expect(JSON.parse(relayed.text)).toEqual({
    type: 'signal',
    from,
    payload: relayed.message.payload,
  });
  return relayed;
}

const sdpText = fc.string({ unit: 'binary', maxLength: 300 });

describe('relayedSignalFrame', () => {
  it("reuses the payload bytes of an offer or answer sent in JSON.stringify's shape, byte-identical to re-encoding", () => {
    fc.assert(
      fc.property(fc.constantFrom('offer', 'answer'), sdpText, (type, sdp) => {
        const text = JSON.stringify({ type: 'signal', to, payload: { type, sdp } });
        const relayed = expectFaithful(text);
        const reencoded = encodeMessage({ type: 'signal', from, payload: { type, sdp } });
        expect(relayed.text).toBe(reencoded);
        // An SDP with a quote in it is re-encoded instead; every other one is reused.
        expect(relayed.reused).toBe(!sdp.includes('"'));
      }),
    );
  });

  it('re-encodes every other shape, still relaying exactly the validated payload', () => {
    const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n';
    const frames = [
      // Keys in another order, whitespace, escapes the encoder would not write.
      JSON.stringify({ to, type: 'signal', payload: { type: 'offer', sdp } }),
      JSON.stringify({ type: 'signal', to, payload: { sdp, type: 'offer' } }),
      JSON.stringify({ type: 'signal', to, payload: { type: 'offer', sdp } }, null, 1),
      `{"type":"signal","to":"${to}","payload":{"type":"offer","sdp":"v=0\\r\\n\\"quoted\\""}}`,
      `{"type":"signal","to":"\\u0054${to.slice(1)}","payload":{"type":"offer","sdp":"v=0"}}`,
      // Duplicate keys: JSON.parse keeps the last, and so must what the target reads.
      `{"type":"signal","to":"${to}","payload":{"type":"offer","sdp":"a"},"payload":{"type":"offer","sdp":"b"}}`,
      `{"type":"signal","to":"${to}","payload":{"type":"offer","sdp":"a"},"payload":{"type":"answer","sdp":"b"}}`,
      `{"type":"signal","to":"${to}","payload":{"type":"offer","sdp":"a","sdp":"b"}}`,
      `{"type":"signal","to":"${to}","payload":{"type":"offer","type":"answer","sdp":"b"}}`,
      `{"type":"signal","to":"${to}","payload":{"type":"offer","sdp":"a"},"to":"${to}"}`,
      `{"type":"signal","to":"${to}","payload":{"type":"offer","sdp":"a"},"type":"signal"}`,
      // Not a description at all.
      JSON.stringify({
        type: 'signal',
        to,
        payload: {
          type: 'candidate',
          candidate: { candidate: 'candidate:1 1 udp 1 ::1 9 typ host' },
        },
      }),
      JSON.stringify({ type: 'signal', to, payload: { type: 'renegotiate', renegotiate: true } }),
    ];
    for (const text of frames) expect(expectFaithful(text).reused, text).toBe(false);
  });

  it('relays what the target must read for any well-formed variation of a description frame', () => {
    // Splices of valid JSON fragments around the canonical frame: whatever still decodes as a
    // signal must reach the target as exactly the validated payload.
    const piece = fc.constantFrom(
      '',
      ' ',
      `,"payload":{"type":"offer","sdp":"x"}`,
      `,"payload":{"type":"answer","sdp":"y\\""}`,
      `,"type":"signal"`,
      `,"sdp":"z"`,
      `,"type":"answer"`,
      '"',
      '\\',
    );
    fc.assert(
      fc.property(
        fc.constantFrom('offer', 'answer'),
        sdpText,
        piece,
        piece,
        piece,
        (type, sdp, inPayload, afterPayload, afterSdp) => {
          const body = JSON.stringify(sdp).slice(1, -1) + afterSdp;
          const text = `{"type":"signal","to":"${to}","payload":{"type":"${type}","sdp":"${body}"${inPayload}}${afterPayload}}`;
          const decoded = decodeClientMessage(text);
          if (!decoded.ok || decoded.message.type !== 'signal') return;
          expectFaithful(text);
        },
      ),
    );
  });

  it('re-encodes when it is not given the bytes of the frame', () => {
    const text = JSON.stringify({ type: 'signal', to, payload: { type: 'offer', sdp: 'v=0' } });
    const frame = relayedSignalFrame(sender, signalOf(text), text, undefined);
    expect(frame).toBe(
      encodeMessage({ type: 'signal', from, payload: { type: 'offer', sdp: 'v=0' } }),
    );
  });

  it('copies multi-byte UTF-8 in the SDP unchanged', () => {
    const text = JSON.stringify({
      type: 'signal',
      to,
      payload: { type: 'answer', sdp: 'a=x:é 😀\r\n' },
    });
    const relayed = expectFaithful(text);
    expect(relayed.reused).toBe(true);
  });
});

describe('relaySender', () => {
  it('stamps every frame it relays with its own ID, of any length an ID may have', () => {
    const ids = fc.stringMatching(/^[A-Za-z0-9_-]{22,64}$/);
    fc.assert(
      fc.property(ids, fc.constantFrom('offer', 'answer'), sdpText, (id, type, sdp) => {
        const text = JSON.stringify({ type: 'signal', to, payload: { type, sdp } });
        const frame = relayedSignalFrame(relaySender(id), signalOf(text), text, Buffer.from(text));
        const relayed = typeof frame === 'string' ? frame : frame.toString('utf8');
        expect(relayed).toBe(encodeMessage({ type: 'signal', from: id, payload: { type, sdp } }));
      }),
    );
  });
});
