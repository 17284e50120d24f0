/*
 * Kept apart from the code that computes it, so the call page can hold the state while the
 * verification code (HKDF, fingerprints, the emoji table) loads after the first connection.
 */

/** A participant's verification state as the UI shows it: plain data. */
export interface Verification {
  /** The code for this pair: SAS_EMOJI_COUNT indexes into SAS_EMOJI; undefined until connected. */
  code: number[] | undefined;
  /** Set when the code cannot be trusted (the negotiated certificates disagree with the SDP). */
  problem: string | undefined;
  /** `before`: this certificate was marked verified in an earlier call; `now`: in this one. */
  verified: 'no' | 'before' | 'now';
}

export const UNVERIFIED: Verification = { code: undefined, problem: undefined, verified: 'no' };
