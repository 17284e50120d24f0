import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  expect,
  test as base,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from '@playwright/test';
import { joinFrom } from './support/join.ts';

/** The production build of Parley (signalling + web app on one port), as `npm start` runs it. */
export class ParleyProcess {
  private process: ChildProcess | undefined;
  port = 0;

  /**
   * `commandPrefix` runs the server through another command, e.g. `ip netns exec NS` to put it
   * in a network namespace (that command must exec in place, so stop() signals the server).
   */
  constructor(
    private readonly env: Record<string, string> = {},
    private readonly commandPrefix: string[] = [],
  ) {}

  get url(): string {
    return `http://${this.env.HOST ?? '127.0.0.1'}:${this.port}`;
  }

  /** Starts the server; on restart it reuses the same port so open pages can reconnect. */
  async start(): Promise<void> {
    const entry = fileURLToPath(new URL('../apps/signaling/dist/main.js', import.meta.url));
    const [command, ...args] = [...this.commandPrefix, process.execPath, entry];
    const child = spawn(command!, args, {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(this.port),
        LOG_LEVEL: 'info',
        SIGNALING_SECRET: 'e2e-secret-at-least-24-characters',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.process = child;
    this.port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        // PARLEY_E2E_SERVER_LOGS=1 shows the server's log lines, for debugging a failing test.
        if (process.env.PARLEY_E2E_SERVER_LOGS === '1') console.log(`[server] ${line}`);
        try {
          const entry = JSON.parse(line) as { port?: number; msg?: string };
          if (entry.port && entry.msg?.startsWith('Parley listening')) resolve(entry.port);
        } catch {
          // not a log line
        }
      });
      child.once('exit', (code) => reject(new Error(`Parley exited early with code ${code}`)));
    });
  }

  /** Signals the server and waits for it to exit; resolves to the milliseconds that took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const signalledAt = performance.now();
    child.kill(signal);
    await exited;
    return performance.now() - signalledAt;
  }
}

export interface Participant {
  page: Page;
  name: string;
}

type JoinAs = (
  roomUrl: string,
  name: string,
  browser?: Browser,
  setup?: (context: BrowserContext) => Promise<void>,
) => Promise<Participant>;

export const test = base.extend<{ joinAs: JoinAs }, { parley: ParleyProcess }>({
  parley: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      const server = new ParleyProcess();
      await server.start();
      await use(server);
      await server.stop();
    },
    { scope: 'worker' },
  ],
  // Every participant's context is closed when the test ends: live pages keep encoding video,
  // and leftovers from earlier tests would starve later ones of CPU.
  joinAs: async ({ browser }, use) => {
    const opened: BrowserContext[] = [];
    await use((roomUrl, name, other, setup) =>
      joinFrom(other ?? browser, roomUrl, name, opened, { setup }),
    );
    await Promise.all(opened.map((context) => context.close().catch(() => undefined)));
  },
});

export { expect };

/** A participant's tile as seen on `page` (exact name, so "Bob" never matches "Bob (you)"). */
export function tile(page: Page, name: string): Locator {
  return page.getByRole('group', { name, exact: true });
}

/**
 * Video really plays in `tileLocator`: the element has decoded dimensions, its clock advances,
 * its own decoded-frame count (getVideoPlaybackQuality) rises, and, on participant tiles, so does
 * the receiver's framesDecoded from getStats (exposed as data-frames-decoded).
 */
export async function expectVideoPlaying(tileLocator: Locator): Promise<void> {
  const video = tileLocator.locator('video');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  const clock = () => video.evaluate((v: HTMLVideoElement) => v.currentTime);
  const shown = () =>
    video.evaluate((v: HTMLVideoElement) => v.getVideoPlaybackQuality().totalVideoFrames);
  const [startTime, startShown] = [await clock(), await shown()];
  await expect.poll(clock).toBeGreaterThan(startTime);
  await expect.poll(shown).toBeGreaterThan(startShown);
  if ((await tileLocator.getAttribute('data-connection')) === null) return; // not a participant tile
  const decoded = async () => Number((await tileLocator.getAttribute('data-frames-decoded')) ?? 0);
  const startDecoded = await decoded();
  await expect.poll(decoded).toBeGreaterThan(startDecoded);
}

/** Audio RTP packets from that participant keep arriving. */
export async function expectAudioFlowing(tileLocator: Locator): Promise<void> {
  const packets = async () => Number((await tileLocator.getAttribute('data-audio-packets')) ?? 0);
  const start = await packets();
  await expect.poll(packets).toBeGreaterThan(start);
}

/** Milliseconds from clicking "Join call" to the first remote video frame, from the app's marks. */
export async function joinToFirstFrameMs(page: Page): Promise<number> {
  return page.evaluate(() => {
    const at = (name: string) =>
      performance.getEntriesByName(`parley:${name}`)[0]?.startTime ?? NaN;
    return Math.round(at('first-remote-frame') - at('join-clicked'));
  });
}

/**
 * Network faults need root inside the test's own network namespace, which scripts/run-e2e.sh
 * provides (and signals with PARLEY_E2E_NETNS=1): there a fault on `lo` reaches nothing else.
 */
export const isolatedNetwork = process.env.PARLEY_E2E_NETNS === '1';
export const NOT_ISOLATED =
  'needs root in its own network namespace (run it through scripts/run-e2e.sh as root)';

/** A fault on the namespace's loopback. `lift()` is idempotent: call it again in `finally`. */
export interface NetworkFault {
  lift(): void;
}

/** Drops every loopback packet (iptables), taking media and signalling down together. */
export function dropAllLoopback(): NetworkFault {
  const rule = ['INPUT', '-i', 'lo', '-j', 'DROP'];
  execFileSync('iptables', ['-A', ...rule], { stdio: 'pipe' });
  let lifted = false;
  return {
    lift() {
      if (lifted) return;
      lifted = true;
      execFileSync('iptables', ['-D', ...rule], { stdio: 'pipe' });
    },
  };
}

/**
 * `tc netem` on lo, e.g. `['loss', '5%', 'delay', '100ms']`. Every packet crosses lo's egress
 * once, so the delay is one-way (a round trip gains twice that).
 */
export function netemOnLoopback(args: string[]): NetworkFault {
  execFileSync('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', ...args], { stdio: 'pipe' });
  let lifted = false;
  return {
    lift() {
      if (lifted) return;
      lifted = true;
      execFileSync('tc', ['qdisc', 'del', 'dev', 'lo', 'root'], { stdio: 'pipe' });
    },
  };
}

/** Why `netemOnLoopback` cannot work here (not isolated, no tc, no sch_netem), or undefined. */
export function netemUnavailable(): string | undefined {
  if (!isolatedNetwork) return NOT_ISOLATED;
  try {
    netemOnLoopback(['delay', '0ms']).lift();
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? error).trim();
    return `tc netem is unavailable here (${stderr}); the kernel needs sch_netem (CONFIG_NET_SCH_NETEM)`;
  }
}
