import { useRef, type CSSProperties, type ReactNode } from 'react';
import type { Participant } from '../../call/call-session.ts';
import { useCallStore } from '../../state/call-store.ts';
import { remoteStreamKey, SELF } from '../../state/media-streams.ts';
import { RenderGuard } from '../RenderGuard.tsx';
import { Tile } from '../Tile.tsx';
import { Presentation } from './Presentation.tsx';
import { PresentingBanner } from './PresentingBanner.tsx';
import { SelfView } from './SelfView.tsx';
import { bestGrid, tileAspect } from './tile-grid.ts';
import { useElementSize } from './use-element-size.ts';
import { WaitingCard } from './WaitingCard.tsx';

const GAP = 8;

/** A tile to lay out: our own camera (`self`) or a participant's. */
interface TileSpec {
  id: string;
  node: (props: { style?: CSSProperties | undefined; variant?: 'normal' | 'small' }) => ReactNode;
}

/**
 * The stage: everything between the header and the control bar, sized to what is left of the
 * window. Its layout follows the call, as in Meet:
 * - a shared screen (or a pinned participant) takes the stage, cameras move to a strip;
 * - with one other person, they fill the stage and we are a small movable self-view;
 * - otherwise a gallery whose tiles are sized by the stage's width and height.
 */
export function Stage() {
  const participants = useCallStore((s) => s.participants);
  const local = useCallStore((s) => s.local);
  const displayName = useCallStore((s) => s.displayName);
  const sharing = useCallStore((s) => s.sharingScreen);
  const pinnedId = useCallStore((s) => s.view.pinnedId);
  const selfViewHidden = useCallStore((s) => s.view.selfViewHidden);
  const ref = useRef<HTMLDivElement>(null);
  const size = useElementSize(ref);

  const people = Object.values(participants);
  const screens = people.flatMap((p) =>
    p.screenStreamId !== null && p.streamIds.includes(p.screenStreamId)
      ? [{ key: remoteStreamKey(p.id, p.screenStreamId), name: p.displayName, ownerId: p.id }]
      : [],
  );

  const selfTile: TileSpec = {
    id: SELF,
    node: ({ style, variant }) => (
      <RenderGuard key={SELF} label="Your tile">
        <Tile
          id={SELF}
          streamId={SELF}
          name={displayName}
          self
          audio={local.audioEnabled}
          video={local.videoEnabled}
          speaking={local.speaking}
          pinned={pinnedId === SELF}
          style={style}
          variant={variant}
        />
      </RenderGuard>
    ),
  };
  const personTile = (p: Participant): TileSpec => ({
    id: p.id,
    node: ({ style, variant }) => (
      <RenderGuard key={p.id} label={`The tile of ${p.displayName}`}>
        <Tile
          id={p.id}
          streamId={remoteStreamKey(p.id, cameraStreamId(p))}
          name={p.displayName}
          self={false}
          audio={p.audio}
          video={p.video}
          speaking={p.speaking}
          participant={p}
          pinned={pinnedId === p.id}
          style={style}
          variant={variant}
        />
      </RenderGuard>
    ),
  });
  const tiles = [selfTile, ...people.map(personTile)];
  const pinned = tiles.find((t) => t.id === pinnedId);

  const [mainScreen] = screens;
  let layout: 'spotlight' | 'duo' | 'gallery';
  if (screens.length > 0 || pinned) layout = 'spotlight';
  else if (people.length === 1) layout = 'duo';
  else layout = 'gallery';

  const portrait = size.height > size.width * 1.1;
  return (
    <div
      ref={ref}
      className={`stage layout-${layout} ${portrait ? 'portrait' : 'landscape'}`}
      data-layout={layout}
    >
      {sharing && <PresentingBanner />}
      {layout === 'spotlight' && (
        <>
          <div className="spotlight">
            {mainScreen ? (
              <RenderGuard label={`The screen of ${mainScreen.name}`}>
                <Presentation streamKey={mainScreen.key} name={mainScreen.name} />
              </RenderGuard>
            ) : (
              pinned && <FitTiles tiles={[pinned]} />
            )}
          </div>
          <div className="strip" aria-label="Participants" role="region">
            {screens.slice(1).map((screen) => (
              <RenderGuard key={screen.key} label={`The screen of ${screen.name}`}>
                <Presentation streamKey={screen.key} name={screen.name} small />
              </RenderGuard>
            ))}
            {tiles
              .filter((t) => screens.length > 0 || t.id !== pinnedId)
              .map((t) => t.node({ variant: 'normal', style: undefined }))}
          </div>
        </>
      )}
      {layout === 'duo' && (
        <>
          <FitTiles tiles={tiles.slice(1)} />
          <SelfView hidden={selfViewHidden}>{selfTile.node({ variant: 'small' })}</SelfView>
        </>
      )}
      {layout === 'gallery' && (
        <>
          <FitTiles tiles={tiles} />
          {people.length === 0 && <WaitingCard />}
        </>
      )}
    </div>
  );
}

/** A gallery of equal tiles, as large as the area allows. */
function FitTiles({ tiles }: { tiles: TileSpec[] }) {
  const ref = useRef<HTMLDivElement>(null);
  const { width, height } = useElementSize(ref);
  const grid = bestGrid(tiles.length, width, height, GAP, tileAspect(width, height));
  // Before the first measurement the tiles still render (the join path must not wait a frame
  // for a <video>); CSS gives them a provisional size.
  const style =
    width > 0 ? { width: `${grid.tileWidth}px`, height: `${grid.tileHeight}px` } : undefined;
  return (
    <div ref={ref} className="gallery" data-count={tiles.length} data-columns={grid.columns}>
      {tiles.map((t) => t.node({ style, variant: 'normal' }))}
    </div>
  );
}

/** The camera stream is whichever received stream is not the announced screen share. */
function cameraStreamId(p: { streamIds: string[]; screenStreamId: string | null }): string {
  return p.streamIds.find((id) => id !== p.screenStreamId) ?? 'none';
}
