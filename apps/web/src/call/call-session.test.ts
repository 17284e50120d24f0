import { CLOSE_CODES, PROTOCOL_VERSION, type JoinedMessage, type PeerInfo } from '@parley/protocol';
import { PEER_RATE_LIMITS } from './trust/peer-message-gate.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { videoLimitsFor } from './bitrate-policy.ts';
import { CallSession, type LocalMediaSource, type Participant } from './call-session.ts';
import { FileTransfers } from './files/file-transfers.ts';
import { REFRESH_TIMEOUT_MS } from './ice-server-source.ts';
import type { LocalMediaState } from './media/local-media-session.ts';
import type { PeerLinkOptions } from './peer-link.ts';
import { FakePeerLink } from './testing/fake-peer-link.ts';
import { FakeSocketFactory } from './testing/fake-socket.ts';

const ROOM = 'RRRRRRRRRRRRRRRRRRRRRR';
const SELF = 'MMMMMMMMMMMMMMMMMMMMMM';
const ADA = 'AAAAAAAAAAAAAAAAAAAAAA';
const ZED = 'ZZZZZZZZZZZZZZZZZZZZZZ';

const oldTrack = { id: 'old' } as MediaStreamTrack;
const newTrack = { id: 'new' } as MediaStreamTrack;

const ada: PeerInfo = { id: ADA, displayName: 'Ada', polite: false };
const zed: PeerInfo = { id: ZED, displayName: 'Zed', polite: true };

function joined(overrides: Partial<JoinedMessage> = {}): JoinedMessage {
  return {
    type: 'joined',
    protocol: PROTOCOL_VERSION,
    roomId: ROOM,
    selfId: SELF,
    resumeToken: 't',
    resumed: false,
    peers: [],
    iceServers: [],
    capacity: 6,
    maxFileBytes: 1024,
    ...overrides,
  };
}

/** Local media without a browser: only the surface the session uses. */
class FakeMedia implements LocalMediaSource {
  readonly stream = {} as MediaStream;
  private listeners: Array<(state: LocalMediaState) => void> = [];
  state: LocalMediaState = {
    hasAudio: true,
    hasVideo: true,
    audioEnabled: true,
    videoEnabled: true,
    audioDeviceId: 'mic',
    videoDeviceId: 'cam',
    problem: undefined,
  };
  on = ((event: string, listener: (state: LocalMediaState) => void) => {
    if (event === 'changed') this.listeners.push(listener);
    return () => undefined;
  }) as LocalMediaSource['on'];
  setEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    this.state = { ...this.state, [kind === 'audio' ? 'audioEnabled' : 'videoEnabled']: enabled };
    for (const l of this.listeners) l(this.state);
  }
  replacer: ((a: MediaStreamTrack, b: MediaStreamTrack) => Promise<void>) | undefined;
  setTrackReplacer(
    replacer: ((a: MediaStreamTrack, b: MediaStreamTrack) => Promise<void>) | undefined,
  ): void {
    this.replacer = replacer;
  }
  /** Like the real one: the old track is released only after the call swapped it everywhere. */
  async switchDevice(): Promise<void> {
    await this.replacer?.(oldTrack, newTrack);
  }
}

let sockets: FakeSocketFactory;
let media: FakeMedia;
/** Participants whose link FileTransfers was told is connected. */
let filePeersConnected: string[];
let links: FakePeerLink[];
let session: CallSession;
let participants: Map<string, Participant>;
let left: string[];

beforeEach(() => {
  vi.useFakeTimers();
  sockets = new FakeSocketFactory();
  links = [];
  participants = new Map();
  left = [];
  media = new FakeMedia();
  filePeersConnected = [];
  session = new CallSession({
    url: 'ws://test/ws',
    roomId: ROOM,
    displayName: 'Me',
    createSocket: sockets.create,
    media,
    loadFileTransfers: async () =>
      class extends FileTransfers {
        override peerConnected(participantId: string): void {
          filePeersConnected.push(participantId);
        }
      },
    createLink: (options: PeerLinkOptions) => {
      const link = new FakePeerLink(options);
      links.push(link);
      return link;
    },
  });
  session.on('participant-joined', (p) => participants.set(p.id, p));
  session.on('participant-updated', (p) => participants.set(p.id, p));
  session.on('participant-left', (id) => {
    participants.delete(id);
    left.push(id);
  });
  session.start();
  sockets.last.open();
});

afterEach(() => {
  session.leave();
  vi.useRealTimers();
});

const linkFor = (id: string) => links.filter((l) => l.options.participantId === id && !l.destroyed);

