import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFingerprints, sdpFingerprint, type FingerprintSource } from './fingerprints.ts';
import { SAS_EMOJI } from './sas-emoji.ts';
import { deriveSas, normalizeFingerprint, SAS_BITS, SAS_EMOJI_COUNT } from './sas.ts';

/** A certificate's fingerprint as a browser writes it in SDP (a new certificate, a new one). */
const newCertificate = () =>
  normalizeFingerprint(
    'sha-256',
    [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
  );

describe('the emoji table', () => {
  it('has 64 distinct emoji with distinct names: 6 bits each', () => {
    expect(SAS_EMOJI).toHaveLength(64);
    expect(new Set(SAS_EMOJI.map((e) => e.symbol)).size).toBe(64);
    expect(new Set(SAS_EMOJI.map((e) => e.name)).size).toBe(64);
    expect(SAS_BITS).toBeGreaterThanOrEqual(42);
  });
});

describe('deriveSas', () => {
  it('gives both sides of a pair the same code (each passes its own fingerprint first)', async () => {
    const [alice, bob] = [newCertificate(), newCertificate()];
    const seenByAlice = await deriveSas('room-1', alice, bob);
    const seenByBob = await deriveSas('room-1', bob, alice);
    expect(seenByAlice).toEqual(seenByBob);
    expect(seenByAlice).toHaveLength(SAS_EMOJI_COUNT);
    for (const index of seenByAlice) expect(index).toBeGreaterThanOrEqual(0);
    for (const index of seenByAlice) expect(index).toBeLessThan(64);
  });
  it('differs between pairs, between calls (room IDs) and with a new certificate', async () => {
    const [alice, bob, carol] = [newCertificate(), newCertificate(), newCertificate()];
    const base = await deriveSas('room-1', alice, bob);
    expect(await deriveSas('room-1', alice, carol)).not.toEqual(base);
    expect(await deriveSas('room-2', alice, bob)).not.toEqual(base);
    expect(await deriveSas('room-1', alice, newCertificate())).not.toEqual(base);
    // A persistent certificate: the same pair in the same room gets the same code again.
    expect(await deriveSas('room-1', alice, bob)).toEqual(base);
  });
  it('a man in the middle (each side sees a different remote certificate) gets different codes', async () => {
    const [alice, bob, mallory1, mallory2] = [1, 2, 3, 4].map(newCertificate) as string[];
    const atAlice = await deriveSas('r', alice!, mallory1!);
    const atBob = await deriveSas('r', bob!, mallory2!);
    expect(atAlice).not.toEqual(atBob);
  });
  it('spreads over the table: over 2000 pairs every emoji appears and none dominates', async () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 2000; i++)
      for (const index of await deriveSas(`room-${i}`, newCertificate(), newCertificate()))
        counts[index]!++;
    // 14,000 draws, 218.75 expected per emoji; a uniform draw stays within ±40 % here.
    expect(Math.min(...counts)).toBeGreaterThan(218.75 * 0.6);
    expect(Math.max(...counts)).toBeLessThan(218.75 * 1.4);
  });
  it('symmetric for any two fingerprints and room', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), fc.string(), async (room, a, b) => {
        expect(await deriveSas(room, a, b)).toEqual(await deriveSas(room, b, a));
      }),
      { numRuns: 100 },
    );
  });
});

