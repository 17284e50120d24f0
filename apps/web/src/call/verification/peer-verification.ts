import { readFingerprints, type FingerprintSource, type LinkFingerprints } from './fingerprints.ts';
import { deriveSas } from './sas.ts';
import type { Verification } from './verification-state.ts';

type Connection = FingerprintSource &
  Pick<RTCPeerConnection, 'addEventListener' | 'removeEventListener'>;

/**
 * Keeps one link's verification code current: computed once DTLS is connected and again after
 * every renegotiation (a new description may carry a new certificate), from the live
 * connection only. Reports only changes.
 */
export class PeerVerification {
  private fingerprints: LinkFingerprints | undefined;
  private last = '';
  private disposed = false;
  /** Readings overlap (events come in bursts); only the latest started may report. */
  private readings = 0;
  private readonly recompute = () => void this.update();

  constructor(
    private readonly roomId: string,
    private readonly connection: Connection,
    private readonly onChange: (
      patch: Pick<Verification, 'code' | 'problem'>,
      fingerprints: LinkFingerprints | undefined,
    ) => void,
  ) {
    connection.addEventListener('signalingstatechange', this.recompute);
    connection.addEventListener('connectionstatechange', this.recompute);
    this.recompute();
  }

  /** The remote certificate's fingerprint behind the current code. */
  get remoteFingerprint(): string | undefined {
    return this.fingerprints?.remote;
  }

  dispose(): void {
    this.disposed = true;
    this.connection.removeEventListener('signalingstatechange', this.recompute);
    this.connection.removeEventListener('connectionstatechange', this.recompute);
  }

  async update(): Promise<void> {
    const reading = ++this.readings;
    let patch: Pick<Verification, 'code' | 'problem'>;
    let fingerprints: LinkFingerprints | undefined;
    try {
      fingerprints = await readFingerprints(this.connection);
      const code = fingerprints
        ? await deriveSas(this.roomId, fingerprints.local, fingerprints.remote)
        : undefined;
      patch = { code, problem: undefined };
    } catch (error) {
      fingerprints = undefined;
      patch = { code: undefined, problem: (error as Error).message };
    }
    // A reading still pending (no stats yet) must not blank a code already shown.
    if (this.disposed || reading !== this.readings) return;
    if (!patch.code && !patch.problem && this.fingerprints) return;
    const key = JSON.stringify(patch);
    if (key === this.last) return;
    this.last = key;
    this.fingerprints = fingerprints;
    this.onChange(patch, fingerprints);
  }
}