describe('CallSession', () => {
  it('opens one link per participant with the server-assigned role', () => {
    sockets.last.receive(joined({ peers: [ada, zed] }));
    expect(links.map((l) => [l.options.participantId, l.options.polite])).toEqual([
      [ADA, false],
      [ZED, true],
    ]);
    expect([...participants.keys()]).toEqual([ADA, ZED]);
  });

  it('routes signals: server → the sender link, link → the server addressed to its peer', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    sockets.last.receive({ type: 'signal', from: ADA, payload: { type: 'offer', sdp: 'v=0' } });
    expect(linkFor(ADA)[0]!.received).toEqual([{ type: 'offer', sdp: 'v=0' }]);
    expect(linkFor(ADA)[0]!.options.sendSignal({ type: 'answer', sdp: 'v=1' })).toBe(true);
    expect(sockets.last.sent.at(-1)).toEqual({
      type: 'signal',
      to: ADA,
      payload: { type: 'answer', sdp: 'v=1' },
    });
  });

  it('adds announced participants and tears down those who leave', () => {
    sockets.last.receive(joined());
    sockets.last.receive({ type: 'peer-joined', peer: ada });
    expect(participants.get(ADA)?.displayName).toBe('Ada');
    sockets.last.receive({ type: 'peer-left', peerId: ADA, reason: 'left' });
    expect(links[0]!.destroyed).toBe(true);
    expect(left).toEqual([ADA]);
  });

  it('sends our media state when a link connects and whenever it changes, and shows theirs', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    const link = linkFor(ADA)[0]!;
    link.options.onState('connected');
    expect(link.sent).toEqual([
      { type: 'media-state', audio: true, video: true, screenStreamId: null },
    ]);
    session.setEnabled('audio', false);
    expect(media.state.audioEnabled).toBe(false);
    // The media's change event is broadcast to every link.
    expect(link.sent.at(-1)).toEqual({
      type: 'media-state',
      audio: false,
      video: true,
      screenStreamId: null,
    });
    link.options.onMessage({
      type: 'media-state',
      audio: false,
      video: false,
      screenStreamId: null,
    });
    expect(participants.get(ADA)).toMatchObject({
      audio: false,
      video: false,
      connection: 'connected',
    });
  });

  it('swaps a switched device track on every link before the old track is released', async () => {
    sockets.last.receive(joined({ peers: [ada, zed] }));
    await session.switchDevice('video', 'cam-2');
    expect(links.map((l) => l.replaced)).toEqual([[[oldTrack, newTrack]], [[oldTrack, newTrack]]]);
  });

  it('sends chat to every link and shows it locally; received chat is attributed to the link, not a claim', () => {
    const entries: unknown[] = [];
    session.on('chat', (entry) => entries.push(entry));
    sockets.last.receive(joined({ peers: [ada, zed] }));
    const mine = session.sendChat('hello <b>all</b>');
    for (const link of links)
      expect(link.sent.at(-1)).toMatchObject({
        type: 'chat',
        id: mine.id,
        text: 'hello <b>all</b>',
      });
    const arrivedAfter = Date.now();
    linkFor(ZED)[0]!.options.onMessage({ type: 'chat', id: 'z1', text: 'hi', sentAt: 5 });
    expect(entries).toEqual([
      { id: mine.id, fromId: SELF, text: 'hello <b>all</b>', sentAt: mine.sentAt, self: true },
      // Shown with our clock at arrival, never the sender's claim.
      { id: 'z1', fromId: ZED, text: 'hi', sentAt: expect.any(Number), self: false },
    ]);
    expect((entries[1] as { sentAt: number }).sentAt).toBeGreaterThanOrEqual(arrivedAfter);
  });

  it('drops and counts a chat flood over the rate and messages that failed validation', () => {
    const entries: unknown[] = [];
    session.on('chat', (entry) => entries.push(entry));
    sockets.last.receive(joined({ peers: [ada, zed] }));
    const zed1 = linkFor(ZED)[0]!.options;
    for (let i = 0; i < 1000; i++)
      zed1.onMessage({ type: 'chat', id: `z${i}`, text: 'spam', sentAt: 0 });
    zed1.onDropped?.();
    expect(entries.length).toBe(PEER_RATE_LIMITS.chat.burst);
    expect(session.droppedMessages).toEqual({
      invalid: 1,
      'rate-limited': 1000 - PEER_RATE_LIMITS.chat.burst,
      'over-cap': 0,
    });
    // Someone else's chat still gets through.
    linkFor(ADA)[0]!.options.onMessage({ type: 'chat', id: 'a1', text: 'hi', sentAt: 0 });
    expect(entries.at(-1)).toMatchObject({ id: 'a1', fromId: ADA });
  });

  it('shares a screen with current and later participants, announces it, and stops it everywhere', () => {
    let ended: (() => void) | undefined;
    const track = {
      addEventListener: (_: string, fn: () => void) => (ended = fn),
      removeEventListener: () => undefined,
      stop: vi.fn(),
    };
    const screen = {
      id: 'screen-1',
      getVideoTracks: () => [track],
      getTracks: () => [track],
    } as unknown as MediaStream;
    sockets.last.receive(joined({ peers: [ada] }));
    session.startScreenShare(screen);
    expect(linkFor(ADA)[0]!.streams).toEqual([screen]);
    expect(linkFor(ADA)[0]!.sent.at(-1)).toEqual({
      type: 'media-state',
      audio: true,
      video: true,
      screenStreamId: 'screen-1',
    });
    sockets.last.receive({ type: 'peer-joined', peer: zed });
    expect(linkFor(ZED)[0]!.options.screenStream).toBe(screen);
    ended!(); // the browser's own "Stop sharing"
    expect(session.sharingScreen).toBe(false);
    expect(track.stop).toHaveBeenCalled();
    expect(linkFor(ADA)[0]!.streams).toEqual([]);
    expect(linkFor(ADA)[0]!.sent.at(-1)).toMatchObject({ screenStreamId: null });
  });

  it('forgets a remote screen stream once its owner stops sharing', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    const link = linkFor(ADA)[0]!;
    link.options.onMessage({ type: 'media-state', audio: true, video: true, screenStreamId: 's1' });
    link.options.onRemoteStream({ id: 'cam' } as MediaStream);
    link.options.onRemoteStream({ id: 's1' } as MediaStream);
    expect(participants.get(ADA)).toMatchObject({ screenStreamId: 's1', streamIds: ['cam', 's1'] });
    link.options.onMessage({ type: 'media-state', audio: true, video: true, screenStreamId: null });
    expect(participants.get(ADA)).toMatchObject({ screenStreamId: null, streamIds: ['cam'] });
  });

  it('caps each link video bitrate for the room size', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    expect(linkFor(ADA)[0]!.limits).toEqual(videoLimitsFor(2));
    sockets.last.receive({ type: 'peer-joined', peer: zed });
    sockets.last.receive({
      type: 'peer-joined',
      peer: { id: 'CCCCCCCCCCCCCCCCCCCCCC', displayName: 'Cy', polite: true },
    });
    for (const link of links) expect(link.limits).toEqual(videoLimitsFor(4));
  });

  it('keeps running connections across a signalling drop and a resume', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    expect(links[0]!.restoredCount).toBe(0); // a brand-new link has nothing to restore
    sockets.last.drop(CLOSE_CODES.serviceRestart);
    vi.advanceTimersByTime(1000);
    sockets.last.open();
    sockets.last.receive(joined({ resumed: true, peers: [ada] }));
    expect(links).toHaveLength(1);
    expect(links[0]!.destroyed).toBe(false);
    // Only after the resume: the link the first join made had nothing to restore.
    expect(links[0]!.restoredCount).toBe(1);
  });

  it('stays in the call when an upgraded server seats it on resume, and says the server is newer', () => {
    const updates: number[] = [];
    session.on('server-updated', (protocol) => updates.push(protocol));
    sockets.last.receive(joined({ peers: [ada] }));
    expect(updates).toEqual([]);
    sockets.last.drop(CLOSE_CODES.serviceRestart);
    vi.advanceTimersByTime(1000);
    sockets.last.open();
    sockets.last.receive(joined({ protocol: PROTOCOL_VERSION + 1, resumed: true, peers: [ada] }));
    expect(updates).toEqual([PROTOCOL_VERSION + 1]);
    expect(links).toHaveLength(1);
    expect(links[0]!.destroyed).toBe(false);
    expect(links[0]!.restoredCount).toBe(1);
  });

  it('tells every link when signalling drops, so ICE restarts wait for the rejoin', () => {
    sockets.last.receive(joined({ peers: [ada, zed] }));
    expect(links.map((l) => l.lostCount)).toEqual([0, 0]);
    sockets.last.drop(1006);
    expect(links.map((l) => l.lostCount)).toEqual([1, 1]);
  });

  it('resumes interrupted downloads when a link reports connected, once files are in use', async () => {
    sockets.last.receive(joined({ peers: [ada] }));
    const link = linkFor(ADA)[0]!;
    link.options.onState('connected');
    await vi.advanceTimersByTimeAsync(0);
    expect(filePeersConnected).toEqual([]); // nothing loaded, nothing to resume
    session.declineFile('no-such-transfer'); // any file action loads the transfers
    await vi.advanceTimersByTimeAsync(0);
    link.options.onState('reconnecting');
    link.options.onState('connected');
    await vi.advanceTimersByTimeAsync(0);
    expect(filePeersConnected).toEqual([ADA]);
  });

  it('after a server restart, keeps a peer the server has not seen yet, and reuses its link when it returns', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    sockets.last.drop(1006);
    vi.advanceTimersByTime(1000);
    sockets.last.open();
    sockets.last.receive(joined({ resumed: false, peers: [] })); // fresh server, we are first back
    expect(links[0]!.destroyed).toBe(false);
    sockets.last.receive({ type: 'peer-joined', peer: ada });
    expect(links).toHaveLength(1);
    expect(left).toEqual([]);
  });

  it('after a server restart, drops an unconfirmed peer whose connection fails', () => {
    sockets.last.receive(joined({ peers: [ada] }));
    sockets.last.drop(1006);
    vi.advanceTimersByTime(1000);
    sockets.last.open();
    sockets.last.receive(joined({ resumed: false, peers: [] }));
    links[0]!.options.onState('failed');
    expect(left).toEqual([ADA]);
  });

  it('when the server kept our seat, a peer missing from its list left meanwhile', () => {
    sockets.last.receive(joined({ peers: [ada, zed] }));
    sockets.last.drop(1006);
    vi.advanceTimersByTime(1000);
    sockets.last.open();
    sockets.last.receive(joined({ resumed: true, peers: [zed] }));
    expect(left).toEqual([ADA]);
  });

  it('on leave, says goodbye, destroys every link and reports closed', () => {
    const closed = vi.fn();
    session.on('closed', closed);
    sockets.last.receive(joined({ peers: [ada, zed] }));
    const socket = sockets.last;
    session.leave();
    expect(socket.sent.at(-1)).toEqual({ type: 'leave' });
    expect(links.every((l) => l.destroyed)).toBe(true);
    expect(closed).toHaveBeenCalledWith('left');
  });

  describe('TURN credentials', () => {
    let expiry = 0;
    beforeEach(() => {
      expiry = Math.floor(Date.now() / 1000) + 3600;
    });
    const turn = (password: string) => ({
      urls: ['turn:127.0.0.1:3478?transport=udp'],
      username: `${expiry}:${SELF}`,
      credential: password,
    });

    it('gives links the servers from join and the relay policy', () => {
      sockets.last.receive(joined({ peers: [ada], iceServers: [turn('first')] }));
      expect(links[0]!.options.iceServers).toEqual([turn('first')]);
      expect(links[0]!.options.iceTransportPolicy).toBe('all');
    });

    it('asks the server for fresh ones before an ICE restart and uses its answer', async () => {
      sockets.last.receive(joined({ peers: [ada], iceServers: [turn('first')] }));
      const fresh = links[0]!.options.freshIceServers!();
      expect(sockets.last.sent.at(-1)).toEqual({ type: 'refresh-ice-servers' });
      sockets.last.receive({ type: 'ice-servers', iceServers: [turn('second')] });
      await expect(fresh).resolves.toEqual([turn('second')]);
      // Every link gets them, so the side that did not start the restart is current too.
      expect(links[0]!.iceServerUpdates.at(-1)).toEqual([turn('second')]);
    });

    it('goes on with the current ones when the server does not answer in time', async () => {
      sockets.last.receive(joined({ peers: [ada], iceServers: [turn('first')] }));
      const fresh = links[0]!.options.freshIceServers!();
      vi.advanceTimersByTime(REFRESH_TIMEOUT_MS);
      await expect(fresh).resolves.toEqual([turn('first')]);
    });

    it('renews them halfway through their lifetime', () => {
      sockets.last.receive(joined({ peers: [ada], iceServers: [turn('first')] }));
      const socket = sockets.last;
      const before = socket.sent.length;
      // Keep the link alive as the server's heartbeat would, for 30 minutes less a second.
      for (let s = 0; s < 1799; s++) {
        if (s % 10 === 0) socket.receive({ type: 'ping', t: s });
        vi.advanceTimersByTime(1000);
      }
      expect(socket.sent.slice(before)).not.toContainEqual({ type: 'refresh-ice-servers' });
      vi.advanceTimersByTime(2000);
      expect(socket.sent.slice(before)).toContainEqual({ type: 'refresh-ice-servers' });
    });

    it('does not ask when there are no credentials to renew', async () => {
      sockets.last.receive(joined({ peers: [ada], iceServers: [] }));
      await expect(links[0]!.options.freshIceServers!()).resolves.toEqual([]);
      expect(sockets.last.sent).not.toContainEqual({ type: 'refresh-ice-servers' });
    });
  });
});
