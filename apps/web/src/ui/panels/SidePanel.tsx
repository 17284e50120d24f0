import type { KeyboardEvent, ReactNode } from 'react';
import { PanelHeader } from '../PanelHeader.tsx';

/**
 * The frame of every side panel: a labelled region with a header, content that scrolls inside
 * it (never the page), and Escape to close. Other features mount their own panels with it.
 */
export function SidePanel({
  title,
  heading = title,
  className,
  onClose,
  children,
}: {
  title: string;
  /** Visible heading when it differs from the accessible name ("People (3)"). */
  heading?: string;
  className: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    onClose();
  };
  return (
    // A labelled region, not an <aside>: a complementary landmark must not sit inside <main>.
    <section className={`side-panel ${className}`} aria-label={title} onKeyDown={onKeyDown}>
      <PanelHeader title={title} heading={heading} onClose={onClose} />
      {children}
    </section>
  );
}
