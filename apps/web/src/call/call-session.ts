import {
  PROTOCOL_VERSION,
  isFileMessage,
  randomId,
  type JoinedMessage,
  type MediaState,
  type PeerInfo,
  type PeerMessage,
} from '@parley/protocol';
import { videoLimitsFor } from './bitrate-policy.ts';
import { IceServerSource } from './ice-server-source.ts';
import { SessionFiles } from './session-files.ts';
import type { PeerLinkOptions } from './peer-link.ts';
import { SignalingClient, type ClosedReason } from './signaling-client.ts';
import { TypedEmitter } from './typed-emitter.ts';
import { DropCounter, type DropReason } from './trust/drop-counter.ts';
import { PeerMessageGate } from './trust/peer-message-gate.ts';
import { SessionVerification } from './session-verification.ts';
import { newParticipant, type ChatEntry, type Participant } from './participant.ts';
import type {
  CallSessionEvents,
  CallSessionOptions,
  PeerLinkLike,
} from './call-session-contract.ts';

export type { ChatEntry, Participant } from './participant.ts';
export type {
  CallSessionEvents,
  CallSessionOptions,
  LocalMediaSource,
  PeerLinkLike,
} from './call-session-contract.ts';

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
  private readonly files: SessionFiles;
  private readonly polite = new Map<string, boolean>();
  /** From the server at join: the admin's file size limit. */
  private maxFileBytes = 0;
  private readonly gate = new PeerMessageGate();
  private readonly drops = new DropCounter((counts) => this.emit('dropped', counts));
  private readonly verification: SessionVerification;

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
        if (status === 'reconnecting')
          for (const { link } of this.links.values()) link.signalingLost();
        if (status === 'closed') this.end(s.closedReason ?? 'left');
      }),
      s.on('joined', (message) => this.onJoined(message)),
      s.on('peer-joined', (member) => this.addParticipant(member)),
      s.on('peer-left', (participantId) => this.removeParticipant(participantId)),
      s.on('signal', (from, payload) => this.links.get(from)?.link.signal(payload)),
      s.on('door', (message) => {
        if (message.type !== 'peer-updated') return this.emit('door', message);
        if (message.peerId === this.selfId) return this.emit('self-name', message.displayName);
        if (this.links.has(message.peerId))
          this.update(message.peerId, { displayName: message.displayName });
      }),
      media.on('changed', (state) => {
        this.emit('local-media', state);
        this.broadcast({ type: 'media-state', ...this.mediaState() });
      }),
    );
    this.files = new SessionFiles({
      load: options.loadFileTransfers,
      peer: (participantId) => {
        const link = this.links.get(participantId)?.link;
        if (!link) return undefined;
        return {
          sendControl: (message) => link.trySend(message),
          openChannel: (id) => link.openChannel(id),
          maxMessageSize: () => link.maxMessageSize(),
        };
      },
      isPolite: (participantId) => this.polite.get(participantId) ?? true,
      displayName: (participantId) =>
        this.links.get(participantId)?.participant.displayName ?? 'The other participant',
      onUpdate: (snapshot) => this.emit('transfer', snapshot),
      onOfferRefused: () => this.drops.count('over-cap'),
      maxFileBytes: () => this.maxFileBytes,
    });
    this.verification = new SessionVerification({
      roomId: options.roomId,
      trustStore: options.trustStore,
      current: (participantId) => this.links.get(participantId)?.participant,
      update: (participantId, verification) => this.update(participantId, { verification }),
    });
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
  sendFiles(files: File[], participantIds: string[]): void {
    this.files.send(files, participantIds);
  }

  acceptFile(id: string): void {
    this.files.accept(id);
  }

  declineFile(id: string): void {
    this.files.decline(id);
  }

  cancelFile(id: string): void {
    this.files.cancel(id);
  }

  get sharingScreen(): boolean {
    return this.screen !== undefined;
  }

  /** Locks or unlocks the call for newcomers; false while signalling is down. */
  setLock(locked: boolean): boolean {
    return this.signaling.setLock(locked);
  }

  answerKnock(knockId: string, admit: boolean): boolean {
    return this.signaling.answerKnock(knockId, admit);
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
    // A newer server still seats us (it accepts the previous protocol); say so, and carry on.
    if (message.protocol > PROTOCOL_VERSION) this.emit('server-updated', message.protocol);
    this.iceServers.set(message.iceServers);
    this.maxFileBytes = message.maxFileBytes;
    if (this.selfId !== undefined && this.selfId !== message.selfId) {
      // The server did not restore us (e.g. it restarted with another secret): to the others we
      // are someone new, so our old connections are stale.
      for (const participantId of [...this.links.keys()]) this.removeParticipant(participantId);
    }
    if (this.selfId !== message.selfId) {
      this.selfId = message.selfId;
      this.emit('self', message.selfId);
    }
    const listed = new Set(message.peers.map((p) => p.id));
    for (const participantId of [...this.links.keys()]) {
      if (listed.has(participantId)) continue;
      if (message.resumed) {
        // The server kept our seat, so its list is complete: whoever is missing left meanwhile.
        this.removeParticipant(participantId);
      } else {
        // The server lost its state (a restart) and may simply not have seen them back yet.
        // Keep the running connection; drop it only if it fails before they reappear.
        this.unconfirmed.add(participantId);
      }
    }
    // Only connections that lived through the outage have anything to restore. A link made
    // from this very message has not even sent its first offer yet (simple-peer makes it a
    // task later), so it would take itself for one whose offer was lost and restart ICE in the
    // middle of its first connection: a second negotiation on every join.
    const survivors = [...this.links.values()];
    for (const member of message.peers) this.addParticipant(member);
    for (const { link } of survivors) link.signalingRestored();
  }

  /** Adds a participant, or, for one we already know (a rejoin), keeps the running connection. */
  private addParticipant(member: PeerInfo): void {
    const existing = this.links.get(member.id);
    this.unconfirmed.delete(member.id);
    if (existing) {
      if (existing.participant.displayName !== member.displayName)
        this.update(member.id, { displayName: member.displayName });
      return;
    }
    const participant = newParticipant(member);
    const linkOptions: PeerLinkOptions = {
      participantId: member.id,
      polite: member.polite,
      iceServers: this.iceServers.current,
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
      freshIceServers: () => this.iceServers.fresh(),
      localStream: this.options.media.stream,
      screenStream: this.screen?.stream,
      certificates: this.options.certificate ? [this.options.certificate] : undefined,
      sendSignal: (payload) => this.signaling.sendSignal(member.id, payload),
      onState: (connection) => {
        if (connection === 'failed' && this.unconfirmed.has(member.id))
          return this.removeParticipant(member.id);
        this.update(member.id, { connection });
        if (connection !== 'connected') return;
        this.links.get(member.id)?.link.send({ type: 'media-state', ...this.mediaState() });
        this.files.participantConnected(member.id);
        this.verification.refresh(member.id);
      },
      onRemoteStream: (stream) => {
        const current = this.links.get(member.id)?.participant;
        if (current && !current.streamIds.includes(stream.id))
          this.update(member.id, { streamIds: [...current.streamIds, stream.id] });
        this.emit('remote-stream', member.id, stream);
      },
      onMessage: (message) => this.onParticipantMessage(member.id, message),
      onDropped: () => this.drops.count('invalid'),
      onSpeaking: (speaking) => this.update(member.id, { speaking }),
      onStats: (stats) => this.update(member.id, { stats }),
      onIceRestart: (iceRestarts) => this.update(member.id, { iceRestarts }),
    };
    this.polite.set(member.id, member.polite);
    const link = this.options.createLink(linkOptions);
    this.links.set(member.id, { participant, link });
    this.verification.watch(member.id, link.peerConnection?.());
    this.emit('participant-joined', participant);
    this.applyVideoLimits();
  }

  /** Reads the pair's code again from the live connection (e.g. as the dialog opens). */
  refreshVerification(participantId: string): void {
    this.verification.refresh(participantId);
  }

  /** The user compared the codes and they matched: remember this person's certificate. */
  markVerified(participantId: string): void {
    this.verification.markVerified(participantId);
  }

  /** Peer messages dropped so far, by reason (also reported by the `dropped` event). */
  get droppedMessages(): Record<DropReason, number> {
    return this.drops.totals;
  }

  private onParticipantMessage(participantId: string, message: PeerMessage): void {
    if (!this.gate.admit(participantId, message)) return this.drops.count('rate-limited');
    if (isFileMessage(message)) return this.files.handle(participantId, message);
    switch (message.type) {
      case 'media-state': {
        const current = this.links.get(participantId)?.participant;
        const patch: Partial<Participant> = {
          audio: message.audio,
          video: message.video,
          screenStreamId: message.screenStreamId,
        };
        // A finished share's stream is gone for good; forget it so it is never shown again.
        if (current?.screenStreamId && current.screenStreamId !== message.screenStreamId) {
          patch.streamIds = current.streamIds.filter((id) => id !== current.screenStreamId);
        }
        return this.update(participantId, patch);
      }
      case 'chat':
        return this.emit('chat', {
          id: message.id,
          fromId: participantId,
          text: message.text,
          sentAt: Date.now(), // our clock, never the sender's claim
          self: false,
        });
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  private update(participantId: string, patch: Partial<Participant>): void {
    const entry = this.links.get(participantId);
    if (!entry) return;
    entry.participant = { ...entry.participant, ...patch };
    this.emit('participant-updated', entry.participant);
  }

  private removeParticipant(participantId: string): void {
    const entry = this.links.get(participantId);
    if (!entry) return;
    this.files.participantLeft(participantId);
    this.verification.forget(participantId);
    entry.link.destroy();
    this.links.delete(participantId);
    this.unconfirmed.delete(participantId);
    this.polite.delete(participantId);
    this.gate.forget(participantId);
    this.emit('participant-left', participantId);
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
    this.files.dispose();
    for (const participantId of [...this.links.keys()]) this.removeParticipant(participantId);
    for (const off of this.unsubscribe.splice(0)) off();
    this.options.media.setTrackReplacer(undefined);
    this.iceServers.dispose();
    this.drops.dispose();
    this.verification.dispose();
    this.signaling.dispose();
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
