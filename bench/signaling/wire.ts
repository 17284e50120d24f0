import type { ClientSignalMessage } from '@parley/protocol';

/**
 * What the load generators put on the wire for each server under test. Every relayed signal is
 * exactly FRAME_BYTES long as sent by the client, and carries an SDP-like text whose origin
 * line holds the send time, so the receiver can compute latency without a full JSON parse.
 */

export type ServerKind = 'parley' | 'bare' | 'peerjs';

export const SERVER_LABELS: Record<ServerKind, string> = {
  parley: 'Parley',
  bare: 'bare ws forwarder',
  peerjs: 'PeerJS server',
};

export const FRAME_BYTES = 1024;

/** The send time goes here: 20 digits of process.hrtime.bigint() (CLOCK_MONOTONIC, ns). */
const TS_SLOT = 'TSTSTSTSTSTSTSTSTSTS';
export const TS_MARKER = 'o=- ';

function sdp(padding: string): string {
  return [
    'v=0',
    `${TS_MARKER}${TS_SLOT} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:Vq2n',
    'a=ice-pwd:3mPZAxHBZmPZAxHBAxHBZmPZ',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08',
    'a=setup:actpass',
    'a=mid:0',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    `a=x-bench:${padding}`,
    '',
  ].join('\r\n');
}

function message(kind: ServerKind, to: string, answer: boolean, sdpText: string): unknown {
  const description = { type: answer ? ('answer' as const) : ('offer' as const), sdp: sdpText };
  if (kind === 'peerjs') {
    // The shape PeerJS clients send: the description nested in a payload with connection info.
    return {
      type: answer ? 'ANSWER' : 'OFFER',
      dst: to,
      payload: { sdp: description, type: 'data', connectionId: 'dc_bench0123456789' },
    };
  }
  // Parley's `signal`, typed by the protocol; the bare forwarder relays the same bytes unchanged.
  const signal: ClientSignalMessage = { type: 'signal', to, payload: description };
  return signal;
}

/** The frame split around the timestamp slot: send `head + timestamp + tail`. */
export type FrameTemplate = { head: string; tail: string };

export function frameTemplate(kind: ServerKind, to: string, answer: boolean): FrameTemplate {
  const unpadded = JSON.stringify(message(kind, to, answer, sdp(''))).length;
  if (unpadded > FRAME_BYTES) throw new Error(`frame without padding is already ${unpadded} bytes`);
  const text = JSON.stringify(message(kind, to, answer, sdp('x'.repeat(FRAME_BYTES - unpadded))));
  const [head, tail] = text.split(TS_SLOT) as [string, string];
  return { head, tail };
}

export function stampNow(): string {
  return process.hrtime.bigint().toString().padStart(TS_SLOT.length, '0');
}

/** Milliseconds since the stamp in a received frame, or NaN if it carries none. */
export function msSinceStamp(frame: Buffer): number {
  const at = frame.indexOf(TS_MARKER, 0, 'latin1');
  if (at < 0) return Number.NaN;
  const start = at + TS_MARKER.length;
  const sent = BigInt(frame.toString('latin1', start, start + TS_SLOT.length));
  return Number(process.hrtime.bigint() - sent) / 1e6;
}

const RELAY_PREFIXES = ['{"type":"signal"', '{"type":"OFFER"', '{"type":"ANSWER"'].map((p) =>
  Buffer.from(p),
);

/** True for a relayed signal (as opposed to control traffic: joined, pings, errors...). */
export function isRelayedSignal(frame: Buffer): boolean {
  return RELAY_PREFIXES.some(
    (p) => frame.length > p.length && frame.compare(p, 0, p.length, 0, p.length) === 0,
  );
}
