import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

// scripts/refresh-turn-ip.sh against a .env in a temp dir, with the lookup and compose replaced
// by echo: what it writes to .env, and whether it would restart the stack.
const SCRIPT = fileURLToPath(new URL('./refresh-turn-ip.sh', import.meta.url));
let dir;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function refresh(envText, lookedUp) {
  dir = mkdtempSync(join(tmpdir(), 'parley-turn-ip-'));
  writeFileSync(join(dir, '.env'), envText);
  const result = spawnSync('sh', [SCRIPT], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      PARLEY_PUBLIC_IP_LOOKUP: `echo ${lookedUp}`,
      // scripts/compose.sh runs $COMPOSE with the arguments: print them instead.
      COMPOSE: 'echo compose',
    },
  });
  return { ...result, env: readFileSync(join(dir, '.env'), 'utf8') };
}

it('replaces a changed public address, keeps the private part, and restarts with up -d', () => {
  const run = refresh(
    'DOMAIN=meet.example.org\nTURN_EXTERNAL_IP=203.0.113.7/10.0.0.5\n',
    '198.51.100.20',
  );
  expect(run.status).toBe(0);
  expect(run.env).toBe('DOMAIN=meet.example.org\nTURN_EXTERNAL_IP=198.51.100.20/10.0.0.5\n');
  expect(run.stdout).toContain('203.0.113.7/10.0.0.5 -> 198.51.100.20/10.0.0.5');
  expect(run.stdout.trim().split('\n').at(-1)).toBe('compose up -d');
});

it('adds TURN_EXTERNAL_IP when .env has none', () => {
  const run = refresh('DOMAIN=meet.example.org\n', '198.51.100.20');
  expect(run.status).toBe(0);
  expect(run.env).toBe('DOMAIN=meet.example.org\nTURN_EXTERNAL_IP=198.51.100.20\n');
  expect(run.stdout).toContain('compose up -d');
});

it('does nothing when the address is unchanged', () => {
  const env = 'DOMAIN=meet.example.org\nTURN_EXTERNAL_IP=198.51.100.20\n';
  const run = refresh(env, '198.51.100.20');
  expect(run.status).toBe(0);
  expect(run.env).toBe(env);
  expect(run.stdout).toBe('');
});

it.each(['192.168.1.5', '10.1.2.3', '100.64.0.9', '172.20.0.1'])(
  'refuses %s (split DNS or carrier-grade NAT) and leaves .env alone',
  (address) => {
    const env = 'DOMAIN=meet.example.org\nTURN_EXTERNAL_IP=198.51.100.20\n';
    const run = refresh(env, address);
    expect(run.status).toBe(1);
    expect(run.env).toBe(env);
    expect(run.stderr).toContain('PARLEY_PUBLIC_IP_LOOKUP');
  },
);

it('fails without changing anything when the lookup prints no address', () => {
  const env = 'DOMAIN=meet.example.org\nTURN_EXTERNAL_IP=198.51.100.20\n';
  const run = refresh(env, '');
  expect(run.status).toBe(1);
  expect(run.env).toBe(env);
  expect(run.stderr).toContain('no IPv4 address');
});
