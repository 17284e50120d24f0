import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./debian-mirror.sh', import.meta.url));
// Documentation addresses only (RFC 2606 names): the script reads whatever the machine has.
const MIRROR = 'http://mirror.example/debian';
const SECURITY = 'http://security.example/debian-security';
// Every fake /etc/apt a test made (a test may make several), removed after it.
const roots = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Runs the script against a fake /etc/apt; returns its stdout, or undefined when it fails. */
function mirrorFor(files, suite = 'bookworm') {
  const root = mkdtempSync(join(tmpdir(), 'parley-apt-'));
  roots.push(root);
  mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  for (const [name, text] of Object.entries(files))
    writeFileSync(join(root, 'etc/apt', name), text);
  try {
    return execFileSync('bash', [SCRIPT, suite], {
      env: { ...process.env, APT_ROOT: root },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

it('reads a deb822 .sources file, skipping the security archive and disabled stanzas', () => {
  const sources = [
    `Types: deb\nURIs: ${SECURITY}\nSuites: bookworm-security\nComponents: main`,
    `# off for now\nTypes: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\nEnabled: no`,
    `Types: deb deb-src\n# a comment\nURIs: ${MIRROR}/\nSuites: bookworm bookworm-updates\nComponents: main`,
  ].join('\n\n');
  expect(mirrorFor({ 'sources.list.d/debian.sources': sources })).toBe(MIRROR);
});

it('reads the one-line format, options in brackets included', () => {
  const list = `deb-src ${MIRROR} bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] ${MIRROR} bookworm main # note\n`;
  expect(mirrorFor({ 'sources.list': list })).toBe(MIRROR);
});

it('fails when no source carries the suite', () => {
  const list = `deb ${SECURITY} bookworm-security main\n`;
  expect(mirrorFor({ 'sources.list': list })).toBeUndefined();
  expect(mirrorFor({ 'sources.list': `deb ${MIRROR} bookworm main\n` }, 'trixie')).toBeUndefined();
});
