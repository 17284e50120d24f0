import { normalizeFingerprint } from './sas.ts';

/** Both DTLS certificate fingerprints of a live connection, normalised (see sas.ts). */
export interface LinkFingerprints {
  local: string;
  remote: string;
}

/** The DTLS transport's live view of the handshake (RTCDtlsTransport). */
type DtlsTransportView = Pick<RTCDtlsTransport, 'state'> &
  Partial<Pick<RTCDtlsTransport, 'getRemoteCertificates'>>;

/** The part of an RTCPeerConnection read here (tests pass a stand-in). */
export type FingerprintSource = Pick<
  RTCPeerConnection,
  'localDescription' | 'remoteDescription' | 'getStats'
> & {
  /** Parley's links always carry a data channel, so its transport is the bundle's. */
  readonly sctp?: { readonly transport: DtlsTransportView } | null;
  /** Where the certificate this connection was given (Parley's persistent one) is found. */
  getConfiguration?: () => { certificates?: ReadonlyArray<CertificateView> };
};

/** What is read of an RTCCertificate (getFingerprints: Chromium, Firefox). */
type CertificateView = Partial<Pick<RTCCertificate, 'getFingerprints'>>;

/** The fingerprints an SDP announces; every one must be the same (one certificate per side). */
export function sdpFingerprint(sdp: string): string | undefined {
  const found = new Set<string>();
  for (const [, algorithm = '', value = ''] of sdp.matchAll(/^a=fingerprint:(\S+) (\S+)\s*$/gm))
    found.add(normalizeFingerprint(algorithm, value));
  if (found.size > 1) throw new Error('the description names more than one certificate');
  return [...found][0];
}

const DIGESTS: Record<string, string> = {
  'sha-1': 'SHA-1',
  'sha-256': 'SHA-256',
  'sha-384': 'SHA-384',
  'sha-512': 'SHA-512',
};

/** A DER certificate's fingerprint with the algorithm of `like` ("sha-256 AB:…"), normalised. */
export async function certificateFingerprint(der: ArrayBuffer, like: string): Promise<string> {
  const algorithm = like.split(' ')[0] ?? '';
  const digest = DIGESTS[algorithm];
  if (!digest) throw new Error(`the description uses an unknown hash (${algorithm})`);
  const bytes = new Uint8Array(await crypto.subtle.digest(digest, der));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return normalizeFingerprint(algorithm, hex);
}

/**
 * The fingerprints of the certificates this connection was configured with, in the algorithm
 * of `like`: the local certificate is one of these. Undefined where none was configured (the
 * browser made its own) or the browser cannot list them.
 */
function configuredFingerprints(pc: FingerprintSource, like: string): string[] | undefined {
  const algorithm = like.split(' ')[0];
  const found = (pc.getConfiguration?.().certificates ?? []).flatMap((certificate) =>
    (certificate.getFingerprints?.() ?? [])
      .filter((fingerprint) => fingerprint.algorithm?.toLowerCase() === algorithm)
      .map((fingerprint) => normalizeFingerprint(algorithm ?? '', fingerprint.value ?? '')),
  );
  return found.length > 0 ? found : undefined;
}

const DIFFER = 'the negotiated certificates differ from the descriptions';

/**
 * Reads the fingerprints from the live connection's local and remote descriptions, and checks
 * each against what the browser shows of the certificates in use. Undefined until both
 * descriptions are set and DTLS has connected. Throws when the two disagree: the code would not
 * describe the encryption in use.
 *
 * Remote: the DTLS transport's certificate (`getRemoteCertificates`: Chromium, Firefox), else
 * getStats' certificate entries. Not getStats first: Chromium caches a transport's certificate
 * stats, and a report taken while DTLS was still connecting (this watcher reads on every state
 * change) leaves the remote certificate out of every later report of that call, and the code
 * never appeared (5 of 8 runs of e2e/verification.spec.ts).
 *
 * Local: getStats' certificate entries (Chromium), else the certificate the connection was
 * given (`getConfiguration().certificates`, Parley's persistent one): Firefox has no certificate
 * stats at all and its transport stats name no certificates, so before this the local side was
 * never confirmed there and Firefox never showed a code (docs/call.md, Browsers).
 *
 * A side the browser gives no view of at all is taken from its description once DTLS has
 * connected (see the end).
 */
export async function readFingerprints(
  pc: FingerprintSource,
): Promise<LinkFingerprints | undefined> {
  const localSdp = pc.localDescription?.sdp;
  const remoteSdp = pc.remoteDescription?.sdp;
  if (!localSdp || !remoteSdp) return undefined;
  const local = sdpFingerprint(localSdp);
  const remote = sdpFingerprint(remoteSdp);
  if (!local || !remote) return undefined;

  let remoteChecked = false;
  const transport = pc.sctp?.transport;
  const live = transport?.state === 'connected' ? transport.getRemoteCertificates?.() : undefined;
  const leaf = live?.[0];
  if (leaf) {
    if ((await certificateFingerprint(leaf, remote)) !== remote) throw new Error(DIFFER);
    remoteChecked = true;
  }

  let localChecked = false;
  const configured = configuredFingerprints(pc, local);
  if (configured) {
    if (!configured.includes(local)) throw new Error(DIFFER);
    localChecked = true;
  }

  const report = await pc.getStats();
  const byId = new Map<string, Record<string, unknown>>();
  report.forEach((entry: Record<string, unknown>) => byId.set(entry.id as string, entry));
  const certificate = (id: unknown) => {
    const entry = typeof id === 'string' ? byId.get(id) : undefined;
    if (typeof entry?.fingerprint !== 'string' || typeof entry.fingerprintAlgorithm !== 'string')
      return undefined;
    return normalizeFingerprint(entry.fingerprintAlgorithm, entry.fingerprint);
  };
  let statsShowCertificates = false;
  let dtlsConnected = transport?.state === 'connected';
  for (const entry of byId.values()) {
    if (entry.type === 'certificate') statsShowCertificates = true;
    if (entry.type !== 'transport' || entry.dtlsState !== 'connected') continue;
    dtlsConnected = true;
    const statsLocal = certificate(entry.localCertificateId);
    const statsRemote = certificate(entry.remoteCertificateId);
    if ((statsLocal && statsLocal !== local) || (statsRemote && statsRemote !== remote))
      throw new Error(DIFFER);
    localChecked ||= statsLocal !== undefined;
    remoteChecked ||= statsRemote !== undefined;
  }
  if (!dtlsConnected) return undefined;
  // A side with no view at all (no certificate stats, and no configured certificate or no
  // getRemoteCertificates) is taken from its description: every WebRTC stack refuses a
  // handshake whose certificate does not match the remote description's fingerprint (RFC 8827
  // section 6.5), and signs with the one its local description names. Where a view exists but
  // has not shown the certificate yet, the code waits for it.
  const localVouched = localChecked || (!configured && !statsShowCertificates);
  const remoteVouched =
    remoteChecked || (!transport?.getRemoteCertificates && !statsShowCertificates);
  return localVouched && remoteVouched ? { local, remote } : undefined;
}
