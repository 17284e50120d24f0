import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TURNSERVER } from './coturn.ts';

/**
 * Two clients behind NAT routers and a TURN host on a fake public network, each in its own
 * network namespace (see shared notes nat-lab.md):
 *
 *   cA 100.64.1.10 --lan-- rA [NAT] 198.51.100.2/28  --\
 *                                                       inet (no default route) -- turn 203.0.113.10 (+ .11)
 *   cB 100.64.2.10 --lan-- rB [NAT] 198.51.100.18/28 --/
 *
 * Only documentation (198.51.100/24, 203.0.113/24) and shared (100.64/10) ranges are used. Every
 * veth is created directly between lab namespaces, so the root namespace's network is never
 * touched, and a guard chain in each namespace drops anything addressed outside those ranges.
 * Namespaces are named `parleynat-<pid>-<n>-<role>`; a lab left behind by a dead process is
 * removed by the next one.
 */

export type NatMode = 'symmetric' | 'cone';

const PREFIX = 'parleynat';
const LAB_RANGES = ['127.0.0.0/8', '100.64.0.0/10', '198.51.100.0/24', '203.0.113.0/24'];
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const LAB = {
  turnIp: '203.0.113.10',
  /** A second address on the TURN host, for STUN servers that test NAT behaviour (RFC 5780). */
  turnAltIp: '203.0.113.11',
  clientA: '100.64.1.10',
  clientB: '100.64.2.10',
  routerAPublic: '198.51.100.2',
  routerBPublic: '198.51.100.18',
} as const;

export interface NatLab {
  mode: NatMode;
  /** Namespace names: clients, their routers, the "internet" core router and the TURN host. */
  ns: {
    clientA: string;
    clientB: string;
    routerA: string;
    routerB: string;
    inet: string;
    turn: string;
  };
  buildMs: number;
  /** An executable that runs Chromium inside `namespace` (for Playwright's `executablePath`). */
  chromiumIn(namespace: string): string;
  /** Runs a command in one of the lab's namespaces and returns its stdout. */
  exec(namespace: string, command: string, args: string[], input?: string): string;
  /** Kills every process in the lab's namespaces and deletes them; returns how long it took. */
  teardown(): Promise<number>;
}

let labsBuilt = 0;

/** Why the lab cannot be built here, or undefined when it can. */
export function natLabUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the NAT lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (network namespaces, iptables)';
  for (const [tool, pkg] of [
    ['/usr/sbin/iptables', 'iptables'],
    [TURNSERVER, 'coturn'],
    [CHROMIUM, 'chromium'],
  ] as const) {
    if (!existsSync(tool))
      return `${tool} is missing; install ${pkg} (scripts/ensure-system-deps.sh)`;
  }
  const probe = `${PREFIX}-probe-${process.pid}-ns`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
  } catch (error) {
    return `cannot create network namespaces here: ${firstLine(error)}`;
  }
  return undefined;
}