describe('fingerprints', () => {
  const fp = 'AB:CD:EF:01';
  it('normalises case and algorithm spelling, and refuses non-fingerprints', () => {
    expect(normalizeFingerprint('SHA-256', 'ab:cd:ef:01')).toBe(`sha-256 ${fp}`);
    expect(() => normalizeFingerprint('sha-256', 'nonsense')).toThrow();
  });
  it('reads the one certificate an SDP names, at session or media level', () => {
    const sdp = `v=0\r\na=fingerprint:sha-256 ${fp}\r\nm=audio\r\na=fingerprint:sha-256 ${fp.toLowerCase()}\r\n`;
    expect(sdpFingerprint(sdp)).toBe(`sha-256 ${fp}`);
    expect(() => sdpFingerprint(`${sdp}a=fingerprint:sha-256 00:11\r\n`)).toThrow();
  });
  it("reads Firefox's description: one fingerprint at session level, none in the media sections", () => {
    const firefoxSdp = [
      'v=0',
      'o=mozilla...THIS_IS_SDPARTA-99.0 5153252397821387497 0 IN IP4 0.0.0.0',
      's=-',
      't=0 0',
      'a=sendrecv',
      `a=fingerprint:sha-256 ${fp}`,
      'a=group:BUNDLE 0 1 2',
      'm=audio 35096 UDP/TLS/RTP/SAVPF 111 9 0 8 126',
      'a=setup:active',
      'm=application 35096 UDP/DTLS/SCTP webrtc-datachannel',
      '',
    ].join('\r\n');
    expect(sdpFingerprint(firefoxSdp)).toBe(`sha-256 ${fp}`);
  });

  const connection = (local: string, remote: string, stats: Array<Record<string, unknown>>) =>
    ({
      localDescription: { sdp: `a=fingerprint:sha-256 ${local}\r\n` },
      remoteDescription: { sdp: `a=fingerprint:sha-256 ${remote}\r\n` },
      getStats: async () => new Map(stats.map((s) => [s.id, s])),
    }) as unknown as FingerprintSource;
  const stats = (local: string, remote: string) => [
    {
      id: 'T',
      type: 'transport',
      dtlsState: 'connected',
      localCertificateId: 'L',
      remoteCertificateId: 'R',
    },
    { id: 'L', type: 'certificate', fingerprint: local, fingerprintAlgorithm: 'sha-256' },
    { id: 'R', type: 'certificate', fingerprint: remote, fingerprintAlgorithm: 'sha-256' },
  ];
  it('reads both from the live descriptions once the negotiated certificates confirm them', async () => {
    const pc = connection('AA:01', 'BB:02', stats('aa:01', 'bb:02'));
    expect(await readFingerprints(pc)).toEqual({ local: 'sha-256 AA:01', remote: 'sha-256 BB:02' });
  });
  it('is undefined until DTLS has connected', async () => {
    const pending = stats('AA:01', 'BB:02').map((s) =>
      s.type === 'transport' ? { ...s, dtlsState: 'connecting' } : s,
    );
    expect(await readFingerprints(connection('AA:01', 'BB:02', pending))).toBeUndefined();
  });
  it('refuses when the certificate in use is not the one the description names', async () => {
    const pc = connection('AA:01', 'BB:02', stats('AA:01', 'CC:03'));
    await expect(readFingerprints(pc)).rejects.toThrow(/differ/);
  });

  // Chromium caches certificate stats: read while DTLS was connecting, every later report of
  // the call lacks the remote certificate. The DTLS transport still has it.
  const der = new TextEncoder().encode('a DER certificate, as far as a hash can tell').buffer;
  const derFingerprint = createHash('sha256')
    .update(new Uint8Array(der))
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
  /** What Chromium reports after caching: the transport and its local certificate only. */
  const withoutRemoteStat = (local: string): Array<Record<string, unknown>> => [
    { id: 'T', type: 'transport', dtlsState: 'connected', localCertificateId: 'L' },
    { id: 'L', type: 'certificate', fingerprint: local, fingerprintAlgorithm: 'sha-256' },
  ];
  const onTransport = (
    pc: FingerprintSource,
    state: RTCDtlsTransportState,
    certificates: ArrayBuffer[],
  ): FingerprintSource =>
    Object.assign(pc, {
      sctp: { transport: { state, getRemoteCertificates: () => certificates } },
    });

  it('takes the remote certificate from the DTLS transport when the stats leave it out', async () => {
    const stale = connection('AA:01', derFingerprint, withoutRemoteStat('AA:01'));
    expect(await readFingerprints(stale)).toBeUndefined(); // nothing confirms the remote one
    const pc = onTransport(stale, 'connected', [der]);
    expect(await readFingerprints(pc)).toEqual({
      local: 'sha-256 AA:01',
      remote: `sha-256 ${derFingerprint}`,
    });
  });
  it('refuses when the DTLS transport holds another certificate than the description names', async () => {
    const pc = onTransport(connection('AA:01', 'BB:02', stats('AA:01', 'BB:02')), 'connected', [
      der,
    ]);
    await expect(readFingerprints(pc)).rejects.toThrow(/differ/);
  });
  // A browser with no certificate view at all: no getRemoteCertificates, no certificate stats,
  // no configured certificate, only the DTLS transport's state.
  const viewless = (state: RTCDtlsTransportState, report: Array<Record<string, unknown>> = []) =>
    Object.assign(connection('AA:01', 'BB:02', report), { sctp: { transport: { state } } });
  it('takes the descriptions as they are where the browser shows no certificate, once DTLS has connected', async () => {
    expect(await readFingerprints(viewless('connecting'))).toBeUndefined();
    expect(await readFingerprints(viewless('connected'))).toEqual({
      local: 'sha-256 AA:01',
      remote: 'sha-256 BB:02',
    });
  });
  it('still checks certificate stats where a browser without getRemoteCertificates has them', async () => {
    const pc = viewless('connected', stats('AA:01', 'CC:03'));
    await expect(readFingerprints(pc)).rejects.toThrow(/differ/);
    const pending = viewless('connected', withoutRemoteStat('AA:01'));
    expect(await readFingerprints(pending)).toBeUndefined();
  });

  // Firefox ESR 153 as measured in the Chromium–Firefox e2e call: getRemoteCertificates works,
  // its one transport entry says "connected" but names no certificate, there are no certificate
  // entries, and the configured RTCCertificate lists its fingerprint in lower case.
  const firefox = (options: {
    local?: string;
    remote?: string;
    configured?: string[];
    state?: RTCDtlsTransportState;
  }): FingerprintSource => {
    const state = options.state ?? 'connected';
    const pc = connection(options.local ?? 'AA:01', options.remote ?? derFingerprint, [
      { id: 'T', type: 'transport', dtlsState: state, dtlsRole: 'client' },
      { id: 'P', type: 'candidate-pair', state: 'succeeded' },
    ]);
    return Object.assign(pc, {
      sctp: {
        transport: { state, getRemoteCertificates: () => (state === 'connected' ? [der] : []) },
      },
      getConfiguration: () => ({
        certificates: [
          {
            getFingerprints: () =>
              (options.configured ?? ['aa:01']).map((value) => ({ algorithm: 'sha-256', value })),
          },
        ],
      }),
    });
  };
  it("reads Firefox's code: remote from the DTLS transport, local from the configured certificate", async () => {
    expect(await readFingerprints(firefox({}))).toEqual({
      local: 'sha-256 AA:01',
      remote: `sha-256 ${derFingerprint}`,
    });
  });
  it('waits in Firefox until DTLS has connected', async () => {
    expect(await readFingerprints(firefox({ state: 'connecting' }))).toBeUndefined();
  });
  it("refuses in Firefox when the remote description names another certificate than DTLS's", async () => {
    await expect(readFingerprints(firefox({ remote: 'BB:02' }))).rejects.toThrow(/differ/);
  });
  it('refuses when the local description names another certificate than the one configured', async () => {
    await expect(readFingerprints(firefox({ configured: ['cc:03'] }))).rejects.toThrow(/differ/);
    // Several configured: the browser uses one of them.
    expect(await readFingerprints(firefox({ configured: ['cc:03', 'aa:01'] }))).toBeDefined();
  });
  it('takes the local description in Firefox when no certificate was configured (the browser made its own)', async () => {
    const own = Object.assign(firefox({}), { getConfiguration: () => ({ certificates: [] }) });
    expect(await readFingerprints(own)).toEqual({
      local: 'sha-256 AA:01',
      remote: `sha-256 ${derFingerprint}`,
    });
  });
  it('checks the configured certificate where certificate stats show the local one too', async () => {
    const pc = Object.assign(connection('AA:01', 'BB:02', stats('AA:01', 'BB:02')), {
      getConfiguration: () => ({
        certificates: [{ getFingerprints: () => [{ algorithm: 'sha-256', value: 'cc:03' }] }],
      }),
    });
    await expect(readFingerprints(pc)).rejects.toThrow(/differ/);
  });
  it('does not read the transport before DTLS has connected', async () => {
    const pc = onTransport(
      connection('AA:01', derFingerprint, withoutRemoteStat('AA:01')),
      'connecting',
      [der],
    );
    expect(await readFingerprints(pc)).toBeUndefined();
  });
});
