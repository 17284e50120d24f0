import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ClientMessageSchema } from './client-messages.ts';
import {
  MAX_ERROR_TEXT_LENGTH,
  decodeClientMessage,
  decodeServerMessage,
  encodeMessage,
} from './codec.ts';
import {
  MAX_CANDIDATE_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_SDP_LENGTH,
  OLDEST_SUPPORTED_PROTOCOL,
  PROTOCOL_VERSION,
  isSupportedProtocol,
} from './limits.ts';
import { createRoomId, randomId } from './ids.ts';

const roomId = 'AAAAAAAAAAAAAAAAAAAAAA';
const peerA = 'BBBBBBBBBBBBBBBBBBBBBB';
const peerB = 'CCCCCCCCCCCCCCCCCCCCCC';

const offer = { type: 'offer', sdp: 'v=0\r\n' } as const;
const candidate = {
  type: 'candidate',
  candidate: {
    candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
} as const;

/** Each accepted fixture must decode to exactly itself (after trimming). */
const clientAccepts: Record<string, unknown> = {
  join: { type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 'Ada' },
  'join with resume': {
    type: 'join',
    protocol: PROTOCOL_VERSION,
    roomId,
    displayName: 'Ada',
    resume: { peerId: peerA, token: 'tok' },
  },
  leave: { type: 'leave' },
  'signal offer': { type: 'signal', to: peerA, payload: offer },
  'signal answer': { type: 'signal', to: peerA, payload: { type: 'answer', sdp: 'v=0' } },
  'signal candidate': { type: 'signal', to: peerA, payload: candidate },
  'signal end-of-candidates': {
    type: 'signal',
    to: peerA,
    payload: { type: 'candidate', candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } },
  },
  'signal renegotiate': {
    type: 'signal',
    to: peerA,
    payload: { type: 'renegotiate', renegotiate: true },
  },
  'signal transceiverRequest': {
    type: 'signal',
    to: peerA,
    payload: {
      type: 'transceiverRequest',
      transceiverRequest: { kind: 'video', init: { direction: 'sendrecv' } },
    },
  },
  ping: { type: 'ping', t: 123.5 },
  'refresh-ice-servers': { type: 'refresh-ice-servers' },
};

/** Each rejected fixture names the path the error must point at (undefined: whole frame). */
const clientRejects: Record<string, [frame: string, path: string | undefined]> = {
  'not JSON': ['{nope', undefined],
  'JSON array': ['[1,2]', undefined],
  'JSON null': ['null', undefined],
  'unknown type': [JSON.stringify({ type: 'shout' }), 'type'],
  'missing type': [JSON.stringify({ roomId }), 'type'],
  'join: short room id': [
    JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId: 'abc', displayName: 'A' }),
    'roomId',
  ],
  'join: room id with slash': [
    JSON.stringify({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId: 'A/AAAAAAAAAAAAAAAAAAAAAAA',
      displayName: 'A',
    }),
    'roomId',
  ],
  'join: empty name': [
    JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: '   ' }),
    'displayName',
  ],
  'join: long name': [
    JSON.stringify({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId,
      displayName: 'x'.repeat(MAX_DISPLAY_NAME_LENGTH + 1),
    }),
    'displayName',
  ],
  'join: name not a string': [
    JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: 7 }),
    'displayName',
  ],
  'join: unknown field': [
    JSON.stringify({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId,
      displayName: 'A',
      admin: true,
    }),
    'admin',
  ],
  'join: resume without token': [
    JSON.stringify({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId,
      displayName: 'A',
      resume: { peerId: peerA },
    }),
    'resume.token',
  ],
  'leave: extra field': [JSON.stringify({ type: 'leave', now: true }), 'now'],
  'signal: forged from': [
    JSON.stringify({ type: 'signal', to: peerA, from: peerB, payload: offer }),
    'from',
  ],
  'signal: missing to': [JSON.stringify({ type: 'signal', payload: offer }), 'to'],
  'signal: payload not an object': [
    JSON.stringify({ type: 'signal', to: peerA, payload: 'hi' }),
    'payload',
  ],
  'signal: unknown payload type': [
    JSON.stringify({ type: 'signal', to: peerA, payload: { type: 'rollback' } }),
    'payload.type',
  ],
  'signal: huge sdp': [
    JSON.stringify({
      type: 'signal',
      to: peerA,
      payload: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) },
    }),
    'payload.sdp',
  ],
  'signal: sdp not a string': [
    JSON.stringify({ type: 'signal', to: peerA, payload: { type: 'offer', sdp: { a: 1 } } }),
    'payload.sdp',
  ],
  'signal: huge candidate': [
    JSON.stringify({
      type: 'signal',
      to: peerA,
      payload: {
        type: 'candidate',
        candidate: { candidate: 'c'.repeat(MAX_CANDIDATE_LENGTH + 1) },
      },
    }),
    'payload.candidate.candidate',
  ],
  'signal: negative mline index': [
    JSON.stringify({
      type: 'signal',
      to: peerA,
      payload: { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: -1 } },
    }),
    'payload.candidate.sdpMLineIndex',
  ],
  'signal: renegotiate false': [
    JSON.stringify({
      type: 'signal',
      to: peerA,
      payload: { type: 'renegotiate', renegotiate: false },
    }),
    'payload.renegotiate',
  ],
  'signal: transceiver kind': [
    JSON.stringify({
      type: 'signal',
      to: peerA,
      payload: { type: 'transceiverRequest', transceiverRequest: { kind: 'data' } },
    }),
    'payload.transceiverRequest.kind',
  ],
  'ping: t not a number': [JSON.stringify({ type: 'ping', t: '1' }), 't'],
  'ping: t infinite-ish': [JSON.stringify({ type: 'ping' }), 't'],
  'deep nesting': ['{"type":"signal","to":' + '['.repeat(500) + ']'.repeat(500) + '}', 'to'],
};

