import { Eye, EyeOff } from 'lucide-react';
import { useRef, useState, type PointerEvent, type ReactNode } from 'react';
import { setSelfViewHidden } from '../../state/view-actions.ts';

/** Distance kept from the stage's edges, in px. */
const MARGIN = 12;

/**
 * Our own camera as a small picture over the stage (the other person fills it, as in Meet).
 * Drag it anywhere on the stage; it snaps to the nearest corner so it never sits mid-face.
 * It can be hidden; the others still see us.
 */
export function SelfView({ hidden, children }: { hidden: boolean; children: ReactNode }) {
  const [corner, setCorner] = useState<{ x: 'left' | 'right'; y: 'top' | 'bottom' }>({
    x: 'right',
    y: 'bottom',
  });
  const [drag, setDrag] = useState<{ dx: number; dy: number } | undefined>();
  const start = useRef<{ x: number; y: number } | undefined>(undefined);

  if (hidden) {
    return (
      <button
        type="button"
        className="self-view-show"
        data-corner={`${corner.y}-${corner.x}`}
        onClick={() => setSelfViewHidden(false)}
      >
        <Eye aria-hidden="true" size={16} /> Show self-view
      </button>
    );
  }

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if ((event.target as HTMLElement).closest('button')) return;
    start.current = { x: event.clientX, y: event.clientY };
    event.currentTarget.setPointerCapture(event.pointerId);
    setDrag({ dx: 0, dy: 0 });
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (!start.current) return;
    setDrag({ dx: event.clientX - start.current.x, dy: event.clientY - start.current.y });
  };
  const onPointerUp = (event: PointerEvent<HTMLDivElement>) => {
    if (!start.current) return;
    start.current = undefined;
    const stage = event.currentTarget.parentElement?.getBoundingClientRect();
    const box = event.currentTarget.getBoundingClientRect();
    setDrag(undefined);
    if (!stage) return;
    const centreX = box.left + box.width / 2 - stage.left;
    const centreY = box.top + box.height / 2 - stage.top;
    setCorner({
      x: centreX < stage.width / 2 ? 'left' : 'right',
      y: centreY < stage.height / 2 ? 'top' : 'bottom',
    });
  };

  return (
    <div
      className={drag ? 'self-view dragging' : 'self-view'}
      data-corner={`${corner.y}-${corner.x}`}
      style={{
        [corner.x]: `${MARGIN}px`,
        [corner.y]: `${MARGIN}px`,
        transform: drag ? `translate(${drag.dx}px, ${drag.dy}px)` : undefined,
      }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
    >
      {children}
      <button
        type="button"
        className="tile-button self-view-hide"
        aria-label="Hide self-view"
        title="Hide self-view (others still see you)"
        onClick={() => setSelfViewHidden(true)}
      >
        <EyeOff aria-hidden="true" size={16} />
      </button>
    </div>
  );
}
