import {
  CLOSE_CODES,
  MAX_CANDIDATES_PER_NEGOTIATION,
  PROTOCOL_VERSION,
  createRoomId,
  type SignalPayload,
} from '@parley/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, type Config } from '../config.ts';
import { InMemoryRoomStore } from '../rooms/in-memory-room-store.ts';
import type { RoomStore } from '../rooms/room-store.ts';
import { hubOptionsFrom } from '../server.ts';
import { MemoryClient } from '../testing/memory-link.ts';
import { SignalingHub } from './signaling-hub.ts';

/**
 * The hub driven through in-memory `TransportLink`s: the protocol's rules (join, leave, relay,
 * resume, limits) with no socket in between, and with fake time for the resume grace and the
 * rate limits. The same rules over real WebSockets: server.test.ts.
 */

const defaults = loadConfig({ SIGNALING_SECRET: 'hub-test-secret-long-enough-to-pass' });
const offer: SignalPayload = { type: 'offer', sdp: 'v=0\r\n' };
const candidate = (n: number): SignalPayload => ({
  type: 'candidate',
  candidate: { candidate: `candidate:${n} 1 udp 1 198.51.100.1 ${5000 + n} typ host` },
});

let hub: SignalingHub | undefined;
function startHub(
  overrides: Partial<Config> = {},
  store: RoomStore = new InMemoryRoomStore(),
): SignalingHub {
  hub = new SignalingHub(
    hubOptionsFrom({
      config: { ...defaults, ...overrides },
      logger: pino({ level: 'silent' }),
      store,
      iceServersFor: (peerId) => ({
        iceServers: [{ urls: 'turn:198.51.100.3:3478', username: peerId }],
        relayRefused: false,
      }),
    }),
  );
  return hub;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  hub?.dispose();
  hub = undefined;
  vi.useRealTimers();
});

/** Lets the store's promises settle (the in-memory store answers on the microtask queue). */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('joining and leaving', () => {
  it('seats a joiner, tells it who is there with opposite polite roles, and announces it', async () => {
    const h = startHub({ roomCapacity: 4 });
    const room = createRoomId();
    const ada = new MemoryClient(h);
    const joinedA = await ada.join(room, 'Ada');
    expect(joinedA).toEqual({
      type: 'joined',
      protocol: PROTOCOL_VERSION,
      roomId: room,
      selfId: joinedA.selfId,
      resumeToken: joinedA.resumeToken,
      resumed: false,
      peers: [],
      iceServers: [{ urls: 'turn:198.51.100.3:3478', username: joinedA.selfId }],
      capacity: 4,
      maxFileBytes: defaults.maxFileBytes,
    });
    const bob = new MemoryClient(h);
    const joinedB = await bob.join(room, ' Bob ');
    expect(joinedB.peers).toEqual([
      { id: joinedA.selfId, displayName: 'Ada', polite: joinedB.selfId < joinedA.selfId },
    ]);
    const announced = await ada.next('peer-joined');
    expect(announced.peer).toEqual({
      id: joinedB.selfId,
      displayName: 'Bob',
      polite: !joinedB.peers[0]!.polite,
    });
    expect(h.connectedPeers).toBe(2);
  });

  it('answers leave with nothing, tells the others at once, and lets the connection join again as someone new', async () => {
    const h = startHub();
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(h), new MemoryClient(h)];
    await ada.join(room, 'Ada');
    const joinedB = await bob.join(room, 'Bob');
    await ada.next('peer-joined');
    bob.send({ type: 'leave' });
    expect(await ada.next('peer-left')).toEqual({
      type: 'peer-left',
      peerId: joinedB.selfId,
      reason: 'left',
    });
    await bob.expectNothingElse();
    const again = await bob.join(room, 'Bob');
    expect(again.selfId).not.toBe(joinedB.selfId);
    expect(again.resumed).toBe(false);
    expect(await ada.next('peer-joined')).toMatchObject({ peer: { id: again.selfId } });
    // The old token no longer resumes: its seat ended with the leave, so whoever presents it
    // joins as someone new, under a new ID, and the room is told of that newcomer only.
    const third = new MemoryClient(h);
    const viaOldToken = await third.join(room, 'Cyd', {
      peerId: joinedB.selfId,
      token: joinedB.resumeToken,
    });
    expect(viaOldToken.resumed).toBe(false);
    expect(viaOldToken.selfId).not.toBe(joinedB.selfId);
    expect(viaOldToken.selfId).not.toBe(again.selfId);
    expect(await ada.next('peer-joined')).toMatchObject({ peer: { id: viaOldToken.selfId } });
    await ada.expectNothingElse();
  });

  it('refuses a join beyond capacity, a second join, and leave or signal outside a room', async () => {
    const h = startHub({ roomCapacity: 2 });
    const room = createRoomId();
    await new MemoryClient(h).join(room, 'Ada');
    const second = new MemoryClient(h);
    const { selfId } = await second.join(room, 'Bob');
    const third = new MemoryClient(h);
    third.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: room, displayName: 'x' });
    expect(await third.next('error')).toMatchObject({ code: 'room-full' });
    third.send({ type: 'leave' });
    expect(await third.next('error')).toMatchObject({ code: 'not-in-room' });
    third.send({ type: 'signal', to: selfId, payload: offer });
    expect(await third.next('error')).toMatchObject({ code: 'not-in-room' });
    third.send({ type: 'refresh-ice-servers' });
    expect(await third.next('error')).toMatchObject({ code: 'not-in-room' });
    second.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: room, displayName: 'y' });
    expect(await second.next('error')).toMatchObject({ code: 'already-in-room' });
  });
});

