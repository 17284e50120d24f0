import { describe, expect, it } from 'vitest';
import { bestGrid, tileAspect } from './tile-grid.ts';

describe('bestGrid', () => {
  it('gives one person the whole height of a wide stage', () => {
    const grid = bestGrid(1, 1200, 600, 8, 16 / 9);
    expect(grid).toMatchObject({ columns: 1, rows: 1, tileHeight: 600 });
  });

  it('puts three people in two rows on a laptop stage instead of one thin strip', () => {
    const grid = bestGrid(3, 1248, 640, 8, 16 / 9);
    expect(grid.rows).toBe(2);
    expect(grid.columns).toBe(2);
    // Two rows use the height: together they fill it.
    expect(grid.tileHeight * 2 + 8).toBeGreaterThan(600);
  });

  it('stacks people in a column on a portrait phone', () => {
    const aspect = tileAspect(374, 640);
    const grid = bestGrid(2, 374, 640, 8, aspect);
    expect(grid.columns).toBe(1);
  });

  it('never returns tiles larger than the stage, for 1 to 6 people', () => {
    for (const [w, h] of [
      [1280, 640],
      [1920, 920],
      [374, 650],
      [900, 300],
    ] as const) {
      for (let n = 1; n <= 6; n++) {
        const g = bestGrid(n, w, h, 8, tileAspect(w, h));
        expect(g.columns * g.rows).toBeGreaterThanOrEqual(n);
        expect(g.columns * g.tileWidth + (g.columns - 1) * 8).toBeLessThanOrEqual(w);
        expect(g.rows * g.tileHeight + (g.rows - 1) * 8).toBeLessThanOrEqual(h);
      }
    }
  });
});
