import { describe, expect, it } from 'vitest';
import { OFFLINE_FILES } from './shell-routes.ts';
import { shellOf } from './vite-plugin.ts';

const publicFiles = (contents: string) => () => new TextEncoder().encode(contents);
const BUNDLE = [
  'index.html',
  'assets/index-abc123.js',
  'assets/index-abc123.js.map',
  'assets/index-def456.css',
  '.vite/manifest.json',
];

describe('shellOf', () => {
  it('lists the offline page and every hashed asset, never source maps or other files', () => {
    expect(shellOf(BUNDLE, publicFiles('x')).files).toEqual([
      ...OFFLINE_FILES,
      '/assets/index-abc123.js',
      '/assets/index-def456.css',
    ]);
  });

  it('has a new version when an asset or the offline page changes, and only then', () => {
    const base = shellOf(BUNDLE, publicFiles('x')).version;
    expect(shellOf([...BUNDLE].reverse(), publicFiles('x')).version).toBe(base);
    expect(shellOf([...BUNDLE, 'assets/lazy-999.js.map'], publicFiles('x')).version).toBe(base);
    expect(shellOf([...BUNDLE, 'assets/lazy-999.js'], publicFiles('x')).version).not.toBe(base);
    expect(shellOf(BUNDLE, publicFiles('y')).version).not.toBe(base);
  });
});
