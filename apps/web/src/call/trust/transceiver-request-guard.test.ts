import type { SignalPayload } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  MAX_TRANSCEIVERS_PER_KIND,
  TRANSCEIVER_REQUEST_BURST,
  TRANSCEIVER_REQUESTS_PER_MINUTE,
  TransceiverRequestGuard,
  type TransceiverSource,
} from './transceiver-request-guard.ts';

type Fake = {
  mid: string | null;
  sender: { track: unknown };
  receiver: { track: { kind: string } };
};

/** A connection that behaves like simple-peer's initiator: each honoured request adds one. */
function connection() {
  const transceivers: Fake[] = [
    { mid: '0', sender: { track: {} }, receiver: { track: { kind: 'audio' } } },
    { mid: '1', sender: { track: {} }, receiver: { track: { kind: 'video' } } },
  ];
  const source: TransceiverSource = { getTransceivers: () => transceivers };
  return {
    source,
    transceivers,
    add: (kind: string) =>
      transceivers.push({ mid: null, sender: { track: null }, receiver: { track: { kind } } }),
    negotiate: () => transceivers.forEach((t, i) => (t.mid ??= String(i))),
  };
}

const request = (kind: 'audio' | 'video'): SignalPayload => ({
  type: 'transceiverRequest',
  transceiverRequest: { kind },
});

describe('TransceiverRequestGuard', () => {
  it('passes every other signal', () => {
    const guard = new TransceiverRequestGuard(() => 0);
    const c = connection();
    expect(guard.allows({ type: 'renegotiate', renegotiate: true }, c.source)).toBe(true);
    expect(guard.allows({ type: 'answer', sdp: 'v=0' }, c.source)).toBe(true);
  });
  it('honours one request per kind until it is negotiated; repeats are ignored', () => {
    const guard = new TransceiverRequestGuard(() => 0);
    const c = connection();
    let honoured = 0;
    for (let i = 0; i < 1000; i++) {
      if (guard.allows(request('video'), c.source)) {
        honoured++;
        c.add('video');
      }
    }
    expect(honoured).toBe(1);
    // A request of the other kind is separate.
    expect(guard.allows(request('audio'), c.source)).toBe(true);
  });
  it('does not count our own unnegotiated track (a screen share we just started) as pending', () => {
    const guard = new TransceiverRequestGuard(() => 0);
    const c = connection();
    c.transceivers.push({
      mid: null,
      sender: { track: {} },
      receiver: { track: { kind: 'video' } },
    });
    expect(guard.allows(request('video'), c.source)).toBe(true);
  });
  it('rate-limits requests across negotiations', () => {
    let now = 0;
    const guard = new TransceiverRequestGuard(() => now);
    const c = connection();
    const cycle = () => {
      const ok = guard.allows(request('video'), c.source);
      if (ok) c.add('video');
      c.negotiate();
      return ok;
    };
    let honoured = 0;
    for (let i = 0; i < 100; i++) if (cycle()) honoured++;
    expect(honoured).toBe(TRANSCEIVER_REQUEST_BURST);
    // Ten seconds later: one refilled at TRANSCEIVER_REQUESTS_PER_MINUTE.
    now = 60_000 / TRANSCEIVER_REQUESTS_PER_MINUTE;
    honoured = 0;
    for (let i = 0; i < 100; i++) if (cycle()) honoured++;
    expect(honoured).toBe(1);
  });
  it(`never lets one kind grow past ${MAX_TRANSCEIVERS_PER_KIND} transceivers`, () => {
    let now = 0;
    const guard = new TransceiverRequestGuard(() => now);
    const c = connection();
    for (let i = 0; i < 200; i++) {
      now += 3_600_000; // an hour apart: never rate-limited
      if (guard.allows(request('audio'), c.source)) c.add('audio');
      c.negotiate();
    }
    const audio = c.transceivers.filter((t) => t.receiver.track.kind === 'audio');
    expect(audio).toHaveLength(MAX_TRANSCEIVERS_PER_KIND);
  });
});
