import { PROTOCOL_VERSION } from '@parley/protocol';
import WebSocket from 'ws';
import { announceReady, serveRpc } from './rpc.ts';
import {
  frameTemplate,
  isRelayedSignal,
  msSinceStamp,
  stampNow,
  type FrameTemplate,
  type ServerKind,
} from './wire.ts';

/**
 * A load-generating client process. The bench runs two of them; each holds one side of every
 * socket pair (or half of the idle connections), driven over IPC by the parent.
 */

type Conn = {
  ws: WebSocket;
  index: number;
  selfId?: string;
  partnerId?: string;
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

type LadderRoom = { id: string; members: Conn[]; joined: number };

type ConnectArgs = {
  kind: ServerKind;
  port: number;
  side: 'a' | 'b';
  count: number;
  runId: string;
  /** relay: pair i of side a with pair i of side b. idle: just connect. joined: rooms of `roomSize`. */
  purpose: 'relay' | 'idle' | 'joined' | 'pool';
  roomSize?: number;
};

const conns: Conn[] = [];
let kind: ServerKind = 'parley';
let mode: 'idle' | 'loop' | 'paced' | 'ladder' = 'idle';
let relayReceived = 0;
let relaySent = 0;
const errors = new Map<string, number>();
let recording = false;
let latencies: number[] = [];
let heartbeat: NodeJS.Timeout | undefined;

const BARE_PARTNER = 'bare-forwarder-partner'; // the forwarder routes by pairing, not by `to`

function noteError(code: string): void {
  errors.set(code, (errors.get(code) ?? 0) + 1);
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

function onControl(conn: Conn, text: string): void {
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return noteError('unparseable frame');
  }
  switch (message.type) {
    // Parley
    case 'joined': {
      conn.selfId = message.selfId as string;
      const peers = message.peers as Array<{ id: string }>;
      conn.peersSeen = peers.length;
      if (peers[0]) conn.partnerId = peers[0].id;
      if (mode === 'ladder') ladderJoined(conn);
      break;
    }
    case 'peer-joined':
      conn.peersSeen++;
      conn.partnerId ??= (message.peer as { id: string }).id;
      break;
    case 'error':
      noteError(`${String(message.code)}`);
      break;
    // PeerJS
    case 'OPEN':
      conn.selfId = 'open';
      break;
    case 'ERROR':
    case 'ID-TAKEN':
    case 'EXPIRE':
      noteError(`peerjs ${String(message.type)}`);
      break;
    // the bare forwarder's echo in the join ladder
    case 'join':
      if (mode === 'ladder') ladderJoined(conn);
      break;
    default: // pings, pongs, peer-left, LEAVE: nothing to do
  }
  settle(conn);
}

function onFrame(conn: Conn, data: Buffer): void {
  if (!isRelayedSignal(data)) return onControl(conn, data.toString());
  relayReceived++;
  if (recording) latencies.push(msSinceStamp(data));
  if (mode === 'loop') sendLoopFrame(conn);
}

function sendLoopFrame(conn: Conn): void {
  conn.ws.send(conn.loopFrame, { binary: false });
  relaySent++;
}

function sendStamped(conn: Conn): void {
  const t = conn.template;
  conn.ws.send(t.head + stampNow() + t.tail);
  relaySent++;
}

function openOne(args: ConnectArgs, i: number): Promise<Conn> {
  const ws = new WebSocket(wsUrl(args, i), {
    perMessageDeflate: false,
    origin: `http://127.0.0.1:${args.port}`,
  });
  const conn: Conn = {
    ws,
    index: i,
    peersSeen: 0,
    waiters: [],
    loopFrame: Buffer.alloc(0),
    template: { head: '', tail: '' },
    joinSentAt: undefined,
    room: undefined,
  };
  ws.on('message', (data: Buffer) => onFrame(conn, data));
  ws.on('close', () => {
    if (!shuttingDown) noteError('closed by server');
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(conn));
    ws.once('error', reject);
  });
}

let shuttingDown = false;

/** Opens and prepares `count` sockets, at most `parallel` handshakes at a time. */
async function connect(args: ConnectArgs): Promise<{ connected: number }> {
  kind = args.kind;
  const parallel = 64;
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < args.count) {
      const i = nextIndex++;
      const conn = await openOne(args, i);
      conns.push(conn);
      await prepare(args, conn);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  conns.sort((x, y) => x.index - y.index);
  if (args.kind === 'peerjs' && !heartbeat) {
    // PeerJS clients send a heartbeat every 5 s; the server drops silent clients.
    heartbeat = setInterval(() => {
      for (const c of conns) c.ws.send('{"type":"HEARTBEAT"}');
    }, 5000);
  }
  return { connected: conns.length };
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
  conn.ws.send(
    JSON.stringify({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId: room,
      displayName: `bench ${args.side}${i}`,
    }),
  );
  await until(conn, () => conn.selfId !== undefined);
}

/** Resolves once every socket knows its partner (Parley: the peer-joined of side b arrived). */
async function ready(args: { side: 'a' | 'b'; roomSize?: number }): Promise<void> {
  if (args.roomSize) {
    const others = args.roomSize - 1;
    await Promise.all(conns.map((c) => until(c, () => c.peersSeen >= others)));
    return;
  }
  await Promise.all(conns.map((c) => until(c, () => c.partnerId !== undefined)));
  for (const c of conns) {
    c.template = frameTemplate(kind, c.partnerId ?? '', args.side === 'b');
    c.loopFrame = Buffer.from(c.template.head + stampNow() + c.template.tail);
  }
}

