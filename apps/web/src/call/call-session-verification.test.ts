import { PROTOCOL_VERSION, type JoinedMessage } from '@parley/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallSession, type LocalMediaSource, type Participant } from './call-session.ts';
import type { PeerLinkOptions } from './peer-link.ts';
import { FakePeerLink } from './testing/fake-peer-link.ts';
import { FakeSocketFactory } from './testing/fake-socket.ts';
import type { TrustStore, VerifiedContact } from './verification/trust-store.ts';

const ROOM = 'RRRRRRRRRRRRRRRRRRRRRR';
const ADA = 'AAAAAAAAAAAAAAAAAAAAAA';

/** A connection whose descriptions and certificate stats the test sets. */
class FakeConnection extends EventTarget {
  localDescription = { sdp: 'a=fingerprint:sha-256 AA:01\r\n' } as RTCSessionDescription;
  remoteDescription = { sdp: 'a=fingerprint:sha-256 BB:02\r\n' } as RTCSessionDescription;
  remote = 'BB:02';
  async getStats(): Promise<RTCStatsReport> {
    const entries = [
      {
        id: 'T',
        type: 'transport',
        dtlsState: 'connected',
        localCertificateId: 'L',
        remoteCertificateId: 'R',
      },
      { id: 'L', type: 'certificate', fingerprint: 'AA:01', fingerprintAlgorithm: 'sha-256' },
      { id: 'R', type: 'certificate', fingerprint: this.remote, fingerprintAlgorithm: 'sha-256' },
    ];
    return new Map(entries.map((e) => [e.id, e])) as unknown as RTCStatsReport;
  }
  /** The other side renegotiated with a new certificate. */
  renegotiate(remote: string): void {
    this.remote = remote;
    this.remoteDescription = {
      sdp: `a=fingerprint:sha-256 ${remote}\r\n`,
    } as RTCSessionDescription;
    this.dispatchEvent(new Event('signalingstatechange'));
  }
}

class VerifiableLink extends FakePeerLink {
  readonly connection = new FakeConnection();
  peerConnection(): RTCPeerConnection {
    return this.connection as unknown as RTCPeerConnection;
  }
}

const media: LocalMediaSource = {
  stream: {} as MediaStream,
  state: {
    hasAudio: false,
    hasVideo: false,
    audioEnabled: false,
    videoEnabled: false,
    audioDeviceId: undefined,
    videoDeviceId: undefined,
    problem: undefined,
  },
  on: (() => () => undefined) as LocalMediaSource['on'],
  setEnabled: () => undefined,
  switchDevice: async () => undefined,
  setTrackReplacer: () => undefined,
};

let session: CallSession | undefined;
afterEach(() => session?.leave());

function call(known: string[] = []) {
  const sockets = new FakeSocketFactory();
  const links: VerifiableLink[] = [];
  const marked: VerifiedContact[] = [];
  const trustStore: TrustStore = {
    isVerified: async (fingerprint) => known.includes(fingerprint),
    markVerified: async (contact) => void marked.push(contact),
  };
  const seen = new Map<string, Participant>();
  session = new CallSession({
    url: 'ws://test/ws',
    roomId: ROOM,
    displayName: 'Me',
    createSocket: sockets.create,
    media,
    trustStore,
    createLink: (options: PeerLinkOptions) => {
      const link = new VerifiableLink(options);
      links.push(link);
      return link;
    },
  });
  session.on('participant-joined', (p) => seen.set(p.id, p));
  session.on('participant-updated', (p) => seen.set(p.id, p));
  session.start();
  sockets.last.open();
  const message: JoinedMessage = {
    type: 'joined',
    protocol: PROTOCOL_VERSION,
    roomId: ROOM,
    selfId: 'MMMMMMMMMMMMMMMMMMMMMM',
    resumeToken: 't',
    resumed: false,
    peers: [{ id: ADA, displayName: 'Ada', polite: false }],
    iceServers: [],
    capacity: 6,
    maxFileBytes: 1024,
  };
  sockets.last.receive(message);
  return { session, links, marked, ada: () => seen.get(ADA)?.verification };
}

describe('verification in the call', () => {
  it('shows a code from the live connection, marks it verified and remembers the certificate', async () => {
    const c = call();
    await vi.waitFor(() => expect(c.ada()?.code).toHaveLength(7));
    expect(c.ada()?.verified).toBe('no');
    c.session.markVerified(ADA);
    expect(c.ada()?.verified).toBe('now');
    await vi.waitFor(() =>
      expect(c.marked).toEqual([
        { fingerprint: 'sha-256 BB:02', name: 'Ada', verifiedAt: expect.any(Number) },
      ]),
    );
  });
  it('a contact verified in an earlier call shows as verified before', async () => {
    const c = call(['sha-256 BB:02']);
    await vi.waitFor(() => expect(c.ada()?.verified).toBe('before'));
  });
  it('a renegotiation with a new certificate gives a new code and clears the mark', async () => {
    const c = call();
    await vi.waitFor(() => expect(c.ada()?.code).toHaveLength(7));
    const first = c.ada()?.code;
    c.session.markVerified(ADA);
    c.links[0]!.connection.renegotiate('CC:03');
    await vi.waitFor(() => expect(c.ada()?.code).not.toEqual(first));
    expect(c.ada()?.verified).toBe('no');
  });
  it('a certificate that differs from the description is reported, not coded', async () => {
    const c = call();
    c.links[0]!.connection.remote = 'DD:04';
    c.session.refreshVerification(ADA);
    await vi.waitFor(() => expect(c.ada()?.problem).toMatch(/differ/));
    expect(c.ada()?.code).toBeUndefined();
  });
});
