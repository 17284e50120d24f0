import type { IceServer } from '@parley/protocol';
import { TypedEmitter } from './typed-emitter.ts';

/** What the source needs of the signalling client. */
export interface IceServerChannel {
  /** Sends `refresh-ice-servers`; false when signalling is down. */
  requestIceServers(): boolean;
  on(event: 'ice-servers', listener: (servers: IceServer[]) => void): () => void;
}

/** How long to wait for the server's answer before going on with the credentials we have. */
export const REFRESH_TIMEOUT_MS = 3000;
/** Refresh when this fraction of a credential's lifetime has passed. */
const REFRESH_AT_FRACTION = 0.5;
/** Shortest interval between proactive refreshes, whatever the TTL says. */
const MIN_REFRESH_MS = 30_000;

/**
 * The ICE servers of this participant, with TURN credentials kept fresh. coturn checks a
 * credential only when an allocation is made, so a running call outlives its credential, but an
 * ICE restart after expiry would fail: `fresh()` asks the server for new ones before a restart,
 * and a timer renews them halfway through their lifetime so that the side which did not start
 * the restart also has valid ones.
 */
export class IceServerSource extends TypedEmitter<{ changed: [servers: RTCIceServer[]] }> {
  private servers: RTCIceServer[] = [];
  private waiting: Array<(servers: RTCIceServer[]) => void> = [];
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly off: () => void;

  constructor(
    private readonly channel: IceServerChannel,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.off = channel.on('ice-servers', (servers) => this.set(servers));
  }

  get current(): RTCIceServer[] {
    return this.servers;
  }

  /** New servers from the server (at join or on refresh). */
  set(servers: IceServer[]): void {
    this.servers = servers.map(toRtcIceServer);
    for (const resolve of this.waiting.splice(0)) resolve(this.servers);
    this.scheduleRenewal();
    this.emit('changed', this.servers);
  }

  /** Fresh servers for an ICE restart; the current ones if the server cannot answer in time. */
  fresh(): Promise<RTCIceServer[]> {
    if (!this.servers.some((s) => s.username !== undefined)) return Promise.resolve(this.servers);
    if (!this.channel.requestIceServers()) return Promise.resolve(this.servers);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve(this.servers);
      }, REFRESH_TIMEOUT_MS);
      const done = (servers: RTCIceServer[]) => {
        clearTimeout(timer);
        resolve(servers);
      };
      this.waiting.push(done);
    });
  }

  dispose(): void {
    clearTimeout(this.renewTimer);
    this.off();
    for (const resolve of this.waiting.splice(0)) resolve(this.servers);
    this.removeAllListeners();
  }

  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    const delay = renewalDelayMs(this.servers, this.now());
    if (delay === undefined) return;
    this.renewTimer = setTimeout(() => {
      // If signalling is down now, the reconnect's `joined` brings new credentials anyway.
      this.channel.requestIceServers();
    }, delay);
  }
}

/**
 * When to renew, from the earliest expiry in TURN REST usernames (`<expiry seconds>:<user>`);
 * undefined when no credential carries an expiry.
 */
export function renewalDelayMs(servers: RTCIceServer[], nowMs: number): number | undefined {
  const expiries = servers
    .map((s) => /^(\d+):/.exec(s.username ?? '')?.[1])
    .filter((e): e is string => e !== undefined)
    .map((e) => Number(e) * 1000);
  if (expiries.length === 0) return undefined;
  const remaining = Math.min(...expiries) - nowMs;
  return Math.max(MIN_REFRESH_MS, remaining * REFRESH_AT_FRACTION);
}

function toRtcIceServer(server: IceServer): RTCIceServer {
  const result: RTCIceServer = { urls: server.urls };
  if (server.username !== undefined) result.username = server.username;
  if (server.credential !== undefined) result.credential = server.credential;
  return result;
}
