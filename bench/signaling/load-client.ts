import type { JoinMessage, ServerMessage } from '@parley/protocol';
import { LoadSocket } from '../lib/load-socket.ts';
import { joinFrame } from '../lib/parley-client.ts';
import { announceReady, serveRpc } from './rpc.ts';
import { pace } from './pace.ts';
import {
  frameTemplate,
  isRelayedSignal,
  msSinceStamp,
  stampNow,
  type FrameTemplate,
  type ServerKind,
} from './wire.ts';

/**
 * A load-generating client process. The bench runs two of them, driven over IPC by the parent.
 * Sockets come in named groups, one per server under test, so that the servers can be measured
 * in short alternating windows on the same warm connections: on a busy machine, what disturbs
 * one server's window then disturbs the others' alike. Only one group is driven at a time.
 */

type Mode = 'idle' | 'loop' | 'paced' | 'ladder';

type Group = {
  name: string;
  kind: ServerKind;
  conns: Conn[];
  mode: Mode;
  relayReceived: number;
  relaySent: number;
  errors: Map<string, number>;
  recording: boolean;
  latencies: number[];
  heartbeat: NodeJS.Timeout | undefined;
  ladder: Ladder;
};

type Ladder = {
  idle: Conn[];
  room: LadderRoom | undefined;
  rooms: number;
  prefix: string;
  roomSize: number;
  latencies: number[];
  completed: number;
  outstanding: number;
};

type LadderRoom = { id: string; members: Conn[]; joined: number };

type Conn = {
  group: Group;
  client: LoadSocket;
  index: number;
  selfId: string | undefined;
  partnerId: string | undefined;
  /** Parley: peers in the room as seen by this socket (joined.peers + peer-joined). */
  peersSeen: number;
  /** Closed-loop frame (its timestamp is not read) and the paced template; set by `ready`. */
  loopFrame: Buffer;
  template: FrameTemplate;
  /** Join ladder. */
  joinSentAt: bigint | undefined;
  room: LadderRoom | undefined;
  waiters: Array<() => boolean>;
};

type ConnectArgs = {
  group: string;
  kind: ServerKind;
  port: number;
  side: 'a' | 'b';
  count: number;
  runId: string;
  /** relay: pair i of side a with pair i of side b. idle: just connect. joined: rooms of `roomSize`. pool: join ladder. */
  purpose: 'relay' | 'idle' | 'joined' | 'pool';
  roomSize?: number;
};

const groups = new Map<string, Group>();

/** The forwarder routes by pairing, not by `to`; the field is there to keep frames alike. */
const BARE_PARTNER = 'bare-forwarder-partner';

function groupNamed(name: string): Group {
  const group = groups.get(name);
  if (!group) throw new Error(`no socket group ${name}`);
  return group;
}

function noteError(group: Group, code: string): void {
  group.errors.set(code, (group.errors.get(code) ?? 0) + 1);
}

function roomId(runId: string, n: number): string {
  return `bench${runId}r${n.toString().padStart(10, '0')}`;
}

function wsUrl(args: ConnectArgs, i: number): string {
  const base = `ws://127.0.0.1:${args.port}`;
  if (args.kind === 'parley') return `${base}/ws`;
  if (args.kind === 'peerjs') {
    const id = `${args.runId}-${args.side}-${i}`;
    return `${base}/peerjs?key=peerjs&id=${id}&token=t${i}`;
  }
  return args.purpose === 'relay' ? `${base}/?pair=${args.runId}-${i}` : `${base}/`;
}

function settle(conn: Conn): void {
  conn.waiters = conn.waiters.filter((done) => !done());
}

function until(conn: Conn, condition: () => boolean): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve) =>
    conn.waiters.push(() => {
      if (!condition()) return false;
      resolve();
      return true;
    }),
  );
}

/**
 * What a control frame can be: Parley's server messages, PeerJS's (only their type is read),
 * or, from the bare forwarder in the join ladder, the echo of our own join.
 */
type ControlFrame =
  | ServerMessage
  | { type: 'OPEN' | 'ERROR' | 'ID-TAKEN' | 'EXPIRE' | 'HEARTBEAT' | 'LEAVE' }
  | JoinMessage;

function onControl(conn: Conn, frame: ServerMessage): void {
  const group = conn.group;
  // LoadSocket types what it reads as Parley's; from the other servers it is their own frames.
  const message = frame as ControlFrame;
  switch (message.type) {
    // Parley
    case 'joined': {
      conn.selfId = message.selfId;
      const peers = message.peers;
      conn.peersSeen = peers.length;
      if (peers[0]) conn.partnerId = peers[0].id;
      if (group.mode === 'ladder') ladderJoined(conn);
      break;
    }
    case 'peer-joined':
      conn.peersSeen++;
      conn.partnerId ??= message.peer.id;
      break;
    case 'error':
      noteError(group, message.code);
      break;
    // PeerJS
    case 'OPEN':
      conn.selfId = 'open';
      break;
    case 'ERROR':
    case 'ID-TAKEN':
    case 'EXPIRE':
      noteError(group, `peerjs ${message.type}`);
      break;
    // the bare forwarder's echo in the join ladder
    case 'join':
      if (group.mode === 'ladder') ladderJoined(conn);
      break;
    default: // pings, pongs, peer-left, LEAVE: nothing to do
  }
  settle(conn);
}

