import { describe, expect, it } from 'vitest';
import { actionFor, sessionVersion, type NegotiationView } from './stale-negotiation.ts';

const sdp = (version: number, extra = '') =>
  `v=0\r\no=- 4611731400430051336 ${version} IN IP4 127.0.0.1\r\ns=-\r\n${extra}`;

const initiatorAwaitingAnswer: NegotiationView = {
  initiator: true,
  offerResentOnRejoin: true,
  signalingState: 'have-local-offer',
  localDescription: { type: 'offer', sdp: sdp(3) },
  remoteDescription: { type: 'answer', sdp: sdp(2) },
};

const politeStable: NegotiationView = {
  initiator: false,
  offerResentOnRejoin: false,
  signalingState: 'stable',
  localDescription: { type: 'answer', sdp: sdp(7) },
  remoteDescription: {
    type: 'offer',
    sdp: sdp(3, 'a=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n'),
  },
};

describe('recovering a negotiation an outage cut in half', () => {
  it('sends an offer re-sent on rejoin and still unanswered again when the other side asks for a negotiation', () => {
    expect(actionFor({ type: 'renegotiate' }, initiatorAwaitingAnswer)).toBe(
      'resend-offer-then-apply',
    );
    // On a live link the offer is just in flight: no copy.
    expect(
      actionFor(
        { type: 'renegotiate' },
        { ...initiatorAwaitingAnswer, offerResentOnRejoin: false },
      ),
    ).toBe('apply');
    // Nothing outstanding: a plain renegotiation.
    expect(
      actionFor({ type: 'renegotiate' }, { ...initiatorAwaitingAnswer, signalingState: 'stable' }),
    ).toBe('apply');
  });

  it('ignores an answer when no offer of ours is outstanding (a late copy)', () => {
    expect(actionFor({ type: 'answer', sdp: sdp(7) }, initiatorAwaitingAnswer)).toBe('apply');
    expect(
      actionFor(
        { type: 'answer', sdp: sdp(7) },
        { ...initiatorAwaitingAnswer, signalingState: 'stable' },
      ),
    ).toBe('ignore');
  });

  it('drops a copy of an offer already applied, answered or not', () => {
    // The copy carries the candidates gathered since; its o= line is what identifies it.
    const copy = {
      type: 'offer',
      sdp: sdp(3, 'a=candidate:2 1 udp 1 127.0.0.1 5001 typ host\r\n'),
    };
    expect(actionFor(copy, politeStable)).toBe('ignore');
    expect(actionFor(copy, { ...politeStable, signalingState: 'have-remote-offer' })).toBe(
      'ignore',
    );
    // A newer offer (an ICE restart) is a real negotiation.
    expect(actionFor({ type: 'offer', sdp: sdp(4) }, politeStable)).toBe('apply');
    // The first offer ever.
    expect(
      actionFor(
        { type: 'offer', sdp: sdp(1) },
        { ...politeStable, localDescription: null, remoteDescription: null },
      ),
    ).toBe('apply');
  });

  it('leaves candidates and other signals alone', () => {
    expect(actionFor({ type: 'candidate' }, politeStable)).toBe('apply');
    expect(actionFor({ type: 'transceiverRequest' }, initiatorAwaitingAnswer)).toBe('apply');
  });

  it('identifies an offer by its o= line', () => {
    expect(sessionVersion(sdp(3))).toBe('o=- 4611731400430051336 3 IN IP4 127.0.0.1');
    expect(sessionVersion('v=0\r\n')).toBeUndefined();
  });
});
