import { EllipsisVertical, type LucideIcon } from 'lucide-react';
import { useId, useRef, useState } from 'react';
import { useDismiss } from './use-dismiss.ts';

export interface MoreAction {
  name: string;
  icon: LucideIcon;
  onClick: () => void;
}

/**
 * "More" on narrow screens: the less-used actions, as a disclosure list of ordinary buttons
 * (their names are the same as on the wide bar, where this menu is hidden by CSS).
 */
export function MoreMenu({ actions }: { actions: MoreAction[] }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const rootRef = useRef<HTMLSpanElement>(null);

  useDismiss(open, rootRef, setOpen);

  return (
    <span className="control narrow-only" ref={rootRef}>
      <button
        type="button"
        className="control-button tone-normal"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <EllipsisVertical aria-hidden="true" size={22} />
        <span className="visually-hidden">More</span>
      </button>
      {open && (
        <div id={id} className="popover more-menu">
          {actions.map(({ name, icon: Icon, onClick }) => (
            <button
              key={name}
              type="button"
              className="more-item"
              onClick={() => {
                setOpen(false);
                onClick();
              }}
            >
              <Icon aria-hidden="true" size={20} /> {name}
            </button>
          ))}
        </div>
      )}
    </span>
  );
}