describe('decodeClientMessage', () => {
  for (const [name, message] of Object.entries(clientAccepts)) {
    it(`accepts ${name}`, () => {
      const result = decodeClientMessage(JSON.stringify(message));
      expect(result).toEqual({ ok: true, message });
    });
  }

  for (const [name, [frame, path]] of Object.entries(clientRejects)) {
    it(`rejects ${name}`, () => {
      const result = decodeClientMessage(frame);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe('bad-message');
      expect(result.path).toBe(path);
      expect(result.message.length).toBeGreaterThan(0);
    });
  }

  it('trims the display name', () => {
    const result = decodeClientMessage(
      JSON.stringify({ type: 'join', protocol: PROTOCOL_VERSION, roomId, displayName: '  Ada  ' }),
    );
    expect(result.ok && result.message.type === 'join' && result.message.displayName).toBe('Ada');
  });

  it('seats the previous protocol version, so pages open during an upgrade keep their calls', () => {
    expect(OLDEST_SUPPORTED_PROTOCOL).toBe(PROTOCOL_VERSION - 1);
    const result = decodeClientMessage(
      JSON.stringify({
        type: 'join',
        protocol: OLDEST_SUPPORTED_PROTOCOL,
        roomId,
        displayName: 'A',
      }),
    );
    expect(result).toEqual({
      ok: true,
      message: { type: 'join', protocol: OLDEST_SUPPORTED_PROTOCOL, roomId, displayName: 'A' },
    });
  });

  it('refuses a version two behind, a newer one, and versions that are not integers', () => {
    for (const protocol of [OLDEST_SUPPORTED_PROTOCOL - 1, PROTOCOL_VERSION + 1, 1.5, '2', null]) {
      expect(isSupportedProtocol(protocol)).toBe(false);
      const result = decodeClientMessage(
        JSON.stringify({ type: 'join', protocol, roomId, displayName: 'A' }),
      );
      expect(result).toMatchObject({ ok: false, code: 'unsupported-version', path: 'protocol' });
    }
  });

  it('answers another protocol version with unsupported-version, even when the shape differs', () => {
    const result = decodeClientMessage(
      JSON.stringify({
        type: 'join',
        protocol: PROTOCOL_VERSION + 1,
        room: 'whatever',
        features: [],
      }),
    );
    expect(result).toMatchObject({ ok: false, code: 'unsupported-version', path: 'protocol' });
  });

  it('gives exactly the verdict of the whole ClientMessageSchema variant, issues included', () => {
    // The decoder goes straight to the schema of the frame's `type`; this is the check that
    // doing so changes nothing, for valid, nearly valid and arbitrary objects alike.
    const field = fc.oneof(fc.anything(), fc.constantFrom(peerA, 'x', 1, 1.5, true, null, ''));
    const nearlyValid = fc
      .tuple(
        fc.constantFrom(...Object.values(clientAccepts)),
        fc.dictionary(
          fc.constantFrom('type', 'to', 'payload', 'roomId', 'displayName', 't', 'extra'),
          field,
          { maxKeys: 2 },
        ),
      )
      .map(([message, changes]) => ({ ...(message as object), ...changes }));
    const arbitrary = fc.record(
      { type: fc.oneof(fc.constantFrom('signal', 'join', 'leave', 'ping'), fc.anything()) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(nearlyValid, arbitrary, fc.object()), (value) => {
        const text = JSON.stringify(value);
        const parsed: unknown = JSON.parse(text);
        const record = parsed as Record<string, unknown>;
        if (record.type === 'join' && !isSupportedProtocol(record.protocol)) return;
        const reference = v.safeParse(ClientMessageSchema, parsed, { abortEarly: true });
        const result = decodeClientMessage(text);
        if (reference.success) {
          expect(result).toEqual({ ok: true, message: reference.output });
          return;
        }
        const issue = reference.issues[0];
        const path = v.getDotPath(issue);
        const clip = (t: string) =>
          t.length <= MAX_ERROR_TEXT_LENGTH ? t : `${t.slice(0, MAX_ERROR_TEXT_LENGTH - 1)}…`;
        expect(result).toEqual({
          ok: false,
          code: 'bad-message',
          message: clip(path ? `${path}: ${issue.message}` : issue.message),
          ...(path ? { path: clip(path) } : {}),
        });
      }),
      { numRuns: 2000 },
    );
  });
});

