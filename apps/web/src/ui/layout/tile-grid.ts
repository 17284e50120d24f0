/**
 * Sizes a gallery of equal tiles to a stage, by its width AND its height: tries every column
 * count and keeps the one whose tiles are largest. (A CSS auto-fit grid only looks at the width,
 * which is how three people ended up in one thin strip with most of the height empty.)
 */
export interface TileGrid {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

export function bestGrid(
  count: number,
  width: number,
  height: number,
  gap: number,
  aspect: number,
): TileGrid {
  const n = Math.max(1, count);
  let best: TileGrid = { columns: 1, rows: n, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const cellWidth = (width - gap * (columns - 1)) / columns;
    const cellHeight = (height - gap * (rows - 1)) / rows;
    if (cellWidth <= 0 || cellHeight <= 0) continue;
    const tileWidth = Math.min(cellWidth, cellHeight * aspect);
    if (tileWidth > best.tileWidth)
      best = {
        columns,
        rows,
        tileWidth: Math.floor(tileWidth),
        tileHeight: Math.floor(tileWidth / aspect),
      };
  }
  return best;
}

/** Landscape stages get 16:9 tiles; a portrait phone gets upright ones that fill it better. */
export function tileAspect(width: number, height: number): number {
  return height > width * 1.1 ? 3 / 4 : 16 / 9;
}
