import { Link } from 'lucide-react';
import { copyLink } from '../../state/call-controller.ts';

/** Alone in the call: say so, and offer the one thing to do about it. */
export function WaitingCard() {
  return (
    <div className="waiting-card">
      <p className="waiting">
        Waiting for others. Share the link: anyone who opens it joins this call.
      </p>
      <button type="button" className="primary" onClick={() => void copyLink()}>
        <Link aria-hidden="true" size={18} /> Copy invite link
      </button>
    </div>
  );
}