describe('relaying', () => {
  it('relays to the addressed member only, stamping from, as a text frame copied from the sender', async () => {
    const h = startHub();
    const room = createRoomId();
    const [ada, bob, cyd] = [new MemoryClient(h), new MemoryClient(h), new MemoryClient(h)];
    const joinedA = await ada.join(room, 'Ada');
    const joinedB = await bob.join(room, 'Bob');
    await cyd.join(room, 'Cyd');
    // What a transport does: the frame's bytes go along, so the payload can be copied.
    const text = JSON.stringify({ type: 'signal', to: joinedB.selfId, payload: offer });
    ada.connection.handleFrame(text, new TextEncoder().encode(text));
    expect(await bob.next('peer-joined')).toMatchObject({ peer: { displayName: 'Cyd' } });
    expect(await bob.next('signal')).toEqual({
      type: 'signal',
      from: joinedA.selfId,
      payload: offer,
    });
    expect(bob.byteFrames).toBe(1);
    await cyd.expectNothingElse();
  });

  it('refuses a signal to itself, to someone in another room, or to no one', async () => {
    const h = startHub();
    const [ada, eve] = [new MemoryClient(h), new MemoryClient(h)];
    const joinedA = await ada.join(createRoomId(), 'Ada');
    const joinedE = await eve.join(createRoomId(), 'Eve');
    for (const to of [joinedA.selfId, joinedE.selfId, createRoomId()]) {
      ada.send({ type: 'signal', to, payload: offer });
      expect(await ada.next('error')).toMatchObject({ code: 'unknown-peer', path: 'to' });
    }
    await eve.expectNothingElse();
  });

  it('caps candidates per negotiation and resets the cap on a new description', async () => {
    const h = startHub({ messageBurst: 1000 });
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(h), new MemoryClient(h)];
    await ada.join(room, 'Ada');
    const { selfId: to } = await bob.join(room, 'Bob');
    for (let n = 0; n <= MAX_CANDIDATES_PER_NEGOTIATION; n++)
      ada.send({ type: 'signal', to, payload: candidate(n) });
    expect(await ada.next('peer-joined')).toMatchObject({ peer: { id: to } });
    expect(await ada.next('error')).toMatchObject({ code: 'too-many-candidates' });
    ada.send({ type: 'signal', to, payload: offer });
    ada.send({ type: 'signal', to, payload: candidate(0) });
    await ada.expectNothingElse();
    // Everything under the cap, then the offer that reset it and one candidate after it.
    expect(bob.messages.filter((m) => m.type === 'signal')).toHaveLength(
      MAX_CANDIDATES_PER_NEGOTIATION + 2,
    );
  });
});

