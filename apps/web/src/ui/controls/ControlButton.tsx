import type { LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';

interface ControlButtonProps {
  /** The accessible name, exactly as tests and screen readers know it ("Microphone"). */
  name: string;
  icon: LucideIcon;
  /** What the tooltip says, with the shortcut if any: "Turn off microphone (M)". */
  tooltip: string;
  onClick: () => void;
  /** For toggles: on or off. Off shows the slashed icon in the "off" colour. */
  pressed?: boolean | undefined;
  expanded?: boolean | undefined;
  disabled?: boolean | undefined;
  shortcut?: string | undefined;
  tone?: 'normal' | 'off' | 'active' | 'danger';
  /** Where the control goes on narrow screens: `bar` stays, `more` moves into the More menu. */
  placement?: 'bar' | 'more';
  /** Extra content after the name (the unread count). */
  extra?: ReactNode;
  controls?: string | undefined;
}

/**
 * A round icon button of the control bar. The name is real (visually hidden) text, so the
 * accessible name is exactly `name`; the tooltip is shown on hover and keyboard focus.
 */
export function ControlButton({
  name,
  icon: Icon,
  tooltip,
  onClick,
  pressed,
  expanded,
  disabled,
  shortcut,
  tone = 'normal',
  placement = 'bar',
  extra,
  controls,
}: ControlButtonProps) {
  return (
    <span className={`control ${placement === 'more' ? 'wide-only' : ''}`}>
      <button
        type="button"
        className={`control-button tone-${tone}`}
        aria-pressed={pressed}
        aria-expanded={expanded}
        aria-controls={controls}
        aria-keyshortcuts={shortcut}
        disabled={disabled}
        onClick={onClick}
      >
        <Icon aria-hidden="true" size={22} />
        <span className="visually-hidden">{name}</span>
        {extra}
      </button>
      <span className="tooltip" aria-hidden="true">
        {tooltip}
      </span>
    </span>
  );
}
