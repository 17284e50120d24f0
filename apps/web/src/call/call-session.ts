import {
  isFileMessage,
  randomId,
  type JoinedMessage,
  type MediaState,
  type PeerInfo,
  type PeerMessage,
} from '@parley/protocol';
import { videoLimitsFor } from './bitrate-policy.ts';
import type { FileTransfers } from './files/file-transfers.ts';
import type { TransferSnapshot } from './files/transfer-types.ts';
import type { LocalMediaSession, LocalMediaState } from './media/local-media-session.ts';
import { IceServerSource } from './ice-server-source.ts';
import type { LinkStats, PeerConnectionState, PeerLink, PeerLinkOptions } from './peer-link.ts';
import {
  SignalingClient,
  type ClosedReason,
  type SignalingClientOptions,
  type SignalingStatus,
} from './signaling-client.ts';
import { TypedEmitter } from './typed-emitter.ts';
import { DropCounter, type DropCounts, type DropReason } from './trust/drop-counter.ts';
import { PeerMessageGate } from './trust/peer-message-gate.ts';
import type { PeerVerification } from './verification/peer-verification.ts';
import { UNVERIFIED, type Verification } from './verification/verification-state.ts';
import type { TrustStore } from './verification/trust-store.ts';

/** A remote participant as the UI sees it: plain data only. */
export interface Participant {
  id: string;
  displayName: string;
  connection: PeerConnectionState;
  /** What the participant says it sends (from its media-state messages). */
  audio: boolean;
  video: boolean;
  speaking: boolean;
  stats: LinkStats | undefined;
  /** ICE restarts this side has started or requested on the link. */
  iceRestarts: number;
  /** The stream the participant says carries its screen share, or null. */
  screenStreamId: string | null;
  /** IDs of the remote streams received so far (camera, screen). */
  streamIds: string[];
  /** The verification code for this pair and whether the person was marked verified. */
  verification: Verification;
}

/** A chat message as the UI shows it. The sender is who the link belongs to, never a claim. */
export interface ChatEntry {
  id: string;
  fromId: string;
  text: string;
  /**
   * When this side sent or received it, by our own clock (ms since epoch). Never the sender's
   * `sentAt`: another peer's clock may be wrong, or a number chosen to break the page.
   */
  sentAt: number;
  self: boolean;
}

export type CallSessionEvents = {
  status: [status: SignalingStatus];
  self: [selfId: string];
  'participant-joined': [participant: Participant];
  'participant-updated': [participant: Participant];
  'participant-left': [peerId: string];
  'remote-stream': [peerId: string, stream: MediaStream];
  'local-media': [state: LocalMediaState];
  /** Our screen share started (the stream) or stopped (undefined). */
  'local-screen': [stream: MediaStream | undefined];
  chat: [entry: ChatEntry];
  transfer: [snapshot: TransferSnapshot];
  /** Totals of peer messages dropped (invalid, over a rate or a cap); at most once a second. */
  dropped: [counts: DropCounts];
  closed: [reason: ClosedReason];
};

/** What the session needs of a peer link; tests substitute an in-memory fake. */
export type PeerLinkLike = Pick<
  PeerLink,
  | 'signal'
  | 'send'
  | 'trySend'
  | 'openChannel'
  | 'maxMessageSize'
  | 'replaceTrack'
  | 'addStream'
  | 'removeStream'
  | 'setVideoLimits'
  | 'signalingRestored'
  | 'setIceServers'
  | 'destroy'
> &
  Partial<Pick<PeerLink, 'peerConnection'>>;

/** What the session needs of our local media. */
export type LocalMediaSource = Pick<
  LocalMediaSession,
  'stream' | 'state' | 'on' | 'setEnabled' | 'switchDevice' | 'setTrackReplacer'
>;

