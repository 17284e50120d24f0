import type { PeerVerification } from './verification/peer-verification.ts';
import type { TrustStore } from './verification/trust-store.ts';
import { UNVERIFIED, type Verification } from './verification/verification-state.ts';

export interface SessionVerificationOptions {
  roomId: string;
  /** Where "Verified" marks are kept; without one they last for this call only. */
  trustStore?: TrustStore | undefined;
  /** The participant's current state, if still in the call. */
  current(participantId: string): { verification: Verification; displayName: string } | undefined;
  update(participantId: string, verification: Verification): void;
}

/**
 * Verification codes for the call's participants: one watcher per live connection, loaded after
 * the call page like file transfers (no one needs a code before connecting), recomputed on every
 * renegotiation, and "Verified" marks remembered by certificate in the trust store.
 */
export class SessionVerification {
  private readonly watchers = new Map<string, PeerVerification>();
  private readonly links = new Map<string, RTCPeerConnection>();

  constructor(private readonly options: SessionVerificationOptions) {}

  /** Starts reading the pair's code from this participant's connection. */
  watch(participantId: string, connection: RTCPeerConnection | undefined): void {
    if (!connection) return;
    this.links.set(participantId, connection);
    void import('./verification/peer-verification.ts').then(({ PeerVerification }) => {
      if (this.links.get(participantId) !== connection) return; // left meanwhile
      this.watchers.set(
        participantId,
        this.newWatcher(PeerVerification, participantId, connection),
      );
    });
  }

  /** Reads the pair's code again from the live connection (connected, or the dialog opens). */
  refresh(participantId: string): void {
    void this.watchers.get(participantId)?.update();
  }

  /** The user compared the codes and they matched: remember this person's certificate. */
  markVerified(participantId: string): void {
    const current = this.options.current(participantId);
    const fingerprint = this.watchers.get(participantId)?.remoteFingerprint;
    if (!current || !fingerprint || !current.verification.code) return;
    this.options.update(participantId, { ...current.verification, verified: 'now' });
    void this.options.trustStore
      ?.markVerified({ fingerprint, name: current.displayName, verifiedAt: Date.now() })
      .catch(() => undefined);
  }

  forget(participantId: string): void {
    this.watchers.get(participantId)?.dispose();
    this.watchers.delete(participantId);
    this.links.delete(participantId);
  }

  dispose(): void {
    for (const id of [...this.links.keys()]) this.forget(id);
  }

  private newWatcher(
    Verifier: typeof PeerVerification,
    participantId: string,
    connection: RTCPeerConnection,
  ): PeerVerification {
    let previous: string | undefined;
    const watcher = new Verifier(this.options.roomId, connection, (patch, fingerprints) => {
      const current = this.options.current(participantId)?.verification ?? UNVERIFIED;
      // A new certificate is someone to verify afresh; the same one keeps its mark.
      const same = fingerprints !== undefined && fingerprints.remote === previous;
      previous = fingerprints?.remote;
      this.options.update(participantId, { ...patch, verified: same ? current.verified : 'no' });
      const remote = fingerprints?.remote;
      if (!remote || !this.options.trustStore) return;
      void this.options.trustStore.isVerified(remote).then(
        (known) => {
          const latest = this.options.current(participantId)?.verification;
          if (known && latest?.verified === 'no' && watcher.remoteFingerprint === remote)
            this.options.update(participantId, { ...latest, verified: 'before' });
        },
        () => undefined,
      );
    });
    return watcher;
  }
}
