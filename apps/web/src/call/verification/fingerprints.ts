import { normalizeFingerprint } from './sas.ts';

/** Both DTLS certificate fingerprints of a live connection, normalised (see sas.ts). */
export interface LinkFingerprints {
  local: string;
  remote: string;
}

/** The part of an RTCPeerConnection read here (tests pass a stand-in). */
export type FingerprintSource = Pick<
  RTCPeerConnection,
  'localDescription' | 'remoteDescription' | 'getStats'
>;

/** The fingerprints an SDP announces; every one must be the same (one certificate per side). */
export function sdpFingerprint(sdp: string): string | undefined {
  const found = new Set<string>();
  for (const [, algorithm = '', value = ''] of sdp.matchAll(/^a=fingerprint:(\S+) (\S+)\s*$/gm))
    found.add(normalizeFingerprint(algorithm, value));
  if (found.size > 1) throw new Error('the description names more than one certificate');
  return [...found][0];
}

/**
 * Reads the fingerprints from the live connection's local and remote descriptions, and checks
 * them against the certificates DTLS actually negotiated (getStats `certificate` entries of the
 * transport in use). Undefined until both descriptions are set and DTLS has connected. Throws
 * when the two disagree: the code would not describe the encryption in use.
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
  const report = await pc.getStats();
  const byId = new Map<string, Record<string, unknown>>();
  report.forEach((entry: Record<string, unknown>) => byId.set(entry.id as string, entry));
  const certificate = (id: unknown) => {
    const entry = typeof id === 'string' ? byId.get(id) : undefined;
    if (typeof entry?.fingerprint !== 'string' || typeof entry.fingerprintAlgorithm !== 'string')
      return undefined;
    return normalizeFingerprint(entry.fingerprintAlgorithm, entry.fingerprint);
  };
  let checked = false;
  for (const entry of byId.values()) {
    if (entry.type !== 'transport' || entry.dtlsState !== 'connected') continue;
    const statsLocal = certificate(entry.localCertificateId);
    const statsRemote = certificate(entry.remoteCertificateId);
    if (!statsLocal || !statsRemote) continue;
    if (statsLocal !== local || statsRemote !== remote)
      throw new Error('the negotiated certificates differ from the descriptions');
    checked = true;
  }
  return checked ? { local, remote } : undefined;
}
