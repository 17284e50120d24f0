import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeServerMessage, type ServerMessage } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from './config.ts';
import { extractExampleScenarios, type ExampleStep } from './testing/markdown-examples.ts';
import { spawnServerProcess, type ServerProcess } from './testing/server-process.ts';
import { HttpRefusal, TestClient } from './testing/test-client.ts';

/**
 * docs/protocol.md is what a third-party client is written from, so its examples are run: every
 * frame marked `from=` is sent to a real server process and every frame marked `to=` must be
 * the next one that connection receives. IDs, tokens and TURN credentials are the server's
 * choice; the page's stand-ins are mapped to the real ones on first sight and must then stay
 * consistent (the same stand-in, the same value; two stand-ins, two values).
 */

const DOC = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url));
const page = readFileSync(DOC, 'utf8');
const scenarios = extractExampleScenarios(page);

/** The ICE servers the page's examples show. */
const EXAMPLE_SERVER_ENV = {
  STUN_URLS: 'stun:turn.example.org:3478',
  TURN_URLS: 'turn:turn.example.org:3478?transport=udp',
  TURN_SECRET: 'protocol-doc-example-turn-secret',
};

/** Values the server makes up: bound to the page's stand-ins. */
const SERVER_CHOSEN = new Set(['selfId', 'resumeToken', 'id', 'peerId', 'from']);
/** Values that change with the clock (TURN credentials carry their expiry): any non-empty text. */
const CLOCK_DEPENDENT = new Set(['username', 'credential']);
/** How long a connection may take to receive the next frame the page shows. */
const FRAME_WAIT_MS = 10_000;

const processes: ServerProcess[] = [];
afterEach(() => {
  for (const p of processes.splice(0)) p.kill();
});

async function startServer(env: Record<string, string>): Promise<string> {
  return (await startServerProcess(env)).url;
}

async function startServerProcess(env: Record<string, string>) {
  // Debug logs: a drop step waits for the server's "seat held" line.
  const server = spawnServerProcess({ env: { ...EXAMPLE_SERVER_ENV, LOG_LEVEL: 'debug', ...env } });
  processes.push(server);
  return { server, url: `http://127.0.0.1:${await server.port}` };
}

