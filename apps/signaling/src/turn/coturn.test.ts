import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  coturnUnavailableReason,
  startCoturn,
  type Coturn,
} from '../../../../e2e/support/coturn.ts';
import { mintTurnCredential, type TurnCredential } from './turn-credentials.ts';

/**
 * The credentials the signalling server mints, checked by a real coturn (Debian's package) and
 * exercised with coturn's own test client, turnutils_uclient. coturn's verbose log names the
 * result of each request, which shows the exact STUN error code on the wire.
 */

const SECRET = 'coturn-test-secret-0123456789';
const UCLIENT = 'turnutils_uclient';
const MESSAGES = 10;

const unavailable = coturnUnavailableReason();

describe('coturn accepts minted TURN credentials and enforces the peer deny list', () => {
  let coturn: Coturn;
  let peer: EchoPeer;
  let ipv6 = false;

  beforeAll(async () => {
    if (unavailable) return;
    peer = await startEchoPeer();
    ipv6 = await canBindIpv6Loopback();
    coturn = await startCoturn({
      secret: SECRET,
      listenIps: ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'],
      verbose: true,
      extraLines: [
        // coturn refuses loopback peers outright unless told otherwise (tests only)...
        'allow-loopback-peers',
        // ...then the allow list wins over the deny list: 127.0.0.1 only.
        'allowed-peer-ip=127.0.0.1',
        'denied-peer-ip=127.0.0.0-127.255.255.255',
        // coturn < 4.9 relays to IPv4-mapped IPv6 peers despite the IPv4 deny list
        // (CVE-2026-27624). Debian's 4.6.1 here needs this workaround line; in production
        // start-coturn.sh adds it on coturn < 4.9 (infra/turn/mapped-peers.test.ts).
        'denied-peer-ip=::ffff:0.0.0.0-::ffff:255.255.255.255',
      ],
    });
  });

  afterAll(async () => {
    await coturn?.stop();
    await peer?.close();
  });

  beforeEach(({ skip }) => skip(unavailable !== undefined, unavailable));

  it('a freshly minted credential allocates a relay that carries traffic both ways', async () => {
    const credential = mintTurnCredential(SECRET, 'user-good', 3600);
    const result = await uclient(coturn, credential, { peer: '127.0.0.1', peerPort: peer.port });

    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`tot_send_msgs=${MESSAGES}, tot_recv_msgs=${MESSAGES}`);
    expect(result.output).toMatch(/Total lost packets 0 \(0\.0+%\)/);
    // The peer really saw the client's messages, and from coturn's relay ports, not the client.
    expect(peer.received()).toBeGreaterThanOrEqual(MESSAGES);
    const { min, max } = coturn.relayPorts;
    expect(peer.sourcePorts().every((port) => port >= min && port <= max)).toBe(true);
  });

  it('a credential signed with another secret is refused with 401', async () => {
    const credential = mintTurnCredential('not-the-coturn-secret-0123', 'user-wrong', 3600);
    const result = await uclient(coturn, credential, { peer: '127.0.0.1', peerPort: peer.port });

    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Cannot complete Allocation');
    await coturn.waitForOutput(authenticatedRefusal(credential));
  });

  it('an expired credential is refused with 401', async () => {
    const credential = mintTurnCredential(SECRET, 'user-expired', 3600, Date.now() - 2 * 3600_000);
    expect(credential.expiresAt).toBeLessThan(Date.now());
    const result = await uclient(coturn, credential, { peer: '127.0.0.1', peerPort: peer.port });

    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Cannot complete Allocation');
    await coturn.waitForOutput(authenticatedRefusal(credential));
  });

  it('a peer at 127.0.0.2 (denied range) is refused with 403 on CreatePermission and ChannelBind', async () => {
    const credential = mintTurnCredential(SECRET, 'user-denied-v4', 3600);
    // -s sends with Send indications, which first need CreatePermission.
    const viaPermission = await uclient(coturn, credential, {
      peer: '127.0.0.2',
      peerPort: peer.port,
      extraFlags: ['-s'],
    });
    expect(viaPermission.code).not.toBe(0);
    expect(viaPermission.output).toContain('create permission error 403 (Forbidden IP)');

    const viaChannel = await uclient(coturn, credential, {
      peer: '127.0.0.2',
      peerPort: peer.port,
    });
    expect(viaChannel.code).not.toBe(0);
    expect(viaChannel.output).toContain('channel bind: error 403 (Forbidden IP)');
  });

  it('an IPv4-mapped IPv6 peer (::ffff:127.0.0.1) is refused with 403', async ({ skip }) => {
    skip(!ipv6, 'needs IPv6 on loopback (::1) for coturn to relay from');
    const credential = mintTurnCredential(SECRET, 'user-denied-mapped', 3600);
    // An IPv6 peer needs an IPv6 relay (coturn relays on ::1 here); the allocation succeeds...
    const result = await uclient(coturn, credential, {
      peer: '::ffff:127.0.0.1',
      peerPort: peer.port,
      server: '::1',
      family: 'any',
      extraFlags: ['-s'],
    });
    expect(result.output).toMatch(/IPv6\. Received relay addr: ::1:\d+/);
    // ...and only the permission for the mapped address is refused.
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('create permission error 403 (Forbidden IP)');
  });
});

/** coturn's verbose log line for an Allocate that carried this username and was refused. */
function authenticatedRefusal(credential: TurnCredential): RegExp {
  const user = credential.username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`user <${user}>: incoming packet message processed, error 401: Unauthorized`);
}

interface UclientResult {
  code: number | null;
  output: string;
}

/** One turnutils_uclient run: allocate, bind the peer, send MESSAGES messages, count echoes. */
function uclient(
  server: Coturn,
  credential: TurnCredential,
  options: {
    peer: string;
    peerPort: number;
    server?: string;
    family?: 'ipv4' | 'any';
    extraFlags?: string[];
  },
): Promise<UclientResult> {
  const args = [
    '-v',
    ...(options.family === 'any' ? [] : ['-X']), // -X: ask for an IPv4 relay address
    '-c', // no RTCP companion allocation
    ...(options.extraFlags ?? []),
    '-p',
    String(server.port),
    '-u',
    credential.username,
    '-w',
    credential.credential,
    '-e',
    options.peer,
    '-r',
    String(options.peerPort),
    '-n',
    String(MESSAGES),
    options.server ?? '127.0.0.1',
  ];
  return new Promise((resolve) => {
    execFile(UCLIENT, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

function canBindIpv6Loopback(): Promise<boolean> {
  const socket = createSocket('udp6');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(0, '::1', () => socket.close(() => resolve(true)));
  });
}

interface EchoPeer {
  port: number;
  received(): number;
  sourcePorts(): number[];
  close(): Promise<void>;
}

/** The relay's far end: echoes every datagram back to where it came from (coturn's relay). */
function startEchoPeer(): Promise<EchoPeer> {
  const socket: Socket = createSocket('udp4');
  let received = 0;
  const sources = new Set<number>();
  socket.on('message', (message, from) => {
    received += 1;
    sources.add(from.port);
    socket.send(message, from.port, from.address);
  });
  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () =>
      resolve({
        port: socket.address().port,
        received: () => received,
        sourcePorts: () => [...sources],
        close: () => new Promise((done) => socket.close(() => done())),
      }),
    );
  });
}