describe('resume', () => {
  it('holds a dropped participant seat for the grace without telling the room, then restores it on a new connection', async () => {
    const h = startHub({ resumeGraceMs: 20_000 });
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(h), new MemoryClient(h)];
    const joinedA = await ada.join(room, 'Ada');
    await bob.join(room, 'Bob');
    ada.end('dropped');
    await vi.advanceTimersByTimeAsync(19_000);
    expect(h.connectedPeers).toBe(1);
    const ada2 = new MemoryClient(h);
    const resumed = await ada2.join(room, 'Ada', {
      peerId: joinedA.selfId,
      token: joinedA.resumeToken,
    });
    expect(resumed).toMatchObject({ selfId: joinedA.selfId, resumed: true });
    expect(resumed.peers.map((p) => p.displayName)).toEqual(['Bob']);
    await vi.advanceTimersByTimeAsync(60_000); // the old grace timer must be gone
    await bob.expectNothingElse();
  });

  it('tells the room the participant left as disconnected once the grace ends; the token then joins anew, announced', async () => {
    const h = startHub({ resumeGraceMs: 20_000 });
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(h), new MemoryClient(h)];
    const joinedA = await ada.join(room, 'Ada');
    const joinedB = await bob.join(room, 'Bob');
    ada.end('dropped');
    await vi.advanceTimersByTimeAsync(19_999);
    await bob.expectNothingElse();
    await vi.advanceTimersByTimeAsync(1);
    expect(await bob.next('peer-left')).toEqual({
      type: 'peer-left',
      peerId: joinedA.selfId,
      reason: 'disconnected',
    });
    const late = await new MemoryClient(h).join(room, 'Ada', {
      peerId: joinedA.selfId,
      token: joinedA.resumeToken,
    });
    // The seat ended when the grace ran out, so the token no longer works: a new member under
    // a new ID, whom the room is told about, and who must set up every peer connection afresh.
    expect(late.resumed).toBe(false);
    expect(late.selfId).not.toBe(joinedA.selfId);
    expect(await bob.next('peer-joined')).toEqual({
      type: 'peer-joined',
      peer: { id: late.selfId, displayName: 'Ada', polite: joinedB.selfId < late.selfId },
    });
  });

  it("frees the seat at once when the client's own page went away", async () => {
    const h = startHub({ resumeGraceMs: 20_000 });
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(h), new MemoryClient(h)];
    const joinedA = await ada.join(room, 'Ada');
    await bob.join(room, 'Bob');
    ada.end('going-away');
    await settle();
    expect(bob.messages.at(-1)).toEqual({
      type: 'peer-left',
      peerId: joinedA.selfId,
      reason: 'left',
    });
  });

  it('closes the older connection with 4002 when the participant resumes on a newer one, which then speaks for it', async () => {
    const h = startHub();
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(h), new MemoryClient(h)];
    const joinedA = await ada.join(room, 'Ada');
    const joinedB = await bob.join(room, 'Bob');
    const ada2 = new MemoryClient(h);
    const resumed = await ada2.join(room, 'Ada', {
      peerId: joinedA.selfId,
      token: joinedA.resumeToken,
    });
    expect(resumed).toMatchObject({ selfId: joinedA.selfId, resumed: true });
    expect(ada.closedWith).toEqual({
      code: CLOSE_CODES.replaced,
      reason: 'replaced by a newer connection',
    });
    // The seat's connection was live, so this may be someone else holding the token: the room
    // is told of the takeover (under the name now shown) rather than left with a silent swap.
    expect(await bob.next('peer-updated')).toEqual({
      type: 'peer-updated',
      peerId: joinedA.selfId,
      displayName: 'Ada',
      takeover: true,
    });
    // The old connection's late close must not unseat the participant.
    ada.end('dropped');
    await vi.advanceTimersByTimeAsync(defaults.resumeGraceMs * 2);
    ada2.send({ type: 'signal', to: joinedB.selfId, payload: offer });
    expect(await bob.next('signal')).toMatchObject({ from: joinedA.selfId });
    await bob.expectNothingElse();
    await ada2.expectNothingElse();
  });

  it('lets every participant of a room keep its ID after a restart, as members the room is told about', async () => {
    const before = startHub();
    const room = createRoomId();
    const [ada, bob] = [new MemoryClient(before), new MemoryClient(before)];
    const joinedA = await ada.join(room, 'Ada');
    const joinedB = await bob.join(room, 'Bob');
    before.dispose();
    // A new process with an empty store: it never saw these seats end, so their tokens work.
    const after = startHub();
    const [ada2, bob2] = [new MemoryClient(after), new MemoryClient(after)];
    const backA = await ada2.join(room, 'Ada', {
      peerId: joinedA.selfId,
      token: joinedA.resumeToken,
    });
    expect(backA).toMatchObject({ selfId: joinedA.selfId, resumed: false, peers: [] });
    // The room exists again (Ada recreated it); Bob's token must still let him in as himself.
    const backB = await bob2.join(room, 'Bob', {
      peerId: joinedB.selfId,
      token: joinedB.resumeToken,
    });
    expect(backB).toMatchObject({ selfId: joinedB.selfId, resumed: false });
    expect(backB.peers.map((p) => p.id)).toEqual([joinedA.selfId]);
    expect(await ada2.next('peer-joined')).toMatchObject({ peer: { id: joinedB.selfId } });
    await ada2.expectNothingElse();
  });

  it('treats a bad token as a new participant: resumed false and a new selfId', async () => {
    const h = startHub();
    const room = createRoomId();
    const ada = new MemoryClient(h);
    const joinedA = await ada.join(room, 'Ada');
    const forger = new MemoryClient(h);
    const joinedF = await forger.join(room, 'Ada', { peerId: joinedA.selfId, token: 'forged' });
    expect(joinedF.resumed).toBe(false);
    expect(joinedF.selfId).not.toBe(joinedA.selfId);
    expect(ada.closedWith).toBeUndefined();
  });

  it('holds the seat of a connection that ends while its join waits for the store', async () => {
    const inner = new InMemoryRoomStore();
    let release: (() => void) | undefined;
    const slowStore: RoomStore = {
      get: (roomId) => inner.get(roomId),
      relayTarget: (...args) => inner.relayTarget(...args),
      admit: async (...args) => {
        await new Promise<void>((resolve) => (release = resolve));
        return inner.admit(...args);
      },
      markDisconnected: (...args) => inner.markDisconnected(...args),
      remove: (...args) => inner.remove(...args),
      setLock: (...args) => inner.setLock(...args),
    };
    const h = startHub({ resumeGraceMs: 20_000 }, slowStore);
    const room = createRoomId();
    const ada = new MemoryClient(h);
    ada.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: room, displayName: 'Ada' });
    ada.end('dropped');
    release!();
    await settle();
    expect(ada.messages).toEqual([]);
    expect(h.connectedPeers).toBe(0);
    expect(slowStore.get(room)).toMatchObject({ members: [{ displayName: 'Ada' }] });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(slowStore.get(room)).toBeUndefined();
  });
});