export interface CallSessionOptions extends SignalingClientOptions {
  media: LocalMediaSource;
  /** Makes the connection to one participant: `new PeerLink(o)` in the app, a fake in tests. */
  createLink: (options: PeerLinkOptions) => PeerLinkLike;
  /** Privacy mode: only TURN relay candidates, so peers never learn our IP address. */
  relayOnly?: boolean;
  /** Our persistent DTLS certificate (verification codes stay the same across calls). */
  certificate?: RTCCertificate | undefined;
  /** Where "Verified" marks are kept; without one they last for this call only. */
  trustStore?: TrustStore;
  /** Loads the file-transfer code; a dynamic import in the app so the call page stays light. */
  loadFileTransfers?: () => Promise<typeof FileTransfers>;
}

/**
 * A call: the signalling client, our local media, and one PeerLink per remote participant. It
 * owns every connection, track and timer, and releases all of them when the call ends. It knows
 * nothing of React; the bridge turns its events into store updates.
 */
export class CallSession extends TypedEmitter<CallSessionEvents> {
  private readonly signaling: SignalingClient;
  private readonly links = new Map<string, { link: PeerLinkLike; participant: Participant }>();
  private readonly iceServers: IceServerSource;
  private selfId: string | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private ended = false;
  /** Peers kept across a server restart that the server has not announced again yet. */
  private readonly unconfirmed = new Set<string>();
  private screen: { stream: MediaStream; onEnded: () => void } | undefined;
  private files: Promise<FileTransfers> | undefined;
  private readonly polite = new Map<string, boolean>();
  /** From the server at join: the admin's file size limit. */
  private maxFileBytes = 0;
  private readonly gate = new PeerMessageGate();
  private readonly drops = new DropCounter((counts) => this.emit('dropped', counts));
  private readonly verifications = new Map<string, PeerVerification>();

  constructor(private readonly options: CallSessionOptions) {
    super();
    this.signaling = new SignalingClient(options);
    const s = this.signaling;
    const media = options.media;
    this.iceServers = new IceServerSource(s);
    this.unsubscribe.push(
      this.iceServers.on('changed', (servers) => {
        for (const { link } of this.links.values()) link.setIceServers(servers);
      }),
      s.on('status', (status) => {
        this.emit('status', status);
        if (status === 'closed') this.end(s.closedReason ?? 'left');
      }),
      s.on('joined', (message) => this.onJoined(message)),
      s.on('peer-joined', (peer) => this.ensurePeer(peer)),
      s.on('peer-left', (peerId) => this.removePeer(peerId)),
      s.on('signal', (from, payload) => this.links.get(from)?.link.signal(payload)),
      media.on('changed', (state) => {
        this.emit('local-media', state);
        this.broadcast({ type: 'media-state', ...this.mediaState() });
      }),
    );
    media.setTrackReplacer(async (oldTrack, newTrack) => {
      await Promise.all(
        [...this.links.values()].map(({ link }) => link.replaceTrack(oldTrack, newTrack)),
      );
    });
  }

  start(): void {
    this.signaling.start();
  }

  setEnabled(kind: 'audio' | 'video', enabled: boolean): void {
    this.options.media.setEnabled(kind, enabled);
  }

  switchDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    return this.options.media.switchDevice(kind, deviceId);
  }

  /** Sends a chat message to everyone connected now; returns the entry as shown locally. */
  sendChat(text: string): ChatEntry {
    const message = { type: 'chat', id: randomId(), text, sentAt: Date.now() } as const;
    this.broadcast(message);
    const entry: ChatEntry = {
      id: message.id,
      fromId: this.selfId ?? 'self',
      text,
      sentAt: message.sentAt,
      self: true,
    };
    this.emit('chat', entry);
    return entry;
  }

  /**
   * Shares a screen (from getDisplayMedia) with everyone, including people who join later.
   * The browser's own "Stop sharing" ends the video track; that stops the share here too.
   */
  startScreenShare(stream: MediaStream): void {
    this.stopScreenShare();
    const onEnded = () => this.stopScreenShare();
    stream.getVideoTracks()[0]?.addEventListener('ended', onEnded);
    this.screen = { stream, onEnded };
    this.broadcast({ type: 'media-state', ...this.mediaState() });
    for (const { link } of this.links.values()) link.addStream(stream);
    this.applyVideoLimits();
    this.emit('local-screen', stream);
  }

  stopScreenShare(): void {
    const screen = this.screen;
    if (!screen) return;
    this.screen = undefined;
    screen.stream.getVideoTracks()[0]?.removeEventListener('ended', screen.onEnded);
    for (const { link } of this.links.values()) link.removeStream(screen.stream);
    for (const track of screen.stream.getTracks()) track.stop();
    this.broadcast({ type: 'media-state', ...this.mediaState() });
    this.emit('local-screen', undefined);
  }

  /** Offers files to the given participants (each gets its own transfer). */
  sendFiles(files: File[], peerIds: string[]): void {
    void this.fileTransfers().then((f) => f.send(files, peerIds));
  }

  acceptFile(id: string): void {
    void this.fileTransfers().then((f) => f.accept(id));
  }

  declineFile(id: string): void {
    void this.fileTransfers().then((f) => f.decline(id));
  }

  cancelFile(id: string): void {
    void this.fileTransfers().then((f) => f.cancel(id));
  }

  private fileTransfers(): Promise<FileTransfers> {
    this.files ??= (
      this.options.loadFileTransfers ??
      (() => import('./files/file-transfers.ts').then((m) => m.FileTransfers))
    )().then(
      (Transfers) =>
        new Transfers({
          peer: (peerId) => {
            const link = this.links.get(peerId)?.link;
            if (!link) return undefined;
            return {
              sendControl: (message) => link.trySend(message),
              openChannel: (id) => link.openChannel(id),
              maxMessageSize: () => link.maxMessageSize(),
            };
          },
          isPolite: (peerId) => this.polite.get(peerId) ?? true,
          displayName: (peerId) =>
            this.links.get(peerId)?.participant.displayName ?? 'The other participant',
          onUpdate: (snapshot) => this.emit('transfer', snapshot),
          onOfferRefused: () => this.drops.count('over-cap'),
          maxFileBytes: () => this.maxFileBytes,
        }),
    );
    return this.files;
  }

  get sharingScreen(): boolean {
    return this.screen !== undefined;
  }

  /** Says goodbye and releases everything. The local media stays with its owner (the lobby). */
  leave(): void {
    this.signaling.leave();
  }

  private mediaState(): MediaState {
    const state = this.options.media.state;
    return {
      audio: state.audioEnabled,
      video: state.videoEnabled,
      screenStreamId: this.screen?.stream.id ?? null,
    };
  }

  private broadcast(message: PeerMessage): void {
    for (const { link } of this.links.values()) link.send(message);
  }

  private onJoined(message: JoinedMessage): void {
    this.iceServers.set(message.iceServers);
    this.maxFileBytes = message.maxFileBytes;
    if (this.selfId !== undefined && this.selfId !== message.selfId) {
      // The server did not restore us (e.g. it restarted with another secret): to the others we
      // are someone new, so our old connections are stale.
      for (const peerId of [...this.links.keys()]) this.removePeer(peerId);
    }
    if (this.selfId !== message.selfId) {
      this.selfId = message.selfId;
      this.emit('self', message.selfId);
    }
    const listed = new Set(message.peers.map((p) => p.id));
    for (const peerId of [...this.links.keys()]) {
      if (listed.has(peerId)) continue;
      if (message.resumed) {
        // The server kept our seat, so its list is complete: whoever is missing left meanwhile.
        this.removePeer(peerId);
      } else {
        // The server lost its state (a restart) and may simply not have seen them back yet.
        // Keep the running connection; drop it only if it fails before they reappear.
        this.unconfirmed.add(peerId);
      }
    }
    // Only connections that lived through the outage have anything to restore. A link made
    // from this very message has not even sent its first offer yet (simple-peer makes it a
    // task later), so it would take itself for one whose offer was lost and restart ICE in the
    // middle of its first connection: a second negotiation on every join.
    const survivors = [...this.links.values()];
    for (const peer of message.peers) this.ensurePeer(peer);
    for (const { link } of survivors) link.signalingRestored();
  }

  /** Adds a participant, or, for one we already know (a rejoin), keeps the running connection. */
  private ensurePeer(peer: PeerInfo): void {
    const existing = this.links.get(peer.id);
    this.unconfirmed.delete(peer.id);
    if (existing) {
      if (existing.participant.displayName !== peer.displayName)
        this.update(peer.id, { displayName: peer.displayName });
      return;
    }
    const participant: Participant = {
      id: peer.id,
      displayName: peer.displayName,
      connection: 'connecting',
      audio: false,
      video: false,
      speaking: false,
      stats: undefined,
      iceRestarts: 0,
      screenStreamId: null,
      streamIds: [],
      verification: UNVERIFIED,
    };
    const linkOptions: PeerLinkOptions = {
      peerId: peer.id,
      polite: peer.polite,
      iceServers: this.iceServers.current,
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
      freshIceServers: () => this.iceServers.fresh(),
      localStream: this.options.media.stream,
      screenStream: this.screen?.stream,
      certificates: this.options.certificate ? [this.options.certificate] : undefined,
      sendSignal: (payload) => this.signaling.sendSignal(peer.id, payload),
      onState: (connection) => {
        if (connection === 'failed' && this.unconfirmed.has(peer.id))
          return this.removePeer(peer.id);
        this.update(peer.id, { connection });
        if (connection === 'connected') {
          this.links.get(peer.id)?.link.send({ type: 'media-state', ...this.mediaState() });
          void this.verifications.get(peer.id)?.update();
        }
      },
      onRemoteStream: (stream) => {
        const current = this.links.get(peer.id)?.participant;
        if (current && !current.streamIds.includes(stream.id))
          this.update(peer.id, { streamIds: [...current.streamIds, stream.id] });
        this.emit('remote-stream', peer.id, stream);
      },
      onMessage: (message) => this.onPeerMessage(peer.id, message),
      onDropped: () => this.drops.count('invalid'),
      onSpeaking: (speaking) => this.update(peer.id, { speaking }),
      onStats: (stats) => this.update(peer.id, { stats }),
      onIceRestart: (iceRestarts) => this.update(peer.id, { iceRestarts }),
    };
    this.polite.set(peer.id, peer.polite);
    const link = this.options.createLink(linkOptions);
    this.links.set(peer.id, { participant, link });
    this.watchVerification(peer.id, link);
    this.emit('participant-joined', participant);
    this.applyVideoLimits();
  }

  /** Reads the pair's code again from the live connection (e.g. as the dialog opens). */
  refreshVerification(peerId: string): void {
    void this.verifications.get(peerId)?.update();
  }

  /** The user compared the codes and they matched: remember this person's certificate. */
  markVerified(peerId: string): void {
    const entry = this.links.get(peerId);
    const fingerprint = this.verifications.get(peerId)?.remoteFingerprint;
    if (!entry || !fingerprint || !entry.participant.verification.code) return;
    this.update(peerId, { verification: { ...entry.participant.verification, verified: 'now' } });
    void this.options.trustStore
      ?.markVerified({ fingerprint, name: entry.participant.displayName, verifiedAt: Date.now() })
      .catch(() => undefined);
  }

  /** Loaded after the call page, like file transfers: no one needs a code before connecting. */
  private watchVerification(peerId: string, link: PeerLinkLike): void {
    const connection = link.peerConnection?.();
    if (!connection) return;
    void import('./verification/peer-verification.ts').then(({ PeerVerification }) => {
      if (this.links.get(peerId)?.link !== link) return; // left meanwhile
      this.verifications.set(peerId, this.newVerification(PeerVerification, peerId, connection));
    });
  }

  private newVerification(
    Verifier: typeof PeerVerification,
    peerId: string,
    connection: RTCPeerConnection,
  ): PeerVerification {
    let previous: string | undefined;
    const watcher = new Verifier(this.options.roomId, connection, (patch, fingerprints) => {
      const current = this.links.get(peerId)?.participant.verification ?? UNVERIFIED;
      // A new certificate is someone to verify afresh; the same one keeps its mark.
      const same = fingerprints !== undefined && fingerprints.remote === previous;
      previous = fingerprints?.remote;
      const verified = same ? current.verified : 'no';
      this.update(peerId, { verification: { ...patch, verified } });
      const remote = fingerprints?.remote;
      if (!remote || !this.options.trustStore) return;
      void this.options.trustStore.isVerified(remote).then(
        (known) => {
          const latest = this.links.get(peerId)?.participant.verification;
          if (known && latest?.verified === 'no' && watcher.remoteFingerprint === remote)
            this.update(peerId, { verification: { ...latest, verified: 'before' } });
        },
        () => undefined,
      );
    });
    return watcher;
  }

  /** Peer messages dropped so far, by reason (also reported by the `dropped` event). */
  get droppedMessages(): Record<DropReason, number> {
    return this.drops.totals;
  }

  private onPeerMessage(peerId: string, message: PeerMessage): void {
    if (!this.gate.admit(peerId, message)) return this.drops.count('rate-limited');
    if (isFileMessage(message))
      return void this.fileTransfers().then((f) => f.handle(peerId, message));
    switch (message.type) {
      case 'media-state': {
        const current = this.links.get(peerId)?.participant;
        const patch: Partial<Participant> = {
          audio: message.audio,
          video: message.video,
          screenStreamId: message.screenStreamId,
        };
        // A finished share's stream is gone for good; forget it so it is never shown again.
        if (current?.screenStreamId && current.screenStreamId !== message.screenStreamId) {
          patch.streamIds = current.streamIds.filter((id) => id !== current.screenStreamId);
        }
        return this.update(peerId, patch);
      }
      case 'chat':
        return this.emit('chat', {
          id: message.id,
          fromId: peerId,
          text: message.text,
          sentAt: Date.now(),
          self: false,
        });
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  private update(peerId: string, patch: Partial<Participant>): void {
    const entry = this.links.get(peerId);
    if (!entry) return;
    entry.participant = { ...entry.participant, ...patch };
    this.emit('participant-updated', entry.participant);
  }

  private removePeer(peerId: string): void {
    const entry = this.links.get(peerId);
    if (!entry) return;
    if (this.files) void this.files.then((f) => f.peerLeft(peerId));
    this.verifications.get(peerId)?.dispose();
    this.verifications.delete(peerId);
    entry.link.destroy();
    this.links.delete(peerId);
    this.unconfirmed.delete(peerId);
    this.polite.delete(peerId);
    this.gate.forget(peerId);
    this.emit('participant-left', peerId);
    this.applyVideoLimits();
  }

  /** Each sender's total upload stays within budget as the room grows or shrinks. */
  private applyVideoLimits(): void {
    const limits = videoLimitsFor(this.links.size + 1);
    for (const { link } of this.links.values()) void link.setVideoLimits(limits);
  }

  private end(reason: ClosedReason): void {
    if (this.ended) return;
    this.ended = true;
    this.stopScreenShare();
    if (this.files) void this.files.then((f) => f.dispose());
    for (const peerId of [...this.links.keys()]) this.removePeer(peerId);
    for (const off of this.unsubscribe.splice(0)) off();
    this.options.media.setTrackReplacer(undefined);
    this.iceServers.dispose();
    this.drops.dispose();
    this.signaling.dispose();
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
