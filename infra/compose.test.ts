import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from '../e2e/support/coturn.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * The self-hosting files, checked without a Docker engine:
 * - docker-compose.yml is valid for Debian's docker-compose and refuses to start without its
 *   secrets;
 * - infra/turn (the production turnserver.conf and the start-coturn.sh entrypoint) starts
 *   Debian's coturn, accepts minted credentials and refuses loopback, private and metadata peers.
 * The whole stack, for real, is scripts/test-compose.sh (npm run test:compose).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const START_COTURN = join(ROOT, 'infra/turn/start-coturn.sh');
const TURN_CONFIG = join(ROOT, 'infra/turn/turnserver.conf');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  timeout = 30_000,
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      // A clean environment, so nothing from the developer's shell fills in a variable.
      { cwd: ROOT, timeout, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, command)));
}

const ENV_EXAMPLE = join(ROOT, '.env.example');

/**
 * The `KEY=value` lines of .env.example, as a self-hoster's .env starts out; with `commented`,
 * the `# KEY=value` overrides that are documented but left out of .env.
 */
function envExample(which: 'set' | 'commented' = 'set'): Record<string, string> {
  const line = which === 'set' ? /^([A-Z][A-Z0-9_]*)=(.*)$/ : /^# ([A-Z][A-Z0-9_]*)=(.*)$/;
  const entries = readFileSync(ENV_EXAMPLE, 'utf8')
    .split('\n')
    .map((text) => line.exec(text))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!] as const);
  return Object.fromEntries(entries);
}

/** .env.example with the three values a self-hoster must fill in. */
const SAMPLE_ENV: Record<string, string> = {
  ...envExample(),
  DOMAIN: 'meet.example.org',
  TURN_SECRET: 'sample-turn-secret-0123456789abcdef',
  SIGNALING_SECRET: 'sample-signaling-secret-0123456789abcdef',
};

describe('.env.example', () => {
  it('lists every variable docker-compose.yml reads', () => {
    const used = new Set(
      [...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
    );
    const listed = new Set([...Object.keys(envExample()), ...Object.keys(envExample('commented'))]);
    expect([...used].filter((name) => !listed.has(name))).toEqual([]);
  });

  it('repeats the defaults of docker-compose.yml, so copying it changes nothing', () => {
    const example = { ...envExample(), ...envExample('commented') };
    const defaults = [
      ...readFileSync(COMPOSE_FILE, 'utf8').matchAll(/\$\{([A-Z][A-Z0-9_]*):-([^}]+)\}/g),
    ];
    expect(defaults.length).toBeGreaterThan(0);
    for (const [, name, value] of defaults) expect(example[name!], name).toBe(value);
  });

  it('leaves image versions commented out, so a version bump in docker-compose.yml reaches installs', () => {
    const images = Object.keys(envExample('commented')).filter((name) => name.endsWith('_IMAGE'));
    expect(images).toEqual(['NODE_IMAGE', 'COTURN_IMAGE', 'CADDY_IMAGE', 'PARLEY_IMAGE']);
    expect(Object.keys(envExample()).filter((name) => name.endsWith('_IMAGE'))).toEqual([]);
  });

  it('gives the secrets and DOMAIN no value', () => {
    const example = envExample();
    for (const name of ['DOMAIN', 'TURN_SECRET', 'SIGNALING_SECRET'])
      expect(example[name]).toBe('');
  });
});

