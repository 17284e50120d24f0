import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, type ServerProcess } from '../testing/server-process.ts';

/** The entry point with HTTPS=1, as `npm run start:lan` runs it: what the admin sees. */

const running: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const server of running.splice(0)) server.kill();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-lan-process-'));
  dirs.push(dir);
  return dir;
}

function start(env: Record<string, string>): ServerProcess {
  const server = spawnServerProcess({ env: { HOST: '0.0.0.0', ...env } });
  running.push(server);
  return server;
}

describe('HTTPS=1 at start-up', { timeout: 120_000 }, () => {
  it('keeps the CA under DATA_DIR/tls and reuses it on the next start', async () => {
    const dataDir = scratch();
    const first = start({ HTTPS: '1', DATA_DIR: dataDir });
    await first.port;
    const created = await first.waitForLog((e) =>
      String(e.msg).includes('new local certificate authority'),
    );
    const announced = await first.waitForLog((e) => String(e.msg).startsWith('LAN HTTPS: open'));
    expect(announced.caPath).toBe(join(dataDir, 'tls', 'ca.crt'));
    expect(created.caFingerprint256).toBe(
      new X509Certificate(readFileSync(join(dataDir, 'tls', 'ca.crt'))).fingerprint256,
    );
    expect(statSync(join(dataDir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600);
    // Once the process is gone and its pipes are drained: the human part went to stderr, so
    // stdout stayed JSON lines (spawnServerProcess parses every one).
    const closed = new Promise((resolve) => first.child.once('close', resolve));
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await closed;
    expect(first.stderr()).toContain("Each device must trust this machine's certificate authority");
    expect(first.stderr()).toContain(String(created.caFingerprint256));

    const caBefore = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const second = start({ HTTPS: '1', DATA_DIR: dataDir });
    await second.port;
    await second.waitForLog((e) => String(e.msg).startsWith('LAN HTTPS: open'));
    expect(second.logs.some((e) => String(e.msg).includes('certificate authority'))).toBe(false);
    expect(second.logs.some((e) => String(e.msg).includes('issued a server certificate'))).toBe(
      false,
    );
    expect(readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8')).toBe(caBefore);
  });

  it('stops with a clear message when DATA_DIR cannot hold the certificates', async () => {
    const file = join(scratch(), 'not-a-directory');
    writeFileSync(file, '');
    const server = start({ HTTPS: '1', DATA_DIR: file });
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain(
      `parley-signaling: cannot create ${join(file, 'tls')} (ENOTDIR): HTTPS=1 keeps its certificate authority and server certificate under DATA_DIR/tls; set DATA_DIR to a directory this user can write`,
    );
  });

  it('names HTTPS when its value is not a yes or no', async () => {
    const server = start({ HTTPS: 'sure' });
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toMatch(/HTTPS: must be true or false \(got "sure"\)/);
  });
});