function counts() {
  return {
    relayReceived,
    relaySent,
    t: Number(process.hrtime.bigint()) / 1e6,
    errors: Object.fromEntries(errors),
  };
}

/** Closed loop: each socket keeps `window` signals in flight to its partner. */
function startLoop(args: { window: number }) {
  mode = 'loop';
  for (const c of conns) for (let k = 0; k < args.window; k++) sendLoopFrame(c);
  return counts();
}

function stop() {
  mode = 'idle';
  recording = false;
  return counts();
}

/** Calls `fire` at `ratePerSecond`, catching up every millisecond tick, for `durationMs`. */
function pace(ratePerSecond: number, durationMs: number, fire: () => void): Promise<number> {
  const start = performance.now();
  const total = Math.floor((durationMs * ratePerSecond) / 1000);
  let issued = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed * ratePerSecond) / 1000));
      while (issued < due) {
        fire();
        issued++;
      }
      if (issued >= total) {
        clearInterval(timer);
        resolve(issued);
      }
    }, 1);
  });
}

/**
 * Open loop at a fixed rate: stamped signals round-robin over the sockets. Latency is recorded
 * by the receiving process (the other one) once `record` is called there.
 */
async function paced(args: { ratePerSecond: number; durationMs: number }) {
  mode = 'paced';
  let k = 0;
  const sent = await pace(args.ratePerSecond, args.durationMs, () => {
    const conn = conns[k++ % conns.length];
    if (conn) sendStamped(conn);
  });
  mode = 'idle';
  return { sent };
}

function record(args: { on: boolean }) {
  recording = args.on;
  if (args.on) latencies = [];
  return counts();
}

function takeLatencies(): Float64Array {
  const out = Float64Array.from(latencies);
  latencies = [];
  return out;
}

// --- join ladder -------------------------------------------------------------------------------

let ladderIdle: Conn[] = [];
let ladderRoom: LadderRoom | undefined;
let ladderRooms = 0;
let ladderPrefix = '';
let ladderRoomSize = 4;
let joinLatencies: number[] = [];
let joinsCompleted = 0;
let joinsOutstanding = 0;

const JOIN_ECHO = (n: number) =>
  JSON.stringify({
    type: 'join',
    protocol: PROTOCOL_VERSION,
    roomId: `echo${n}`,
    displayName: 'bench',
  });

function ladderJoined(conn: Conn): void {
  if (conn.joinSentAt === undefined) return;
  joinLatencies.push(Number(process.hrtime.bigint() - conn.joinSentAt) / 1e6);
  conn.joinSentAt = undefined;
  joinsCompleted++;
  joinsOutstanding--;
  if (kind !== 'parley') {
    ladderIdle.push(conn);
    return;
  }
  const room = conn.room;
  if (!room) return;
  room.joined++;
  if (room.joined < ladderRoomSize) return;
  // A full room of 4 dissolves right away, so a fixed pool of sockets can join again and again;
  // the server does the leave work (peer-left to the others) as part of the churn.
  for (const member of room.members) {
    member.ws.send('{"type":"leave"}');
    member.room = undefined;
    ladderIdle.push(member);
  }
}

function fireJoin(): boolean {
  const conn = ladderIdle.shift();
  if (!conn) return false;
  joinsOutstanding++;
  if (kind !== 'parley') {
    conn.joinSentAt = process.hrtime.bigint();
    conn.ws.send(JOIN_ECHO(ladderRooms++));
    return true;
  }
  if (!ladderRoom || ladderRoom.members.length === ladderRoomSize) {
    ladderRoom = { id: roomId(ladderPrefix, ladderRooms++), members: [], joined: 0 };
  }
  ladderRoom.members.push(conn);
  conn.room = ladderRoom;
  conn.joinSentAt = process.hrtime.bigint();
  conn.ws.send(
    JSON.stringify({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId: ladderRoom.id,
      displayName: `bench ${conn.index}`,
    }),
  );
  return true;
}

/**
 * One step of the join ladder: join attempts at `ratePerSecond` for `durationMs`. An attempt
 * needs an idle socket from the pool; when none is free the server is not keeping up, and the
 * attempt is counted as missed. Waits for outstanding joins before returning.
 */
async function joinStep(args: {
  ratePerSecond: number;
  durationMs: number;
  prefix: string;
  roomSize: number;
}) {
  mode = 'ladder';
  ladderPrefix = args.prefix;
  ladderRoomSize = args.roomSize;
  if (ladderIdle.length === 0 && joinsOutstanding === 0) ladderIdle = [...conns];
  joinLatencies = [];
  joinsCompleted = 0;
  let missed = 0;
  const attempts = await pace(args.ratePerSecond, args.durationMs, () => {
    if (!fireJoin()) missed++;
  });
  const deadline = performance.now() + 5000;
  while (joinsOutstanding > 0 && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    attempts,
    missed,
    completed: joinsCompleted,
    outstanding: joinsOutstanding,
    latencies: Float64Array.from(joinLatencies),
    errors: Object.fromEntries(errors),
  };
}

async function closeAll(): Promise<void> {
  shuttingDown = true;
  if (heartbeat) clearInterval(heartbeat);
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.ws.terminate();
        }),
    ),
  );
  conns.length = 0;
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
