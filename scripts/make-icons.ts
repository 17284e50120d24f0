/**
 * Renders the app icons' PNGs from their SVG sources (apps/web/public/icons/*.svg) with
 * Debian's Chromium: `npx tsx scripts/make-icons.ts` after editing an SVG, then commit the PNGs.
 * The PNGs are committed rather than rendered at build time: the build then needs no browser,
 * and its output does not depend on the installed Chromium's anti-aliasing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const ICONS = fileURLToPath(new URL('../apps/web/public/icons/', import.meta.url));
const RENDERS = [
  { svg: 'icon.svg', png: 'icon-192.png', size: 192 },
  { svg: 'icon.svg', png: 'icon-512.png', size: 512 },
  { svg: 'icon-maskable.svg', png: 'icon-maskable-512.png', size: 512 },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  for (const { svg, png, size } of RENDERS) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const source = readFileSync(`${ICONS}${svg}`, 'utf8');
    await page.setContent(
      `<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${source}`,
    );
    await page.screenshot({ path: `${ICONS}${png}`, omitBackground: true });
    await page.close();
    console.log(`${png}: ${size}x${size} from ${svg}`);
  }
} finally {
  await browser.close();
}
