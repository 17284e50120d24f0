import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort, killAndWait } from '../../e2e/support/coturn.ts';

/**
 * start-coturn.sh adds the IPv4-mapped deny range on coturn below 4.9 (CVE-2026-27624), and
 * that line is what stops Debian's coturn 4.6.1 from relaying to ::ffff:127.0.0.1 and friends:
 * the production config is started twice through the script on the real turnserver, once as it
 * is, once with `--version` answering 4.10.0 (so the script leaves the line out), and the same
 * mapped peers are tried on both.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_COTURN = join(ROOT, 'infra/turn/start-coturn.sh');
const TURN_CONFIG = join(ROOT, 'infra/turn/turnserver.conf');
const TURNSERVER = '/usr/bin/turnserver';
const SECRET = 'mapped-peer-test-secret-0123456789';
/** The deny line as a config line of its own (the base config mentions it in a comment). */
const MAPPED_LINE = /^denied-peer-ip=::ffff:0\.0\.0\.0-::ffff:255\.255\.255\.255$/m;
const MAPPED_PEERS = ['::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:10.0.0.1'];

const unavailable = !existsSync(TURNSERVER)
  ? 'coturn is not installed; run scripts/ensure-system-deps.sh as root'
  : undefined;

interface Started {
  child: ChildProcess;
  port: number;
  config: string;
  stderr: () => string;
}

let scratch: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'parley-mapped-'));
});

afterAll(async () => {
  for (const child of started) await killAndWait(child);
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs start-coturn.sh on the production config with a free loopback port and an IPv6 relay. */
async function startThroughScript(name: string, turnserver: string): Promise<Started> {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const port = await freeLoopbackPort(20);
  let stderr = '';
  const child = spawn(
    'sh',
    [
      START_COTURN,
      `--listening-port=${port}`,
      `--min-port=${port + 1}`,
      `--max-port=${port + 20}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--userdb=${join(dir, 'turndb')}`,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TURNSERVER: turnserver,
        COTURN_CONFIG: TURN_CONFIG,
        COTURN_STATE_DIR: dir,
        TURN_SECRET: SECRET,
        TURN_REALM: 'parley.test',
        TURN_LISTENING_IP: '127.0.0.1,::1',
        TURN_RELAY_IP: '::1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  started.push(child);
  await untilAnswering(port);
  return {
    child,
    port,
    config: readFileSync(join(dir, 'turnserver.conf'), 'utf8'),
    stderr: () => stderr,
  };
}

/** Waits until the server answers a STUN Binding request on `::1` (it is up and listening). */
async function untilAnswering(port: number): Promise<void> {
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0);
  request.writeUInt32BE(0x2112a442, 4);
  const socket = createSocket('udp6');
  try {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => socket.send(request, port, '::1'), 50);
      socket.once('message', () => {
        clearInterval(timer);
        resolve();
      });
    });
  } finally {
    socket.close();
  }
}

function credential() {
  const username = `${Math.floor(Date.now() / 1000) + 600}:mapped-test-user`;
  return { username, password: createHmac('sha1', SECRET).update(username).digest('base64') };
}

/** One uclient run: allocate an IPv6 relay on ::1, then CreatePermission for `peer` (-s). */
function permissionFor(port: number, peer: string): Promise<string> {
  const { username, password } = credential();
  const args = ['-v', '-c', '-s', '-p', String(port), '-u', username, '-w', password];
  return new Promise((resolve) => {
    execFile(
      'turnutils_uclient',
      [...args, '-e', peer, '-r', '9', '-n', '1', '::1'],
      { timeout: 20_000 },
      (_error, stdout, stderr) => resolve(stdout + stderr),
    );
  });
}

function canBindIpv6Loopback(): Promise<boolean> {
  const socket = createSocket('udp6');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(0, '::1', () => socket.close(() => resolve(true)));
  });
}

describe('IPv4-mapped IPv6 peers on Debian coturn, through start-coturn.sh', () => {
  it('the version is read: 4.6.1 gets the mapped deny line, 4.10 does not', async ({ skip }) => {
    skip(unavailable !== undefined, unavailable);
    const fake = join(scratch, 'turnserver-4.10');
    // Answers --version like 4.10, and prints the config it would be started on.
    writeFileSync(fake, '#!/bin/sh\n[ "$1" = --version ] && { echo 4.10.0; exit 0; }\ncat "$2"\n');
    chmodSync(fake, 0o755);
    const run = (turnserver: string) =>
      new Promise<string>((resolve) => {
        const dir = mkdtempSync(join(scratch, 'conf-'));
        execFile(
          'sh',
          [START_COTURN],
          {
            env: {
              PATH: process.env.PATH ?? '/usr/bin:/bin',
              TURNSERVER: turnserver,
              COTURN_CONFIG: TURN_CONFIG,
              COTURN_STATE_DIR: dir,
              TURN_SECRET: SECRET,
              TURN_REALM: 'parley.test',
            },
          },
          () => resolve(readFileSync(join(dir, 'turnserver.conf'), 'utf8')),
        );
      });
    expect(await run(fake)).not.toMatch(MAPPED_LINE);
    const debian = await run(join(scratch, 'missing-turnserver'));
    expect(debian).toMatch(MAPPED_LINE); // an unreadable version errs on the safe side
  });

  it('with the line (4.6.1 as installed) mapped peers get 403; without it, 4.6.1 lets them through', async ({
    skip,
  }) => {
    skip(unavailable !== undefined, unavailable);
    skip(!(await canBindIpv6Loopback()), 'needs IPv6 on loopback (::1) to relay from');

    const patched = await startThroughScript('patched', TURNSERVER);
    expect(patched.config).toMatch(MAPPED_LINE);
    for (const peer of MAPPED_PEERS) {
      const output = await permissionFor(patched.port, peer);
      expect(output, peer).toMatch(/IPv6\. Received relay addr: ::1:\d+/);
      expect(output, peer).toContain('create permission error 403 (Forbidden IP)');
    }
    await killAndWait(patched.child);

    // The control: the same coturn, told it is 4.10, runs without the line and grants them.
    const fake = join(scratch, 'turnserver-claims-4.10');
    writeFileSync(
      fake,
      `#!/bin/sh\n[ "$1" = --version ] && { echo 4.10.0; exit 0; }\nexec ${TURNSERVER} "$@"\n`,
    );
    chmodSync(fake, 0o755);
    const unpatched = await startThroughScript('unpatched', fake);
    expect(unpatched.config).not.toMatch(MAPPED_LINE);
    const output = await permissionFor(unpatched.port, '::ffff:127.0.0.1');
    expect(output).toMatch(/IPv6\. Received relay addr: ::1:\d+/);
    expect(output).not.toContain('create permission error 403');
    await killAndWait(unpatched.child);
  });
});
