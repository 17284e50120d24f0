import type { PeerMessage, SignalPayload } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DISCONNECTED_GRACE_MS } from './ice-recovery.ts';
import { MONITOR_POLL_MS, SPEAKING_HOLD_MS, SPEAKING_LEVEL } from './link-monitor.ts';
import type { LinkStats } from './link-stats.ts';
import { PeerLink, type LinkPhase } from './peer-link.ts';
import { FakePeerTransport } from './testing/fake-peer-transport.ts';

let transport: FakePeerTransport;
let sent: SignalPayload[];
let signalingUp: boolean;
let states: LinkPhase[];
let messages: PeerMessage[];
let speaking: boolean[];
let stats: LinkStats[];
let restarts: number[];

function link(polite = false): PeerLink {
  return new PeerLink(
    {
      participantId: 'AAAAAAAAAAAAAAAAAAAAAA',
      polite,
      iceServers: [],
      localStream: { getTracks: () => [{}] } as unknown as MediaStream,
      sendSignal: (payload) => {
        sent.push(payload);
        return signalingUp;
      },
      onState: (state) => states.push(state),
      onRemoteStream: () => undefined,
      onMessage: (message) => messages.push(message),
      onSpeaking: (value) => speaking.push(value),
      onStats: (value) => stats.push(value),
      onIceRestart: (count) => restarts.push(count),
    },
    (options) => (transport = new FakePeerTransport(options)),
  );
}

beforeEach(() => {
  vi.useFakeTimers();
  sent = [];
  signalingUp = true;
  states = [];
  messages = [];
  speaking = [];
  stats = [];
  restarts = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PeerLink', () => {
  it('makes the impolite side the initiator and sends its streams from the first offer', () => {
    link(false);
    expect(transport.options).toMatchObject({ initiator: true, iceTransportPolicy: 'all' });
    expect(transport.options.streams).toHaveLength(1);
    link(true);
    expect(transport.options.initiator).toBe(false);
  });

  it('reports connected when the data channel opens, and sends peer messages only then', () => {
    const l = link();
    expect(l.trySend({ type: 'chat', id: 'c1', text: 'hi', sentAt: 1 })).toBe(false);
    transport.channelOpen = true;
    transport.raise('connect');
    expect(states).toEqual(['connected']);
    expect(l.trySend({ type: 'chat', id: 'c1', text: 'hi', sentAt: 1 })).toBe(true);
    expect(JSON.parse(transport.sentTexts[0]!)).toMatchObject({ type: 'chat', text: 'hi' });
  });

  it('passes on valid peer messages and drops malformed ones', () => {
    link();
    transport.raise('message', 'not json');
    transport.raise('message', JSON.stringify({ type: 'chat', id: 'x' }));
    transport.raise('message', JSON.stringify({ type: 'chat', id: 'c', text: 'ok', sentAt: 2 }));
    expect(messages).toEqual([{ type: 'chat', id: 'c', text: 'ok', sentAt: 2 }]);
  });

  it('restarts ICE after a lasting disconnect and counts it', async () => {
    link();
    transport.raise('connect');
    transport.raise('iceState', 'disconnected');
    expect(states.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(transport.calls).toEqual(['restart']);
    expect(restarts).toEqual([1]);
    transport.raise('iceState', 'connected');
    expect(states.at(-1)).toBe('connected');
  });

  it('re-sends an unanswered offer on the rejoin when a send failed during the outage', () => {
    const l = link();
    transport.raise('connect');
    signalingUp = false;
    transport.raise('signal', { type: 'candidate', candidate: {} } as SignalPayload);
    transport.offerPending = true;
    l.signalingRestored();
    expect(transport.calls).toEqual(['resend-offer']);
  });

  it('flags an ICE restart when the polite side asks for a renegotiation while ICE is down', () => {
    const l = link(false);
    transport.raise('connect');
    transport.raise('iceState', 'disconnected');
    l.signal({ type: 'renegotiate', renegotiate: true });
    expect(transport.calls).toEqual(['flag-restart']);
    expect(transport.signals).toEqual([{ type: 'renegotiate', renegotiate: true }]);
  });

  it('detects speaking from the incoming audio level, holding it briefly, once connected', async () => {
    link();
    transport.audioLevel = SPEAKING_LEVEL * 2;
    await vi.advanceTimersByTimeAsync(MONITOR_POLL_MS * 4);
    expect(speaking).toEqual([]); // not connected yet: nothing is measured
    transport.raise('connect');
    await vi.advanceTimersByTimeAsync(MONITOR_POLL_MS);
    expect(speaking).toEqual([true]);
    transport.audioLevel = 0;
    await vi.advanceTimersByTimeAsync(SPEAKING_HOLD_MS - MONITOR_POLL_MS);
    expect(speaking).toEqual([true]);
    await vi.advanceTimersByTimeAsync(MONITOR_POLL_MS * 2);
    expect(speaking).toEqual([true, false]);
  });

  it('stops everything when destroyed', async () => {
    const l = link();
    transport.raise('connect');
    transport.raise('iceState', 'disconnected');
    l.destroy();
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS * 10);
    expect(transport.destroyed).toBe(true);
    expect(transport.calls).toEqual([]);
    expect(stats).toEqual([]);
  });
});
