import type { Participant } from '../call/call-session.ts';

/** "verified before" / "verified" on a participant's tile. */
export function TrustBadge({ participant }: { participant: Participant | undefined }) {
  const verified = participant?.verification.verified;
  if (!verified || verified === 'no') return null;
  return (
    <span className="badge trust-badge" data-verified={verified}>
      {verified === 'before' ? 'verified before' : 'verified'}
    </span>
  );
}
