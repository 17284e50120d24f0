import { useEffect, useRef } from 'react';
import type { Participant } from '../call/call-session.ts';
import { SAS_EMOJI } from '../call/verification/sas-emoji.ts';
import { markVerified } from '../state/call-controller.ts';

/** The pair's verification code, to compare with the other person's screen (see VerifyPeople). */
export default function VerificationDialog({
  person,
  onClose,
}: {
  person: Participant;
  onClose: () => void;
}) {
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
