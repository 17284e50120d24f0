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
};

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
 * Reads the fingerprints from the live connection's local and remote descriptions, and checks
 * them against the certificates DTLS actually negotiated. Undefined until both descriptions are
 * set and DTLS has connected. Throws when the two disagree: the code would not describe the
 * encryption in use.
 *
 * The remote certificate comes from the DTLS transport itself (`getRemoteCertificates`), not
 * from getStats: Chromium caches a transport's certificate stats, and a report taken while
 * DTLS was still connecting (this watcher reads on every state change) leaves the remote
 * certificate out of every later report of that call, and the code never appeared (5 of 8
 * runs of e2e/verification.spec.ts). getStats is the fallback for browsers without
 * `getRemoteCertificates`, and the source of the local one. Where neither shows a certificate
 * (Firefox), the connected DTLS transport vouches for the descriptions (see the end).
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
    if ((await certificateFingerprint(leaf, remote)) !== remote)
      throw new Error('the negotiated certificates differ from the descriptions');
    remoteChecked = true;
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
  let localChecked = false;
  let statsShowCertificates = false;
  for (const entry of byId.values()) {
    if (entry.type === 'certificate') statsShowCertificates = true;
    if (entry.type !== 'transport' || entry.dtlsState !== 'connected') continue;
    const statsLocal = certificate(entry.localCertificateId);
    const statsRemote = certificate(entry.remoteCertificateId);
    if ((statsLocal && statsLocal !== local) || (statsRemote && statsRemote !== remote))
      throw new Error('the negotiated certificates differ from the descriptions');
    localChecked ||= statsLocal !== undefined;
    remoteChecked ||= statsRemote !== undefined;
  }
  if (localChecked && remoteChecked) return { local, remote };
  // Firefox shows the certificates nowhere: no getRemoteCertificates, no certificate stats.
  // There the descriptions are all there is, and they suffice once DTLS has connected: every
  // WebRTC stack refuses a handshake whose certificate does not match the remote description's
  // fingerprint (RFC 8827 section 6.5), and signs with the one its local description names.
  const noCertificateView = !transport?.getRemoteCertificates && !statsShowCertificates;
  if (noCertificateView && transport?.state === 'connected') return { local, remote };
  return undefined;
}
