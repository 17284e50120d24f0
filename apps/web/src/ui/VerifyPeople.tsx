import { useEffect, useRef, useState } from 'react';
import type { Participant } from '../call/call-session.ts';
import { SAS_EMOJI } from '../call/verification/sas-emoji.ts';
import { markVerified, refreshVerification } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import './verify-people.css';

/**
 * "Verify <name>" for each remote participant, and the dialog with the pair's verification
 * code. Both people open it and compare the seven emoji (aloud, or by any other channel); if
 * they match, nobody, not even the signalling server, sits between their browsers. Also shows
 * how many peer messages were blocked, so a misbehaving participant does not go unnoticed.
 * Self-contained, so it can be mounted in a header, menu or People panel.
 */
export function VerifyPeople() {
  const participants = useCallStore((s) => s.participants);
  const dropped = useCallStore((s) => s.droppedMessages);
  const [openFor, setOpenFor] = useState<string | undefined>();
  const people = Object.values(participants);
  const blocked = dropped.invalid + dropped['rate-limited'] + dropped['over-cap'];
  const selected = openFor ? participants[openFor] : undefined;

  return (
    <div className="verify-people">
      {people.map((p) => (
        <button
          key={p.id}
          type="button"
          className="verify-button"
          data-verified={p.verification.verified}
          onClick={() => {
            refreshVerification(p.id);
            setOpenFor(p.id);
          }}
        >
          Verify <bdi>{p.displayName}</bdi>
          {p.verification.verified !== 'no' && <span aria-hidden="true"> ✓</span>}
        </button>
      ))}
      {blocked > 0 && (
        <p className="blocked-messages" data-blocked={blocked}>
          {blocked} {blocked === 1 ? 'message' : 'messages'} from others blocked
        </p>
      )}
      {selected && <VerificationDialog person={selected} onClose={() => setOpenFor(undefined)} />}
    </div>
  );
}

function VerificationDialog({ person, onClose }: { person: Participant; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const { code, problem, verified } = person.verification;

  return (
    <dialog ref={ref} className="verify-dialog" aria-labelledby="verify-title" onClose={onClose}>
      <h2 id="verify-title">Verification code</h2>
      <p>
        Compare with what <bdi>{person.displayName}</bdi> sees for you. If all seven match, your
        call with them is private end to end.
      </p>
      {problem ? (
        <p role="alert">This connection cannot be verified: {problem}.</p>
      ) : code ? (
        <ol className="sas-code" aria-label="Emoji">
          {code.map((index, position) => {
            const emoji = SAS_EMOJI[index] ?? { symbol: '?', name: '?' };
            return (
              <li key={position} className="sas-emoji">
                <span className="sas-symbol" aria-hidden="true">
                  {emoji.symbol}
                </span>
                <span className="sas-name">{emoji.name}</span>
              </li>
            );
          })}
        </ol>
      ) : (
        <p role="status">Waiting for the connection…</p>
      )}
      {verified === 'before' && <p>You verified this device in an earlier call.</p>}
      {verified === 'now' && <p role="status">Verified</p>}
      <div className="verify-actions">
        {verified === 'no' && code && (
          <button type="button" onClick={() => markVerified(person.id)}>
            They match: mark as verified
          </button>
        )}
        <button type="button" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}

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
