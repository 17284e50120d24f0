import { useState } from 'react';
import VerificationDialog from './VerificationDialog.tsx';
import { refreshVerification } from '../state/call-controller.ts';
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
