import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLOSE_CODES, createRoomId } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './testing/test-client.ts';

/** The real entry point as its own process, as docker runs it. */

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
/** tsx's loader by path, so the server may start in any working directory. */
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function spawnServer(
  env: Record<string, string>,
  options: { args?: string[]; cwd?: string } = {},
): {
  process: ChildProcess;
  port: Promise<number>;
  stderr: () => string;
} {
  const proc = spawn(process.execPath, ['--import', tsxLoader, entry, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      STATIC_DIR: '',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { port?: number; msg?: string };
      if (entry.port && entry.msg?.startsWith('Parley listening')) resolve(entry.port);
    });
    proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  port.catch(() => undefined); // a test that expects the process to fail never awaits the port
  return { process: proc, port, stderr: () => stderr };
}

function exited(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

describe('process', () => {
  it('on SIGTERM closes clients with 1012 and exits 0 well inside docker 10 s grace', async () => {
    const server = spawnServer({});
    const url = `http://127.0.0.1:${await server.port}`;
    const a = await TestClient.connect(url);
    const b = await TestClient.connect(url);
    const room = createRoomId();
    await a.join(room);
    await b.join(room);
    const exit = exited(server.process);
    const started = performance.now();
    server.process.kill('SIGTERM');
    expect((await a.closed).code).toBe(CLOSE_CODES.serviceRestart);
    expect((await b.closed).code).toBe(CLOSE_CODES.serviceRestart);
    expect(await exit).toBe(0);
    // A correctness bound (docker sends SIGKILL at 10 s), not a speed goal.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses to start on a bad environment variable, naming it', async () => {
    const server = spawnServer({ ROOM_CAPACITY: 'lots' });
    const code = await exited(server.process);
    expect(code).toBe(2);
    expect(server.stderr()).toMatch(/ROOM_CAPACITY: must be a whole number/);
  });

  it('with --dotenv (as npm start runs it) reads .env from its directory, the environment winning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), 'ROOM_CAPACITY=lots\nMAX_FILE_BYTES=oops\n');
      // Without the flag a .env is ignored: the server starts.
      const plain = spawnServer({}, { cwd: dir });
      expect(await plain.port).toBeGreaterThan(0);
      plain.process.kill('SIGKILL');
      // With it, .env's ROOM_CAPACITY applies; the environment's MAX_FILE_BYTES overrides .env's.
      const server = spawnServer({ MAX_FILE_BYTES: '1000' }, { cwd: dir, args: ['--dotenv'] });
      expect(await exited(server.process)).toBe(2);
      expect(server.stderr()).toMatch(/ROOM_CAPACITY: must be a whole number/);
      expect(server.stderr()).not.toMatch(/MAX_FILE_BYTES/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a weak secret with the rule and how to make one, never echoing the value', async () => {
    // What compose cannot check: SIGNALING_SECRET=y passes its "is set" test.
    const secret = 'weak-secret';
    const server = spawnServer({ SIGNALING_SECRET: secret });
    expect(await exited(server.process)).toBe(2);
    expect(server.stderr()).toContain(
      `SIGNALING_SECRET: must be at least 24 characters; generate one: openssl rand -base64 32 (got ${secret.length} characters)`,
    );
    expect(server.stderr()).not.toContain(secret);
  });
});