describe('docker-compose.yml', () => {
  const unavailable = onPath('docker-compose')
    ? undefined
    : 'docker-compose is not installed; run scripts/ensure-system-deps.sh as root';
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-compose-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(({ skip }) => skip(unavailable !== undefined, unavailable));

  /** `docker-compose config` with exactly these variables (an env file replaces any .env). */
  function composeConfig(
    variables: Record<string, string>,
    quiet = false,
    overrides: string[] = [],
  ): Promise<RunResult> {
    const envFile = join(dir, `${randomUUID()}.env`);
    writeFileSync(
      envFile,
      Object.entries(variables)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
    );
    const files = [COMPOSE_FILE, ...overrides.map((file) => join(ROOT, file))].flatMap((file) => [
      '-f',
      file,
    ]);
    const args = ['--env-file', envFile, ...files, 'config', ...(quiet ? ['-q'] : [])];
    return run('docker-compose', args);
  }

  it('is valid with .env.example plus DOMAIN and the two secrets: official images, coturn >= 4.10 on the host network, app settings from DOMAIN', async () => {
    const { code, stdout, stderr } = await composeConfig(SAMPLE_ENV);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const coturnImage = /image: coturn\/coturn:(\d+)\.(\d+)/.exec(stdout);
    expect(coturnImage, 'coturn/coturn image').not.toBeNull();
    const [major, minor] = [Number(coturnImage![1]), Number(coturnImage![2])];
    expect(major > 4 || (major === 4 && minor >= 10)).toBe(true);
    expect(stdout).toMatch(/image: caddy:2\b/);
    expect(stdout).toMatch(/NODE_IMAGE: node:\d+-\S*slim/);
    expect(stdout).toContain('network_mode: host');
    expect(stdout).toContain('ALLOWED_ORIGINS: https://meet.example.org');
    expect(stdout).toContain(
      'TURN_URLS: turn:meet.example.org:3478?transport=udp,turn:meet.example.org:3478?transport=tcp',
    );
    expect(stdout).toContain('TRUST_PROXY: "true"');
  });

  // Unset, or left empty as in .env.example: either way compose stops before anything starts.
  it.each([
    ['DOMAIN', 'unset'],
    ['SIGNALING_SECRET', 'unset'],
    ['TURN_SECRET', 'empty'],
  ])('stops with a clear message when %s is %s', async (name, how) => {
    const { [name]: _dropped, ...rest } = SAMPLE_ENV;
    const result = await composeConfig(how === 'empty' ? { ...rest, [name]: '' } : rest, true);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`set ${name}`);
  });

  it('docker-compose.proxy.yml leaves Caddy out and publishes the app on loopback, trusting one proxy', async () => {
    const { code, stdout, stderr } = await composeConfig(SAMPLE_ENV, false, [
      'docker-compose.proxy.yml',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // A profile nobody turns on: `up` does not start the service.
    expect(stdout).toMatch(/caddy:[\s\S]*profiles:\n\s*- bundled-caddy/);
    expect(stdout).toContain('- 127.0.0.1:8080:8080/tcp');
    expect(stdout).toContain("TRUST_PROXY: '1'");
  });

  it('docker-compose.ipv6.yml gives the compose network IPv6', async () => {
    const { code, stdout, stderr } = await composeConfig(SAMPLE_ENV, false, [
      'docker-compose.ipv6.yml',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/networks:\n\s+default:\n\s+enable_ipv6: true/);
  });
});

describe('infra/turn on Debian coturn: the production config, started by start-coturn.sh', () => {
  const unavailable = ['turnserver', 'turnutils_uclient', 'ss'].every(onPath)
    ? undefined
    : 'coturn (turnserver, turnutils_uclient) or ss is missing; run scripts/ensure-system-deps.sh as root';
  const SECRET = 'infra-test-turn-secret-0123456789';
  // The production config listens on 3478 and relays on 49152-65535; the test moves both to a
  // free loopback port and the 20 above it, and changes nothing else.
  let PORT: number;
  let RELAY: { min: number; max: number };
  let dir: string;
  let coturn: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    if (unavailable) return;
    dir = mkdtempSync(join(tmpdir(), 'parley-coturn-prod-'));
    PORT = await freeLoopbackPort(20);
    RELAY = { min: PORT + 1, max: PORT + 20 };
    coturn = spawn(
      'sh',
      [
        START_COTURN,
        `--listening-port=${PORT}`,
        `--min-port=${RELAY.min}`,
        `--max-port=${RELAY.max}`,
        `--pidfile=${join(dir, 'turnserver.pid')}`,
        `--userdb=${join(dir, 'turndb')}`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          COTURN_CONFIG: TURN_CONFIG,
          COTURN_STATE_DIR: dir,
          TURN_SECRET: SECRET,
          TURN_REALM: 'parley.test',
          TURN_LISTENING_IP: '127.0.0.1',
          TURN_RELAY_IP: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    coturn.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    coturn.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitUntilListening(coturn, PORT);
  });

  afterAll(async () => {
    if (coturn && coturn.exitCode === null && coturn.signalCode === null) {
      const exited = new Promise((resolve) => coturn!.once('exit', resolve));
      coturn.kill('SIGTERM');
      const force = setTimeout(() => coturn!.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(force);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(({ skip }) => skip(unavailable !== undefined, unavailable));

  function credential(secret: string, userId: string): { username: string; password: string } {
    const username = `${Math.floor(Date.now() / 1000) + 3600}:${userId}`;
    return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
  }

  function uclient(user: { username: string; password: string }, peer: string) {
    // -X: IPv4 relay; -c: no RTCP allocation; the peer port does not matter, nothing listens.
    const args = ['-v', '-X', '-c', '-p', String(PORT), '-u', user.username, '-w', user.password];
    return run('turnutils_uclient', [...args, '-e', peer, '-r', '9', '-n', '2', '127.0.0.1']);
  }

  it('starts with every line of the config understood', () => {
    expect(log).toContain('Coturn-');
    expect(log).not.toMatch(/Bad configuration format|unknown option|CONFIG ERROR/i);
    expect(log).toContain('Default realm: parley.test');
  });

  it('keeps the secret off the command line and in a config only coturn can read', () => {
    const cmdline = readFileSync(`/proc/${coturn!.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('turnserver');
    expect(cmdline).not.toContain(SECRET);
    const generated = join(dir, 'turnserver.conf');
    expect(readFileSync(generated, 'utf8')).toContain(`static-auth-secret=${SECRET}`);
    expect(statSync(generated).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['private', '10.0.0.1'],
    ['cloud metadata', '169.254.169.254'],
  ])('a minted credential allocates, but a %s peer (%s) is refused with 403', async (_, peer) => {
    const result = await uclient(credential(SECRET, 'infra-user'), peer);
    expect(result.stdout).toMatch(/IPv4\. Received relay addr: 127\.0\.0\.1:(\d+)/);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('channel bind: error 403 (Forbidden IP)');
  });

  it('a credential signed with another secret cannot allocate', async () => {
    const result = await uclient(
      credential('some-other-secret-0123456789', 'intruder'),
      '10.0.0.1',
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('Cannot complete Allocation');
  });

  it.each([
    ['too short', 'short-secret'],
    ['with a character that could break the config line', 'a-long-enough-secret#comment'],
  ])('start-coturn.sh refuses a secret %s', async (_, secret) => {
    const result = await run('sh', [START_COTURN], {
      COTURN_CONFIG: TURN_CONFIG,
      COTURN_STATE_DIR: dir,
      TURN_SECRET: secret,
      TURN_REALM: 'parley.test',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TURN_SECRET');
  });
});

/** Polls `ss` until turnserver has its UDP and TCP listeners on 127.0.0.1:port. */
async function waitUntilListening(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`start-coturn.sh exited with ${child.exitCode}`);
    const { stdout } = await run('ss', ['-Hlnut', `sport = :${port}`]);
    const open = stdout.split('\n').filter((line) => line.includes(`127.0.0.1:${port}`));
    if (open.some((l) => l.startsWith('udp')) && open.some((l) => l.startsWith('tcp'))) return;
    if (Date.now() > deadline) throw new Error(`coturn did not listen on ${port} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
