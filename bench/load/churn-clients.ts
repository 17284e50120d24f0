import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  createRoomId,
  type JoinedMessage,
  type ServerMessage,
  type SignalPayload,
} from '@parley/protocol';
import { LoadSocket, type LoadSocketState } from '../lib/load-socket.ts';

/**
 * One load-generating process of `npm run test:load`: a share of the rooms, every participant of
 * a room in this process (so a relay's latency is read on one clock). Driven over IPC by
 * load-test.ts: connect and join everyone → `ready`; `start` → signal and churn; `stop` → go
 * quiet, settle, and `report`.
 *
 * Each participant is its own socket from its own loopback address (127.a.b.c), so the
 * server's per-address limits (joins, and open connections: MAX_CONNECTIONS_PER_IP) apply
 * exactly as in production, with their default values; nothing needs raising.
 */

export type WorkerArgs = {
  port: number;
  worker: number;
  rooms: number;
  perRoom: number;
  /** Signals per second this process sends, spread over its joined participants. */
  signalsPerSecond: number;
  /** Mean time between two churns of one participant. */
  churnMeanMs: number;
  /** The server's RESUME_GRACE_MS: a resume later than this is rightly a new participant. */
  resumeGraceMs: number;
};

export type WorkerReport = {
  participants: number;
  connects: number;
  joins: number;
  resumes: number;
  leaves: number;
  drops: number;
  signalsSent: number;
  signalsDelivered: number;
  /** `unknown-peer`: the target left between our view and the server's. Expected during churn. */
  refusedTargetGone: number;
  /**
   * Sent to a peer that was away at the time: one that left (the server answers unknown-peer)
   * or one reconnecting to resume (its seat is held, its socket gone: dropped by design; the
   * peers renegotiate when it is back).
   */
  sentToAway: number;
  /** Relays that should have arrived (neither side churned since) and did not. Must be 0. */
  lost: number;
  /** Resumes that came back after the grace period (the machine was that slow): new participants. */
  resumesAfterGrace: number;
  /**
   * Connections the server ended, or attempts that failed, by how (e.g. "close 1006",
   * "HTTP 408"). The participant then reconnects with backoff and resumes, like the web client.
   * The server's log says why (heartbeat reaping, slow consumer, header timeout).
   */
  connectionFaults: Record<string, number>;
  /** Anything that should not happen: other error codes, resumes refused within the grace. */
  errors: Record<string, number>;
  /** This process's event-loop delay: when it is high, latency figures are the clients' own. */
  eventLoopDelayMs: { p99: number; max: number };
  latenciesMs: number[];
  /** Seconds into the churn at which each relay in `latenciesMs` was sent. */
  sentAtS: number[];
  /** From a churn to joined again, per churn. */
  awayMs: number[];
  /** CPU this client process used, user + system. */
  cpuSeconds: number;
};

type SignalFrame = Extract<ServerMessage, { type: 'signal' }>;

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const url = `ws://127.0.0.1:${args.port}/ws`;
const origin = `http://127.0.0.1:${args.port}`;

const report: WorkerReport = {
  participants: 0,
  connects: 0,
  joins: 0,
  resumes: 0,
  leaves: 0,
  drops: 0,
  signalsSent: 0,
  signalsDelivered: 0,
  refusedTargetGone: 0,
  sentToAway: 0,
  lost: 0,
  resumesAfterGrace: 0,
  connectionFaults: {},
  errors: {},
  eventLoopDelayMs: { p99: 0, max: 0 },
  latenciesMs: [],
  sentAtS: [],
  awayMs: [],
  cpuSeconds: 0,
};
const fault = (what: string) => (report.errors[what] = (report.errors[what] ?? 0) + 1);
const connectionFault = (how: string) =>
  (report.connectionFaults[how] = (report.connectionFaults[how] ?? 0) + 1);

type Outstanding = { sentAt: number; from: Participant; to: Participant; epochs: [number, number] };
/** Relays in flight, by sequence number (carried in the payload). */
const outstanding = new Map<number, Outstanding>();
let seq = 0;
let measuring = false;

class Participant {
  readonly client: LoadSocket;
  /** Bumped at every churn: relays across a churn may legitimately vanish. */
  epoch = 0;
  /** When the last churn or drop began; 0 while joined. */
  awaySince = 0;
  /** Candidates sent per target since our last offer to it (the server caps them at 64). */
  readonly candidates = new Map<string, number>();