function onRelayed(conn: Conn, data: Buffer): void {
  const group = conn.group;
  group.relayReceived++;
  if (group.recording) group.latencies.push(msSinceStamp(data));
  if (group.mode === 'loop') sendLoopFrame(conn);
}

function sendLoopFrame(conn: Conn): void {
  conn.client.sendRaw(conn.loopFrame);
  conn.group.relaySent++;
}

function sendStamped(conn: Conn): void {
  const t = conn.template;
  conn.client.sendRaw(t.head + stampNow() + t.tail);
  conn.group.relaySent++;
}

async function openOne(group: Group, args: ConnectArgs, i: number): Promise<Conn> {
  const conn: Conn = {
    group,
    client: new LoadSocket({
      url: wsUrl(args, i),
      origin: `http://127.0.0.1:${args.port}`,
      // Relayed signals are counted (and timed) from their bytes, never parsed.
      rawFrame: isRelayedSignal,
      onRawFrame: (data) => onRelayed(conn, data),
      onMessage: (message) => onControl(conn, message),
      onUnreadable: () => noteError(group, 'unparseable frame'),
      // Only a close this process did not ask for (closeAll's are not reported).
      onClosed: () => noteError(group, 'closed by server'),
    }),
    index: i,
    selfId: undefined,
    partnerId: undefined,
    peersSeen: 0,
    loopFrame: Buffer.alloc(0),
    template: { head: '', tail: '' },
    joinSentAt: undefined,
    room: undefined,
    waiters: [],
  };
  await conn.client.connect();
  return conn;
}

/** Opens and prepares `count` sockets, at most 64 handshakes at a time. */
async function connect(args: ConnectArgs): Promise<{ connected: number }> {
  const group: Group = {
    name: args.group,
    kind: args.kind,
    conns: [],
    mode: 'idle',
    relayReceived: 0,
    relaySent: 0,
    errors: new Map(),
    recording: false,
    latencies: [],
    heartbeat: undefined,
    ladder: {
      idle: [],
      room: undefined,
      rooms: 0,
      prefix: `${args.runId}${args.side}`,
      roomSize: args.roomSize ?? 4,
      latencies: [],
      completed: 0,
      outstanding: 0,
    },
  };
  groups.set(args.group, group);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < args.count) {
      const i = nextIndex++;
      const conn = await openOne(group, args, i);
      group.conns.push(conn);
      await prepare(args, conn);
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  group.conns.sort((x, y) => x.index - y.index);
  group.ladder.idle = [...group.conns];
  if (args.kind === 'peerjs') {
    // PeerJS clients send a heartbeat every 5 s; the server drops silent clients.
    group.heartbeat = setInterval(() => {
      for (const c of group.conns) c.client.sendRaw('{"type":"HEARTBEAT"}');
    }, 5000);
  }
  return { connected: group.conns.length };
}

async function prepare(args: ConnectArgs, conn: Conn): Promise<void> {
  const i = conn.index;
  if (args.kind === 'peerjs') {
    await until(conn, () => conn.selfId !== undefined);
    conn.partnerId = `${args.runId}-${args.side === 'a' ? 'b' : 'a'}-${i}`;
    return;
  }
  if (args.kind === 'bare') {
    conn.partnerId = BARE_PARTNER;
    return;
  }
  if (args.purpose === 'idle' || args.purpose === 'pool') return;
  const room =
    args.purpose === 'joined'
      ? roomId(`${args.runId}${args.side}`, Math.floor(i / (args.roomSize ?? 4)))
      : roomId(args.runId, i);
  conn.client.join({ roomId: room, displayName: `bench ${args.side}${i}` });
  await until(conn, () => conn.selfId !== undefined);
}

/**
 * Resolves once every socket of the group is set: with `roomSize`, once each has heard of all
 * its room's other members; otherwise once each knows its partner (Parley: side b's
 * peer-joined reached side a), and then builds the frames.
 */
async function ready(args: { group: string; side: 'a' | 'b'; roomSize?: number }): Promise<void> {
  const group = groupNamed(args.group);
  if (args.roomSize) {
    const others = args.roomSize - 1;
    await Promise.all(group.conns.map((c) => until(c, () => c.peersSeen >= others)));
    return;
  }
  await Promise.all(group.conns.map((c) => until(c, () => c.partnerId !== undefined)));
  for (const c of group.conns) {
    c.template = frameTemplate(group.kind, c.partnerId ?? '', args.side === 'b');
    c.loopFrame = Buffer.from(c.template.head + stampNow() + c.template.tail);
  }
}