export async function buildNatLab(mode: NatMode): Promise<NatLab> {
  await removeStaleLabs();
  const started = performance.now();
  const id = `${PREFIX}-${process.pid}-${++labsBuilt}`;
  const ns = {
    clientA: `${id}-cA`,
    clientB: `${id}-cB`,
    routerA: `${id}-rA`,
    routerB: `${id}-rB`,
    inet: `${id}-inet`,
    turn: `${id}-turn`,
  };
  const names = Object.values(ns);
  const scratch = mkdtempSync(join(tmpdir(), `${id}-`));
  const lab: NatLab = {
    mode,
    ns,
    buildMs: 0,
    chromiumIn: (namespace) => {
      const path = join(scratch, `chromium-${namespace}`);
      // `ip netns exec` execs Chromium in place, so Playwright's pipe to it keeps working.
      writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${namespace} ${CHROMIUM} "$@"\n`);
      chmodSync(path, 0o755);
      return path;
    },
    exec: (namespace, command, args, input) => inNs(namespace, command, args, input),
    teardown: async () => {
      const start = performance.now();
      await destroyNamespaces(names);
      rmSync(scratch, { recursive: true, force: true });
      return Math.round(performance.now() - start);
    },
  };
  try {
    batch(
      undefined,
      names.map((name) => `netns add ${name}`),
    );
    // One shell per namespace: sysctls (IPv6 off before any interface exists, since the guard
    // chain is IPv4 only; forwarding on routers) and the firewall.
    for (const name of names) {
      const router = name === ns.routerA || name === ns.routerB;
      const sysctls = [
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
        ...(router || name === ns.inet ? ['net.ipv4.ip_forward=1'] : []),
      ];
      inNs(
        name,
        'sh',
        ['-c', `sysctl -qw ${sysctls.join(' ')} && iptables-restore`],
        firewall(router ? mode : undefined),
      );
    }
    // Veth pairs, each created inside a lab namespace with its peer end moved to another one.
    batch(ns.routerA, [veth('lan', 'eth0', ns.clientA), veth('wan', 'toA', ns.inet)]);
    batch(ns.routerB, [veth('lan', 'eth0', ns.clientB), veth('wan', 'toB', ns.inet)]);
    batch(ns.inet, [veth('toTurn', 'eth0', ns.turn)]);
    // Addresses and routes. The core router knows only its connected networks, so the private
    // LANs behind the NATs stay unreachable from outside.
    batch(ns.clientA, [
      ...up('lo', 'eth0'),
      `addr add ${LAB.clientA}/24 dev eth0`,
      'route add default via 100.64.1.1',
    ]);
    batch(ns.clientB, [
      ...up('lo', 'eth0'),
      `addr add ${LAB.clientB}/24 dev eth0`,
      'route add default via 100.64.2.1',
    ]);
    batch(ns.routerA, [
      ...up('lo', 'lan', 'wan'),
      'addr add 100.64.1.1/24 dev lan',
      `addr add ${LAB.routerAPublic}/28 dev wan`,
      'route add default via 198.51.100.1',
    ]);
    batch(ns.routerB, [
      ...up('lo', 'lan', 'wan'),
      'addr add 100.64.2.1/24 dev lan',
      `addr add ${LAB.routerBPublic}/28 dev wan`,
      'route add default via 198.51.100.17',
    ]);
    batch(ns.inet, [
      ...up('lo', 'toA', 'toB', 'toTurn'),
      'addr add 198.51.100.1/28 dev toA',
      'addr add 198.51.100.17/28 dev toB',
      'addr add 203.0.113.1/24 dev toTurn',
    ]);
    batch(ns.turn, [
      ...up('lo', 'eth0'),
      `addr add ${LAB.turnIp}/24 dev eth0`,
      `addr add ${LAB.turnAltIp}/24 dev eth0`,
      'route add default via 203.0.113.1',
    ]);
  } catch (error) {
    await lab.teardown();
    throw error;
  }
  lab.buildMs = Math.round(performance.now() - started);
  return lab;
}

/**
 * iptables-restore input: the guard chain everywhere; on a home router also stateful
 * forwarding (only replies come in) and source NAT on the way out.
 */
function firewall(nat: NatMode | undefined): string {
  const lines = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${nat ? 'DROP' : 'ACCEPT'} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ':LAB_GUARD - [0:0]',
    ...LAB_RANGES.map((range) => `-A LAB_GUARD -d ${range} -j RETURN`),
    '-A LAB_GUARD -j DROP',
    '-A OUTPUT -j LAB_GUARD',
    '-A FORWARD -j LAB_GUARD',
  ];
  if (nat) {
    lines.push(
      // Like a home router, drop unsolicited packets from the WAN to the router itself. Besides
      // realism this matters for hole punching: the dropped packet's conntrack entry is never
      // confirmed, so it cannot claim the NAT mapping the client's own packet needs a moment later.
      '-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
      '-A INPUT -i wan -j DROP',
      '-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
      '-A FORWARD -i lan -o wan -j ACCEPT',
    );
  }
  lines.push('COMMIT');
  if (nat) {
    lines.push(
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      // --random-fully gives every new destination its own random port: address- and
      // port-dependent mapping (symmetric NAT). Without it Linux keeps the source port when it
      // can, i.e. endpoint-independent mapping (a port-restricted cone).
      `-A POSTROUTING -o wan -j MASQUERADE${nat === 'symmetric' ? ' --random-fully' : ''}`,
      'COMMIT',
    );
  }
  return lines.join('\n') + '\n';
}

/** Deletes labs (namespaces, scratch dirs) whose creating process has died: a killed run. */
async function removeStaleLabs(): Promise<void> {
  const stale = (name: string) => {
    const match = new RegExp(`^${PREFIX}-(?:probe-)?(\\d+)-`).exec(name);
    return match !== null && !isAlive(Number(match[1]));
  };
  const namespaces = listNamespaces().filter(stale);
  if (namespaces.length > 0) await destroyNamespaces(namespaces);
  for (const entry of readdirSync(tmpdir()).filter(stale))
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
}

/** Kills every process in the namespaces (by PID), waits until they are gone, deletes them. */
async function destroyNamespaces(names: string[]): Promise<void> {
  const existing = new Set(listNamespaces());
  const ours = names.filter((name) => existing.has(name));
  const pidsOf = (name: string) =>
    ip('netns', 'pids', name)
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
  for (let round = 0; round < 200; round++) {
    const pids = ours.flatMap(pidsOf);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const name of ours) {
    try {
      ip('netns', 'del', name);
    } catch (error) {
      // Keep going: the other namespaces must still go. Reported, not swallowed.
      console.error(`could not delete network namespace ${name}: ${firstLine(error)}`);
    }
  }
}

function listNamespaces(): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith(`${PREFIX}-`));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function veth(name: string, peer: string, peerNamespace: string): string {
  return `link add ${name} type veth peer name ${peer} netns ${peerNamespace}`;
}

function up(...devices: string[]): string[] {
  return devices.map((device) => `link set dev ${device} up`);
}

/** Several `ip` commands in one process (`ip -batch`), in a namespace when one is given. */
function batch(namespace: string | undefined, commands: string[]): void {
  execFileSync('ip', [...(namespace ? ['-n', namespace] : []), '-batch', '-'], {
    input: commands.join('\n') + '\n',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inNs(namespace: string, command: string, args: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', namespace, command, ...args], {
    encoding: 'utf8',
    input: input ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr;
  return (stderr || (error as Error).message).split('\n')[0] ?? '';
}