  constructor(
    readonly room: { id: string; members: Participant[] },
    readonly address: string,
  ) {
    this.client = new LoadSocket({
      url,
      origin,
      localAddress: address,
      // Back again like the web client: its jittered exponential backoff, resuming if it can.
      reconnect: true,
      onMessage: (frame) => this.handle(frame),
      onUnreadable: () => fault('unparseable frame'),
      onRefused: (status) => connectionFault(`HTTP ${status}`),
      onClosed: (code, wasJoined) => {
        if (wasJoined) connectionFault(`close ${code}`);
        this.epoch++;
        this.awaySince ||= performance.now();
      },
    });
  }

  get state(): LoadSocketState {
    return this.client.state;
  }

  get selfId(): string | undefined {
    return this.client.selfId;
  }

  connect(resume: boolean): Promise<void> {
    // Unique, like real people: the server tells namesakes apart with a rename notice.
    return this.client.connect({
      roomId: this.room.id,
      displayName: `load ${this.address}`,
      resume,
    });
  }

  private joined(frame: JoinedMessage): void {
    const awayMs = performance.now() - this.awaySince;
    if (this.awaySince > 0) report.awayMs.push(awayMs);
    this.awaySince = 0;
    if (this.client.resumeSent && !frame.resumed) {
      if (awayMs > args.resumeGraceMs) report.resumesAfterGrace++;
      else fault('resume refused within the grace period');
    }
    if (frame.resumed) report.resumes++;
    else report.joins++;
    this.candidates.clear();
  }

  private handle(frame: ServerMessage): void {
    switch (frame.type) {
      case 'joined':
        return this.joined(frame);
      case 'peer-joined':
        return;
      case 'peer-left':
        this.candidates.delete(frame.peerId);
        return;
      case 'signal':
        return received(frame);
      case 'pong':
      case 'ping': // the server's heartbeat
        return;
      case 'peer-updated':
        // A takeover: a resume reached the server before the old socket's close did. Legitimate
        // (the web client does the same), but counted: names are unique, so nothing else is.
        if (frame.takeover) connectionFault('resume took over a seat still live');
        else fault('unexpected rename');
        return;
      case 'error':
        if (frame.code === 'unknown-peer') report.refusedTargetGone++;
        else if (this.state === 'connecting') {
          // A join refused (e.g. room-full while a churned seat is still held): try again
          // later, as a browser would after a reload.
          connectionFault(`join refused: ${frame.code}`);
          this.client.socket?.close();
        } else fault(`error ${frame.code}`);
        return;
      default:
        fault(`unexpected ${frame.type}`);
    }
  }

  /** Resolves once the server has handled everything this participant sent before (or it closed). */
  sync(): Promise<void> {
    return this.client.sync();
  }

  /** Sends one signal to a random peer it knows; the payload carries the sequence number. */
  signal(): void {
    const peers = this.client.peers;
    if (this.state !== 'joined' || peers.size === 0) return;
    const to = randomOf([...peers.keys()]);
    const target = this.room.members.find((m) => m.selfId === to);
    const n = seq++;
    const count = this.candidates.get(to) ?? 0;
    // Like a browser: an offer (a few KB), then trickled candidates, a fresh offer before the cap.
    const payload: SignalPayload =
      count >= 20 || Math.random() < 0.1
        ? { type: 'offer', sdp: `v=0\r\no=- ${n} 2 IN IP4 127.0.0.1\r\n${SDP_BODY}` }
        : {
            type: 'candidate',
            candidate: {
              candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${40000 + (n % 20000)} typ host`,
              sdpMid: '0',
              sdpMLineIndex: 0,
            },
          };
    this.candidates.set(to, payload.type === 'offer' ? 0 : count + 1);
    this.client.signal(to, payload);
    report.signalsSent++;
    if (!target || target.state !== 'joined' || target.selfId !== to) {
      report.sentToAway++;
      return;
    }
    outstanding.set(n, {
      sentAt: performance.now(),
      from: this,
      to: target,
      epochs: [this.epoch, target.epoch],
    });
  }

  /**
   * Churn, half and half: say goodbye and come back as a new participant, or lose the socket
   * abruptly and resume as the same one. Either way after a short random pause.
   */
  churn(): void {
    if (this.state !== 'joined') return;
    this.epoch++;
    this.awaySince = performance.now();
    const resume = Math.random() < 0.5;
    if (resume) {
      report.drops++;
      this.client.drop();
    } else {
      report.leaves++;
      this.client.leaveAndClose();
    }
    setTimeout(() => void this.connect(resume), Math.random() * 1000);
  }

  close(): Promise<void> {
    return this.client.dispose();
  }
}

/** A realistic offer body: ~3 KB, like a browser's audio + video + data SDP. */
const SDP_BODY = `s=-\r\nt=0 0\r\n${'a=candidate-free attribute line for size\r\n'.repeat(70)}`;

function received(frame: SignalFrame): void {
  const payload = frame.payload;
  const text =
    payload.type === 'offer'
      ? payload.sdp
      : payload.type === 'candidate'
        ? payload.candidate.candidate
        : undefined;
  const match = /^(?:v=0\r\no=- |candidate:)(\d+)/.exec(text ?? '');
  const n = Number(match?.[1]);
  const entry = outstanding.get(n);
  report.signalsDelivered++;
  if (!entry) return;
  outstanding.delete(n);
  if (!measuring) return;
  report.latenciesMs.push(performance.now() - entry.sentAt);
  report.sentAtS.push(Math.floor((entry.sentAt - startedAt) / 1000));
}

const rooms = Array.from({ length: args.rooms }, () => ({
  id: createRoomId(),
  members: [] as Participant[],
}));
const participants: Participant[] = [];
for (const [r, room] of rooms.entries()) {
  for (let m = 0; m < args.perRoom; m++) {
    const index = r * args.perRoom + m;
    // 127.<worker+1>.<index / 250>.<index % 250 + 1>: one address per participant.
    const address = `127.${args.worker + 1}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
    const p = new Participant(room, address);
    room.members.push(p);
    participants.push(p);
  }
}
report.participants = participants.length;

async function connectAll(): Promise<void> {
  // In batches, so the listen backlog is never the thing under test.
  for (let i = 0; i < participants.length; i += 100)
    await Promise.all(participants.slice(i, i + 100).map((p) => p.connect(false)));
}

let ticker: NodeJS.Timeout | undefined;
const TICK_MS = 20;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });

let startedAt = 0;

function start(): void {
  measuring = true;
  startedAt = performance.now();
  loopDelay.enable();
  const signalsPerTick = (args.signalsPerSecond * TICK_MS) / 1000;
  const churnChance = TICK_MS / args.churnMeanMs; // per participant per tick
  let carry = 0;
  ticker = setInterval(() => {
    carry += signalsPerTick;
    for (; carry >= 1; carry--) randomOf(participants).signal();
    const churns = binomial(participants.length, churnChance);
    for (let i = 0; i < churns; i++) randomOf(participants).churn();
  }, TICK_MS);
}

function summarise(states: string): string {
  const counts: Record<string, number> = {};
  for (const s of states.split(',')) counts[s] = (counts[s] ?? 0) + 1;
  return JSON.stringify(counts);
}

function randomOf<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('nothing to pick from');
  return item;
}

/** A cheap binomial draw (Poisson approximation; n·p is small). */
function binomial(n: number, p: number): number {
  const lambda = n * p;
  let k = 0;
  for (let sum = -Math.log(Math.random()); sum < lambda; sum -= Math.log(Math.random())) k++;
  return k;
}

async function stop(): Promise<void> {
  clearInterval(ticker);
  for (const p of participants) p.client.reconnect = false;
  // Let every pending reconnect finish (they wait at most 1 s), then settle twice: after the
  // first round the server has handled every frame; after the second every relay has arrived.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const settled = (async () => {
    await Promise.all(participants.map((p) => p.client.connecting));
    await Promise.all(participants.map((p) => p.sync()));
    await Promise.all(participants.map((p) => p.sync()));
    return true;
  })();
  // A participant that never settles is a finding, not a reason to hang the run.
  const watchdog = new Promise<false>((resolve) => setTimeout(() => resolve(false), 60_000));
  if (!(await Promise.race([settled, watchdog]))) {
    const states = participants.map((p) => p.state).join(',');
    fault(`did not settle within 60 s after stop (states: ${summarise(states)})`);
  }
  measuring = false;
  for (const o of outstanding.values()) {
    if (o.from.epoch === o.epochs[0] && o.to.epoch === o.epochs[1]) report.lost++;
  }
  await Promise.all(participants.map((p) => p.close()));
  report.connects = participants.reduce((n, p) => n + p.client.connects, 0);
  const cpu = process.cpuUsage();
  report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  loopDelay.disable();
  report.eventLoopDelayMs = {
    p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
    max: Math.round(loopDelay.max / 1e5) / 10,
  };
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'start') start();
  if (message.type === 'stop') {
    void stop().then(() => {
      process.send?.({ type: 'report', report }, () => process.exit(0));
    });
  }
});

await connectAll();
process.send?.({ type: 'ready', participants: participants.length });
