import type { IceServer, JoinedMessage, PeerInfo, SignalPayload } from '@parley/protocol';
import { PeerLink, type PeerConnectionState, type PeerFactory } from './peer-link.ts';
import {
  SignalingClient,
  type ClosedReason,
  type SignalingClientOptions,
  type SignalingStatus,
} from './signaling-client.ts';
import { TypedEmitter } from './typed-emitter.ts';

export type Participant = { id: string; displayName: string; connection: PeerConnectionState };

export type CallSessionEvents = {
  status: [status: SignalingStatus];
  self: [selfId: string];
  'participant-joined': [participant: Participant];
  'participant-updated': [participant: Participant];
  'participant-left': [peerId: string];
  closed: [reason: ClosedReason];
};

export interface CallSessionOptions extends SignalingClientOptions {
  createPeer?: PeerFactory;
}

/**
 * A call: the signalling client plus one PeerLink per remote participant. It owns every
 * connection and tears all of them down on `leave()`. It knows nothing of React; the bridge
 * turns its events into store updates.
 */
export class CallSession extends TypedEmitter<CallSessionEvents> {
  private readonly signaling: SignalingClient;
  private readonly links = new Map<string, { link: PeerLink; participant: Participant }>();
  private iceServers: RTCIceServer[] = [];
  private selfId: string | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly options: CallSessionOptions) {
    super();
    this.signaling = new SignalingClient(options);
    const s = this.signaling;
    this.unsubscribe.push(
      s.on('status', (status) => {
        this.emit('status', status);
        if (status === 'closed') this.closed(s.closedReason ?? 'left');
      }),
      s.on('joined', (message) => this.onJoined(message)),
      s.on('peer-joined', (peer) => this.ensurePeer(peer)),
      s.on('peer-left', (peerId) => this.removePeer(peerId)),
      s.on('signal', (from, payload) => this.links.get(from)?.link.signal(payload)),
    );
  }

  start(): void {
    this.signaling.start();
  }

  leave(): void {
    this.signaling.leave();
  }

  private onJoined(message: JoinedMessage): void {
    this.iceServers = message.iceServers.map(toRtcIceServer);
    if (this.selfId !== undefined && this.selfId !== message.selfId) {
      // The server did not restore us (e.g. it restarted without our secret): to the others we
      // are someone new, so our old connections are stale.
      for (const peerId of [...this.links.keys()]) this.removePeer(peerId);
    }
    if (this.selfId !== message.selfId) {
      this.selfId = message.selfId;
      this.emit('self', message.selfId);
    }
    // Reconcile: anyone we know who is no longer listed left while we were away.
    const listed = new Set(message.peers.map((p) => p.id));
    for (const peerId of [...this.links.keys()]) if (!listed.has(peerId)) this.removePeer(peerId);
    for (const peer of message.peers) this.ensurePeer(peer);
  }

  /** Adds a participant, or, for one we already know (a rejoin), keeps the running connection. */
  private ensurePeer(peer: PeerInfo): void {
    const existing = this.links.get(peer.id);
    if (existing) {
      if (existing.participant.displayName !== peer.displayName) {
        existing.participant = { ...existing.participant, displayName: peer.displayName };
        this.emit('participant-updated', existing.participant);
      }
      return;
    }
    const participant: Participant = {
      id: peer.id,
      displayName: peer.displayName,
      connection: 'connecting',
    };
    const linkOptions: ConstructorParameters<typeof PeerLink>[0] = {
      peerId: peer.id,
      polite: peer.polite,
      iceServers: this.iceServers,
      sendSignal: (payload: SignalPayload) => this.signaling.sendSignal(peer.id, payload),
      onState: (connection) => {
        const current = this.links.get(peer.id);
        if (!current) return;
        current.participant = { ...current.participant, connection };
        this.emit('participant-updated', current.participant);
      },
    };
    if (this.options.createPeer) linkOptions.createPeer = this.options.createPeer;
    const entry = { participant, link: new PeerLink(linkOptions) };
    this.links.set(peer.id, entry);
    this.emit('participant-joined', participant);
  }

  private removePeer(peerId: string): void {
    const entry = this.links.get(peerId);
    if (!entry) return;
    entry.link.destroy();
    this.links.delete(peerId);
    this.emit('participant-left', peerId);
  }

  private closed(reason: ClosedReason): void {
    for (const peerId of [...this.links.keys()]) this.removePeer(peerId);
    for (const off of this.unsubscribe.splice(0)) off();
    this.signaling.dispose();
    this.emit('closed', reason);
  }
}

function toRtcIceServer(server: IceServer): RTCIceServer {
  const result: RTCIceServer = { urls: server.urls };
  if (server.username !== undefined) result.username = server.username;
  if (server.credential !== undefined) result.credential = server.credential;
  return result;
}