const peerInfo = { id: peerA, displayName: 'Ada', polite: true };
const serverAccepts: Record<string, unknown> = {
  joined: {
    type: 'joined',
    protocol: PROTOCOL_VERSION,
    roomId,
    selfId: peerB,
    resumeToken: 'tok',
    resumed: false,
    peers: [peerInfo],
    iceServers: [{ urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'p' }],
    capacity: 6,
    maxFileBytes: 1024,
  },
  'peer-joined': { type: 'peer-joined', peer: peerInfo },
  'peer-left': { type: 'peer-left', peerId: peerA, reason: 'left' },
  signal: { type: 'signal', from: peerA, payload: candidate },
  ping: { type: 'ping', t: 1 },
  pong: { type: 'pong', t: 1 },
  'ice-servers': {
    type: 'ice-servers',
    iceServers: [{ urls: 'turn:127.0.0.1:3478?transport=udp', username: 'u', credential: 'p' }],
  },
  error: { type: 'error', code: 'room-full', message: 'full' },
  'error with path': { type: 'error', code: 'bad-message', message: 'bad', path: 'payload.sdp' },
};

const serverRejects: Record<string, [frame: string, path: string | undefined]> = {
  'ice-servers without a list': [JSON.stringify({ type: 'ice-servers' }), 'iceServers'],
  'signal without from': [JSON.stringify({ type: 'signal', payload: offer }), 'from'],
  'unknown error code': [JSON.stringify({ type: 'error', code: 'oops', message: 'x' }), 'code'],
  'peer-left with odd reason': [
    JSON.stringify({ type: 'peer-left', peerId: peerA, reason: 'kicked' }),
    'reason',
  ],
  'joined with peer missing polite': [
    JSON.stringify({
      ...(serverAccepts.joined as object),
      peers: [{ id: peerA, displayName: 'A' }],
    }),
    'peers.0.polite',
  ],
  'peer-joined with extra field': [
    JSON.stringify({ type: 'peer-joined', peer: peerInfo, html: '<b>' }),
    'html',
  ],
  'ice server with bad urls': [
    JSON.stringify({ ...(serverAccepts.joined as object), iceServers: [{ urls: 5 }] }),
    'iceServers.0.urls',
  ],
};

describe('decodeServerMessage', () => {
  for (const [name, message] of Object.entries(serverAccepts)) {
    it(`accepts ${name}`, () => {
      expect(decodeServerMessage(JSON.stringify(message))).toEqual({ ok: true, message });
    });
  }
  for (const [name, [frame, path]] of Object.entries(serverRejects)) {
    it(`rejects ${name}`, () => {
      const result = decodeServerMessage(frame);
      expect(result).toMatchObject({ ok: false, code: 'bad-message' });
      if (!result.ok) expect(result.path).toBe(path);
    });
  }
});

describe('encodeMessage', () => {
  it('round-trips through the decoders', () => {
    const message = { type: 'signal', from: peerA, payload: candidate } as const;
    expect(decodeServerMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });
});

describe('ids', () => {
  it('makes 22-character base64url ids with 128 bits of randomness', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => createRoomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomId()).not.toBe(randomId());
  });
});