class Connection {
  readonly messages: ServerMessage[] = [];
  private read = 0;
  private wake: (() => void) | undefined;
  readonly closed: Promise<number>;
  /** The page's stand-in for this connection's participant, and the real ID. */
  self: { doc: string; real: string } | undefined;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const decoded = decodeServerMessage(data.toString());
      if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.message}`);
      // The heartbeat's app-level ping depends on the clock, not on the examples.
      if (decoded.message.type === 'ping') return;
      this.messages.push(decoded.message);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
    this.closed.then(() => this.wake?.());
  }

  async next(what: string): Promise<ServerMessage> {
    const timer = setTimeout(() => this.wake?.(), FRAME_WAIT_MS);
    const started = performance.now();
    try {
      while (this.read >= this.messages.length) {
        if (
          this.socket.readyState !== WebSocket.OPEN ||
          performance.now() - started >= FRAME_WAIT_MS
        )
          throw new Error(`${what}: nothing arrived`);
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      clearTimeout(timer);
    }
    return this.messages[this.read++]!;
  }

  /** A ping round trip: once its pong is back, anything sent before it has arrived. */
  async expectNothingMore(what: string): Promise<void> {
    const t = Math.random();
    this.socket.send(JSON.stringify({ type: 'ping', t }));
    const reply = await this.next(what);
    expect(reply, `${what}: an unexpected frame arrived`).toEqual({ type: 'pong', t });
  }
}

class Bindings {
  private readonly real = new Map<string, string>();
  private readonly doc = new Map<string, string>();

  bind(docValue: string, realValue: string, where: string): void {
    const known = this.real.get(docValue);
    if (known !== undefined) {
      expect(realValue, `${where}: "${docValue}" stands for ${known} earlier`).toBe(known);
      return;
    }
    const other = this.doc.get(realValue);
    expect(other, `${where}: "${docValue}" and "${other}" would be the same value`).toBeUndefined();
    this.real.set(docValue, realValue);
    this.doc.set(realValue, docValue);
  }

  resolve(value: unknown): unknown {
    if (typeof value === 'string') return this.real.get(value) ?? value;
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
    return value;
  }
}

/**
 * Compares the page's frame with the real one. `receiver` is the receiving participant, for
 * `polite`: the page says the side with the smaller ID is polite, for its own IDs and the real.
 */
function matchFrame(
  doc: unknown,
  real: unknown,
  where: string,
  bindings: Bindings,
  receiver: { doc: string; real: string } | undefined,
  key = '',
): void {
  if (SERVER_CHOSEN.has(key) && typeof doc === 'string') {
    expect(typeof real, where).toBe('string');
    return bindings.bind(doc, real as string, where);
  }
  if (CLOCK_DEPENDENT.has(key)) {
    expect(real, where).toEqual(expect.stringMatching(/.+/));
    return;
  }
  if (Array.isArray(doc)) {
    expect(Array.isArray(real) && real.length, `${where}: length`).toBe(doc.length);
    doc.forEach((d, i) =>
      matchFrame(d, (real as unknown[])[i], `${where}[${i}]`, bindings, receiver),
    );
    return;
  }
  if (doc && typeof doc === 'object') {
    const d = doc as Record<string, unknown>;
    const r = real as Record<string, unknown>;
    expect(Object.keys(r ?? {}).sort(), `${where}: fields`).toEqual(Object.keys(d).sort());
    for (const k of Object.keys(d)) {
      if (k === 'polite') continue;
      matchFrame(d[k], r[k], `${where}.${k}`, bindings, receiver, k);
    }
    if ('polite' in d) {
      if (!receiver) throw new Error(`${where}: polite shown before its receiver joined`);
      expect(d.polite, `${where}.polite on the page`).toBe(receiver.doc < (d.id as string));
      expect(r.polite, `${where}.polite`).toBe(receiver.real < (r.id as string));
    }
    return;
  }
  expect(real, where).toEqual(doc);
}

async function runScenario(
  steps: ExampleStep[],
  { server, url }: { server: ServerProcess; url: string },
): Promise<void> {
  const bindings = new Bindings();
  const connections = new Map<string, Connection>();
  const connect = async (actor: string) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, {
      origin: url,
      perMessageDeflate: false,
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const connection = new Connection(socket);
    connections.set(actor, connection);
    return connection;
  };
  const existing = (actor: string, where: string) => {
    const connection = connections.get(actor);
    if (!connection) throw new Error(`${where}: "${actor}" has not sent anything yet`);
    return connection;
  };

  for (const step of steps) {
    const where = `docs/protocol.md:${step.line} (${step.actor})`;
    switch (step.kind) {
      case 'send': {
        const connection = connections.get(step.actor) ?? (await connect(step.actor));
        connection.socket.send(JSON.stringify(bindings.resolve(step.frame)));
        break;
      }
      case 'receive': {
        const connection = existing(step.actor, where);
        const real = await connection.next(where);
        const doc = step.frame as Record<string, unknown>;
        if (doc.type === 'joined' && real.type === 'joined' && typeof doc.selfId === 'string')
          connection.self = { doc: doc.selfId, real: real.selfId };
        matchFrame(doc, real, where, bindings, connection.self);
        break;
      }
      case 'drop': {
        const connection = existing(step.actor, where);
        connection.socket.terminate();
        // The page's next step may be a resume on a new socket. Under load that join could
        // reach the server before this close does, and would then rightly be a takeover:
        // not the story the page tells. So the step ends once the server holds the seat.
        const peerId = connection.self?.real;
        if (peerId)
          await server.waitForLog((line) => line.msg === 'seat held' && line.peerId === peerId);
        break;
      }
      case 'nothing-more':
        await existing(step.actor, where).expectNothingMore(where);
        break;
      case 'closed':
        expect(await existing(step.actor, where).closed, where).toBe(step.code);
        break;
    }
  }
  // What the page does not show did not happen: no reply to a leave, no stray announcement.
  for (const [actor, connection] of connections) {
    if (connection.socket.readyState === WebSocket.OPEN)
      await connection.expectNothingMore(`end of the example (${actor})`);
    connection.socket.terminate();
  }
}

describe('docs/protocol.md', () => {
  it('has checked examples for every message and payload type', () => {
    const frames = scenarios.flatMap((s) => s.steps).filter((s) => 'frame' in s);
    const types = new Set(
      frames.map((s) => {
        const f = s.frame as { type: string; payload?: { type: string } };
        return `${s.kind === 'send' ? 'client' : 'server'} ${f.type}${f.payload ? ` ${f.payload.type}` : ''}`;
      }),
    );
    for (const payload of ['offer', 'answer', 'candidate', 'renegotiate', 'transceiverRequest']) {
      expect(types).toContain(`client signal ${payload}`);
      expect(types).toContain(`server signal ${payload}`);
    }
    for (const type of ['join', 'leave', 'ping', 'refresh-ice-servers'])
      expect(types).toContain(`client ${type}`);
    for (const type of ['joined', 'peer-joined', 'peer-left', 'pong', 'error', 'ice-servers'])
      expect(types).toContain(`server ${type}`);
  });

  for (const scenario of scenarios) {
    it(`example "${scenario.title}" (line ${scenario.line}) runs as shown against a real server`, async () => {
      await runScenario(scenario.steps, await startServerProcess(scenario.env));
    });
  }

  it('states the server defaults it names (limits, grace, heartbeat) as the configuration has them', () => {
    const c = loadConfig({});
    const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
    const stated: Array<[setting: string, text: string]> = [
      ['HEARTBEAT_INTERVAL_MS', `Every ${c.heartbeatIntervalMs / 1000} s`],
      ['RESUME_GRACE_MS', `${c.resumeGraceMs / 1000} s by default`],
      ['MESSAGE_BURST', `burst ${c.messageBurst}, then ${c.messagesPerSecond}/s`],
      ['JOIN_BURST_PER_IP', `burst ${c.joinBurstPerIp}, then ${c.joinsPerSecondPerIp}/s`],
      ['MAX_CONNECTIONS_PER_IP', `${c.maxConnectionsPerIp}`],
      ['ROOM_CAPACITY', `${c.roomCapacity} (`],
      ['MAX_BUFFERED_BYTES', mib(c.maxBufferedBytes)],
    ];
    const lines = page.split('\n');
    for (const [setting, text] of stated) {
      const mentions = lines.filter((l) => l.includes(`\`${setting}\``));
      expect(mentions, setting).not.toEqual([]);
      expect(
        mentions.some((l) => l.includes(text)),
        `${setting}: "${text}" in ${mentions.join(' / ')}`,
      ).toBe(true);
    }
  });

  it('Origin: missing or foreign gets 403 before the handshake; a loopback origin is accepted', async () => {
    const url = await startServer({});
    const refusal = async (origin: string | undefined) => {
      const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, {
        ...(origin === undefined ? {} : { origin }),
      });
      return new Promise<number>((resolve, reject) => {
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => reject(new Error(`Origin ${origin} was accepted`)));
      });
    };
    expect(await refusal(undefined)).toBe(403);
    expect(await refusal('https://elsewhere.example')).toBe(403);
    const own = await TestClient.connect(url).catch((e: unknown) => e);
    expect(own).not.toBeInstanceOf(HttpRefusal);
    (own as TestClient).socket.terminate();
  });
});
