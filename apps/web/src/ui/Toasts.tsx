import { LogIn, LogOut, MessageSquare, X } from 'lucide-react';
import { useEffect } from 'react';
import { useCallStore, type Toast } from '../state/call-store.ts';
import { dismissToast } from '../state/view-actions.ts';

/** How long a toast stays, in ms: long enough to read a short chat line. */
export const TOAST_MS = 5_000;

const ICONS = { joined: LogIn, left: LogOut, chat: MessageSquare };

/**
 * Joins, leaves and chat previews, announced politely to screen readers. Not a `status` role:
 * the page's one status is the connection state.
 */
export function Toasts() {
  const toasts = useCallStore((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} />
      ))}
    </div>
  );
}

function ToastItem({ toast }: { toast: Toast }) {
  useEffect(() => {
    const timer = setTimeout(() => dismissToast(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id]);
  const Icon = ICONS[toast.kind];
  return (
    <div className={`toast toast-${toast.kind}`} data-kind={toast.kind}>
      <Icon aria-hidden="true" size={18} />
      <span className="toast-text">{toast.text}</span>
      <button
        type="button"
        className="icon-button"
        aria-label="Dismiss"
        onClick={() => dismissToast(toast.id)}
      >
        <X aria-hidden="true" size={16} />
      </button>
    </div>
  );
}
