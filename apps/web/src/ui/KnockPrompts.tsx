import './door.css';
import { answerKnock } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';

/**
 * What everyone in the call sees of the lock: that it is locked, and each newcomer waiting
 * with "Admit" and "Deny". The first answer from anyone decides; the prompt then goes for all.
 */
export function KnockPrompts() {
  const { locked, knocks } = useCallStore((s) => s.door);
  if (!locked && knocks.length === 0) return null;
  return (
    <aside className="knock-prompts" aria-label="Call lock">
      {locked && (
        <p role="status" className="lock-status">
          This call is locked: newcomers wait until someone lets them in.
        </p>
      )}
      {knocks.length > 0 && (
        <ul role="list">
          {knocks.map((knock) => (
            <li key={knock.id} className="knock" role="group" aria-labelledby={`knock-${knock.id}`}>
              <span id={`knock-${knock.id}`}>
                <bdi>{knock.displayName}</bdi> wants to join
              </span>
              <button type="button" className="primary" onClick={() => answerKnock(knock.id, true)}>
                Admit
              </button>
              <button type="button" onClick={() => answerKnock(knock.id, false)}>
                Deny
              </button>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
