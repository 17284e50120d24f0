import { useEffect, type RefObject } from 'react';

/**
 * While `open`, Escape or a pointer press outside `rootRef` closes it through `setOpen(false)`
 * (a state setter, stable across renders): how a popover or a disclosure menu gets out of the
 * way without a dedicated button.
 */
export function useDismiss(
  open: boolean,
  rootRef: RefObject<HTMLElement | null>,
  setOpen: (open: boolean) => void,
): void {
  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (event instanceof KeyboardEvent && event.key !== 'Escape') return;
      if (event instanceof PointerEvent && rootRef.current?.contains(event.target as Node)) return;
      setOpen(false);
    };
    document.addEventListener('keydown', close);
    document.addEventListener('pointerdown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('pointerdown', close);
    };
  }, [open, rootRef, setOpen]);
}