describe('order and limits', () => {
  it('answers frames in arrival order even when a join waits for the store', async () => {
    const inner = new InMemoryRoomStore();
    const store: RoomStore = {
      get: (roomId) => Promise.resolve(inner.get(roomId)),
      relayTarget: (...args) => Promise.resolve(inner.relayTarget(...args)),
      admit: async (...args) => {
        await vi.advanceTimersByTimeAsync(5);
        return inner.admit(...args);
      },
      markDisconnected: (...args) => inner.markDisconnected(...args),
      remove: (...args) => inner.remove(...args),
      setLock: (...args) => inner.setLock(...args),
    };
    const h = startHub({}, store);
    const ada = new MemoryClient(h);
    ada.send({ type: 'ping', t: 1 });
    ada.send({
      type: 'join',
      protocol: PROTOCOL_VERSION,
      roomId: createRoomId(),
      displayName: 'A',
    });
    ada.send({ type: 'ping', t: 2 });
    ada.send({ type: 'leave' });
    ada.send({ type: 'leave' });
    ada.send({ type: 'ping', t: 3 });
    await vi.waitFor(() => expect(ada.messages).toHaveLength(5));
    expect(ada.messages.map((m) => (m.type === 'error' ? m.code : m.type))).toEqual([
      'pong',
      'joined',
      'pong',
      'not-in-room',
      'pong',
    ]);
  });

  it('sheds a flood over the per-connection bucket with at most one rate-limited error a second', async () => {
    const h = startHub({ messageBurst: 5, messagesPerSecond: 2 });
    const ada = new MemoryClient(h);
    for (let t = 0; t < 50; t++) ada.send({ type: 'ping', t });
    expect(ada.messages.map((m) => m.type)).toEqual([...Array(5).fill('pong'), 'error']);
    expect(ada.messages.at(-1)).toMatchObject({ code: 'rate-limited' });
    await vi.advanceTimersByTimeAsync(1000); // two tokens back
    for (let t = 0; t < 3; t++) ada.send({ type: 'ping', t });
    expect(ada.messages.slice(6).map((m) => m.type)).toEqual(['pong', 'pong', 'error']);
  });

  it('limits joins per address, not per connection, and leaves other addresses alone', async () => {
    const h = startHub({ joinBurstPerIp: 2, joinsPerSecondPerIp: 1, messageBurst: 1000 });
    const room = createRoomId();
    const ada = new MemoryClient(h, '198.51.100.20');
    await ada.join(room);
    ada.send({ type: 'leave' });
    await ada.join(room);
    ada.send({ type: 'leave' });
    const sameAddress = new MemoryClient(h, '198.51.100.20');
    sameAddress.send({ type: 'join', protocol: PROTOCOL_VERSION, roomId: room, displayName: 'x' });
    expect(await sameAddress.next('error')).toMatchObject({ code: 'join-rate-limited' });
    await new MemoryClient(h, '198.51.100.21').join(room);
    await vi.advanceTimersByTimeAsync(1000);
    await sameAddress.join(room);
  });

  it('mints ICE servers for members on request', async () => {
    let minted = 0;
    hub = new SignalingHub({
      ...hubOptionsFrom({ config: defaults, logger: pino({ level: 'silent' }) }),
      iceServersFor: (peerId) => ({
        iceServers: [{ urls: 'turn:198.51.100.3', username: `${++minted}:${peerId}` }],
        relayRefused: false,
      }),
    });
    const ada = new MemoryClient(hub);
    const { selfId } = await ada.join(createRoomId());
    ada.send({ type: 'refresh-ice-servers' });
    expect(await ada.next('ice-servers')).toEqual({
      type: 'ice-servers',
      iceServers: [{ urls: 'turn:198.51.100.3', username: `2:${selfId}` }],
    });
  });
});