function counts(args: { group: string }) {
  const group = groupNamed(args.group);
  return {
    relayReceived: group.relayReceived,
    relaySent: group.relaySent,
    t: Number(process.hrtime.bigint()) / 1e6,
    errors: Object.fromEntries(group.errors),
  };
}

/** Closed loop: each socket keeps `window` signals in flight to its partner. */
function startLoop(args: { group: string; window: number }) {
  const group = groupNamed(args.group);
  group.mode = 'loop';
  for (const c of group.conns) for (let k = 0; k < args.window; k++) sendLoopFrame(c);
  return counts(args);
}

function stop(args: { group: string }) {
  const group = groupNamed(args.group);
  group.mode = 'idle';
  group.recording = false;
  return counts(args);
}

/**
 * Open loop at a fixed rate: stamped signals round-robin over the group's sockets. Latency is
 * recorded by the receiving process (the other one) while its `record` is on.
 */
async function paced(args: { group: string; ratePerSecond: number; durationMs: number }) {
  const group = groupNamed(args.group);
  group.mode = 'paced';
  let k = 0;
  const sent = await pace(args.ratePerSecond, args.durationMs, () => {
    const conn = group.conns[k++ % group.conns.length];
    if (conn) sendStamped(conn);
  });
  group.mode = 'idle';
  return { sent };
}

function record(args: { group: string; on: boolean }) {
  const group = groupNamed(args.group);
  group.recording = args.on;
  if (args.on) group.latencies = [];
  return counts(args);
}

function takeLatencies(args: { group: string }): Float64Array {
  const group = groupNamed(args.group);
  const out = Float64Array.from(group.latencies);
  group.latencies = [];
  return out;
}

// --- join ladder -------------------------------------------------------------------------------

function ladderJoined(conn: Conn): void {
  if (conn.joinSentAt === undefined) return;
  const ladder = conn.group.ladder;
  ladder.latencies.push(Number(process.hrtime.bigint() - conn.joinSentAt) / 1e6);
  conn.joinSentAt = undefined;
  ladder.completed++;
  ladder.outstanding--;
  if (conn.group.kind !== 'parley') {
    ladder.idle.push(conn);
    return;
  }
  const room = conn.room;
  if (!room) return;
  room.joined++;
  if (room.joined < ladder.roomSize) return;
  // A full room dissolves right away, so a fixed pool of sockets can join again and again; the
  // server does the leave work (peer-left to the others) as part of the churn.
  for (const member of room.members) {
    member.client.leave();
    member.room = undefined;
    ladder.idle.push(member);
  }
}

function fireJoin(group: Group): boolean {
  const ladder = group.ladder;
  const conn = ladder.idle.shift();
  if (!conn) return false;
  ladder.outstanding++;
  if (group.kind !== 'parley') {
    // The bare forwarder echoes this join-sized frame back: a transport round trip.
    conn.joinSentAt = process.hrtime.bigint();
    conn.client.sendRaw(joinFrame(roomId(ladder.prefix, ladder.rooms++), `bench ${conn.index}`));
    return true;
  }
  if (!ladder.room || ladder.room.members.length === ladder.roomSize) {
    ladder.room = { id: roomId(ladder.prefix, ladder.rooms++), members: [], joined: 0 };
  }
  ladder.room.members.push(conn);
  conn.room = ladder.room;
  conn.joinSentAt = process.hrtime.bigint();
  conn.client.join({ roomId: ladder.room.id, displayName: `bench ${conn.index}` });
  return true;
}

/**
 * One step of the join ladder: join attempts at `ratePerSecond` for `durationMs`. An attempt
 * needs an idle socket from the pool; when none is free the server is not keeping up, and the
 * attempt counts as missed. Waits (up to 5 s) for outstanding joins before returning.
 */
async function joinStep(args: { group: string; ratePerSecond: number; durationMs: number }) {
  const group = groupNamed(args.group);
  const ladder = group.ladder;
  group.mode = 'ladder';
  ladder.latencies = [];
  ladder.completed = 0;
  let missed = 0;
  const attempts = await pace(args.ratePerSecond, args.durationMs, () => {
    if (!fireJoin(group)) missed++;
  });
  const deadline = performance.now() + 5000;
  while (ladder.outstanding > 0 && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  group.mode = 'idle';
  return {
    attempts,
    missed,
    completed: ladder.completed,
    outstanding: ladder.outstanding,
    latencies: Float64Array.from(ladder.latencies),
    errors: Object.fromEntries(group.errors),
  };
}

/** Closes every socket; the process stays, ready for another server (e.g. the memory bench). */
async function closeAll(): Promise<void> {
  const all = [...groups.values()];
  for (const group of all) if (group.heartbeat) clearInterval(group.heartbeat);
  await Promise.all(all.flatMap((group) => group.conns.map((c) => c.client.dispose())));
  groups.clear();
}

serveRpc({
  connect,
  ready,
  counts,
  startLoop,
  stop,
  paced,
  record,
  takeLatencies,
  joinStep,
  closeAll,
});
announceReady({ pid: process.pid });
