import { decodePeerMessage, type PeerMessage, type SignalPayload } from '@parley/protocol';
import type { SimplePeerOptions, SimplePeerSignal } from '@thaunknown/simple-peer';
import type { VideoSendLimits } from './bitrate-policy.ts';
import { ResilientPeer } from './resilient-peer.ts';
import { TransceiverRequestGuard } from './trust/transceiver-request-guard.ts';

export type PeerConnectionState =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  /** Never connected: ICE failed even after a restart (e.g. strict NATs and no TURN relay). */
  | 'unreachable'
  | 'failed';

/** Figures from getStats, for the connection indicator and for tests. */
export interface LinkStats {
  framesDecoded: number;
  audioPacketsReceived: number;
  /** Round-trip time of the selected candidate pair. */
  rttMs: number | undefined;
  /** `relay` when either side of the selected pair is a TURN relay. */
  route: 'direct' | 'relay' | undefined;
  /** Candidate types of the selected pair: host, srflx, prflx or relay. */
  localCandidateType: string | undefined;
  remoteCandidateType: string | undefined;
  /** Share of inbound RTP packets lost since the previous reading, in percent. */
  lossPercent: number | undefined;
  /** Bitrates since the previous reading, over the selected candidate pair, in kbit/s. */
  sendKbps: number | undefined;
  receiveKbps: number | undefined;
  /** Outgoing video bitrate alone (what the mesh budget limits), in kbit/s. */
  videoSendKbps: number | undefined;
}

export interface PeerLinkEvents {
  onState(state: PeerConnectionState): void;
  /** A remote MediaStream (camera or screen) appeared or gained a track. */
  onRemoteStream(stream: MediaStream): void;
  onMessage(message: PeerMessage): void;
  /** A data-channel message that is not a valid peer message within bounds was dropped. */
  onDropped?(): void;
  onSpeaking(speaking: boolean): void;
  onStats(stats: LinkStats): void;
  /** Called each time this side starts (or, when polite, requests) an ICE restart. */
  onIceRestart(count: number): void;
}

export interface PeerLinkOptions extends PeerLinkEvents {
  peerId: string;
  /** The impolite side initiates: in simple-peer only the initiator ever makes offers. */
  polite: boolean;
  iceServers: RTCIceServer[];
  /** `relay` for the relay-only privacy mode. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** New TURN credentials before an ICE restart (the old ones may have expired). */
  freshIceServers?: () => Promise<RTCIceServer[]>;
  localStream: MediaStream;
  /** Our screen share, when one is running as the link is created (late joiners see it). */
  screenStream?: MediaStream | undefined;
  /** Our persistent DTLS certificate, so verification codes stay the same across calls. */
  certificates?: RTCCertificate[] | undefined;
  /** Returns false when the signal could not be sent (signalling is down). */
  sendSignal(payload: SignalPayload): boolean;
  createPeer?: (options: SimplePeerOptions) => ResilientPeer;
}

/** How long ICE may stay "disconnected" (often a brief blip that heals) before we restart it. */
const DISCONNECTED_GRACE_MS = 3000;
const POLL_MS = 250;
/** Above this RTP audio level a participant counts as speaking; hold it briefly to avoid flicker. */
const SPEAKING_LEVEL = 0.02;
const SPEAKING_HOLD_MS = 600;

/**
 * One remote participant's connection: media both ways, a data channel for small peer
 * messages, ICE restarts, and stats. simple-peer supplies perfect negotiation's roles by
 * construction (only the initiator, our impolite side, ever offers; the polite side asks it to
 * renegotiate) and queues candidates until the remote description is set.
 */
export class PeerLink {
  private readonly peer: ResilientPeer;
  private state: PeerConnectionState = 'connecting';
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pollTimer: ReturnType<typeof setInterval>;
  private pollCount = 0;
  private lastLoudAt = -Infinity;
  private speaking = false;
  private videoLimits: VideoSendLimits | undefined;
  private signalLost = false;
  private iceRestarts = 0;
  private restarting = false;
  /** The pending restart must send the polite side's request even if one seems outstanding. */
  private askAgain = false;
  private initialFailures = 0;
  private setupFailureSeen = false;
  private previousTotals: StatsTotals | undefined;
  private everConnected = false;
  /** Whether our first offer or answer has been sent. */
  private described = false;
  private appliedLimits: VideoSendLimits | undefined;
  private readonly transceiverGuard = new TransceiverRequestGuard();

  constructor(private readonly options: PeerLinkOptions) {
    const peerOptions: SimplePeerOptions = {
      initiator: !options.polite,
      trickle: true,
      objectMode: true,
      channelName: 'parley',
      config: {
        iceServers: options.iceServers,
        iceTransportPolicy: options.iceTransportPolicy ?? 'all',
        ...(options.certificates && { certificates: options.certificates }),
      },
      // A receive-only initiator must still offer to receive the other side's media.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
      streams: [options.localStream, options.screenStream].filter(
        (stream): stream is MediaStream => stream !== undefined && stream.getTracks().length > 0,
      ),
    };
    this.peer = options.createPeer
      ? options.createPeer(peerOptions)
      : new ResilientPeer(peerOptions);
    this.peer.on('signal', (data) => {
      if (!options.sendSignal(data as SignalPayload)) this.signalLost = true;
      if (this.described) return;
      // Our first offer or answer is out: the senders are negotiated, the media does not flow
      // yet, and nothing else is queued on the WebRTC side, so this is the moment for the limits.
      this.described = true;
      void this.applyVideoLimits();
    });
    this.peer.on('connect', () => {
      this.everConnected = true;
      this.setState('connected');
      // Again only if they did not take (a renegotiation raced them): changing the encoder's
      // parameters just as its first frames go out would only delay them.
      if (this.appliedLimits !== this.videoLimits) void this.applyVideoLimits();
    });
    this.peer.on('track', (_track, stream) => options.onRemoteStream(stream));
    this.peer.on('data', (data) => {
      const message = decodePeerMessage(data);
      if (message) options.onMessage(message);
      else options.onDropped?.();
    });
    this.peer.on('iceStateChange', (ice) => this.onIceState(ice));
    this.peer.on('connectionFailed', () => this.onSetupFailure());
    this.peer.on('error', () => this.setState('failed'));
    this.peer.on('close', () => this.setState('failed'));
    this.pollTimer = setInterval(() => void this.poll(), POLL_MS);
  }

  /** The live connection, only to read its descriptions and stats (verification codes). */
  peerConnection(): RTCPeerConnection {
    return this.peer._pc;
  }

  get connectionState(): PeerConnectionState {
    return this.state;
  }

  signal(payload: SignalPayload): void {
    if (!this.transceiverGuard.allows(payload, this.peer._pc)) return;
    if (!this.peer.destroyed) this.peer.signal(payload as SimplePeerSignal);
  }

  send(message: PeerMessage): void {
    if (this.peer.connected) this.peer.send(JSON.stringify(message));
  }

  /** Device switch mid-call: the new track goes out on the same sender, no renegotiation. */
  async replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack): Promise<void> {
    if (this.peer.destroyed) return;
    const sender = this.peer._pc.getSenders().find((s) => s.track === oldTrack);
    // simple-peer keeps its own track→sender map for later removals, so it does the swap...
    this.peer.replaceTrack(oldTrack, newTrack, this.options.localStream);
    // ...but does not return the sender's promise; replacing with the same track again queues
    // behind it and resolves once the new track is really in place.
    await sender?.replaceTrack(newTrack);
  }

  /** Whether the peer's main data channel is open (control messages can be sent). */
  get connected(): boolean {
    return this.peer.connected;
  }

  /** Sends a peer message; false when the data channel is not open. */
  trySend(message: PeerMessage): boolean {
    if (!this.peer.connected) return false;
    this.peer.send(JSON.stringify(message));
    return true;
  }

  /**
   * A pre-negotiated data channel for file data. Pre-negotiated, because simple-peer treats
   * any announced incoming channel as its own; both sides open the same ID instead.
   */
  openChannel(id: number): RTCDataChannel {
    return this.peer._pc.createDataChannel(`file-${id}`, { negotiated: true, id, ordered: true });
  }

  maxMessageSize(): number {
    return this.peer._pc.sctp?.maxMessageSize ?? 64 * 1024;
  }

  /** Starts sending another stream (a screen share); simple-peer renegotiates. */
  addStream(stream: MediaStream): void {
    if (this.peer.destroyed) return;
    for (const track of stream.getTracks()) this.peer.addTrack(track, stream);
  }

  removeStream(stream: MediaStream): void {
    if (this.peer.destroyed) return;
    for (const track of stream.getTracks()) {
      try {
        this.peer.removeTrack(track, stream);
      } catch {
        // never added to this link (it was created after the share stopped); nothing to remove
      }
    }
  }

  /**
   * Applied once our first offer or answer has gone out (and from then on at once). Not earlier:
   * the first offer was seen waiting behind a setParameters issued right after the connection
   * was created (40-200 ms on a loaded machine). Not as late as the connect either: changing the
   * encoder just as its first frames go out delayed the first remote frame by 100-200 ms.
   */
  async setVideoLimits(limits: VideoSendLimits): Promise<void> {
    this.videoLimits = limits;
    if (this.described) await this.applyVideoLimits();
  }

  /**
   * Signalling is back after an outage. Anything we tried to send meanwhile was dropped, so an
   * unanswered offer is sent again, and a connection that is not healthy is restarted.
   */
  signalingRestored(): void {
    if (this.peer.destroyed) return;
    // A send into a socket that later turned out dead "succeeded" and was lost all the same
    // (e.g. the restart offer made early in a long outage), so a link that is not healthy acts
    // too, not only one whose send visibly failed.
    if (!this.signalLost && this.state === 'connected') return;
    this.signalLost = false;
    const offer = this.peer.pendingOffer();
    if (offer) {
      this.options.sendSignal({ type: 'offer', sdp: offer.sdp });
      // If the other side is still mid-resume the server drops this too; its request for a
      // negotiation, when it is back, then brings the offer once more.
      this.peer.markOfferResentOnRejoin();
    }
    // Our own earlier request may have died with the old socket: ask again, not "once".
    else if (this.state !== 'connected') this.restartIce({ askAgain: true });
  }

  /** New ICE servers (renewed TURN credentials); used by the next gathering, e.g. a restart. */
  setIceServers(iceServers: RTCIceServer[]): void {
    if (this.peer.destroyed) return;
    try {
      this.peer._pc.setConfiguration({ ...this.peer._pc.getConfiguration(), iceServers });
    } catch {
      // Refused only for a closed connection; nothing left to configure.
    }
  }

  destroy(): void {
    clearInterval(this.pollTimer);
    clearTimeout(this.disconnectedTimer);
    this.peer.removeAllListeners();
    this.peer.destroy();
  }

  private setState(next: PeerConnectionState): void {
    if (this.state === next || this.state === 'failed') return;
    this.state = next;
    this.options.onState(next);
  }

  private onIceState(ice: RTCIceConnectionState): void {
    clearTimeout(this.disconnectedTimer);
    if (ice === 'connected' || ice === 'completed') {
      if (this.state === 'reconnecting' || this.state === 'unreachable') this.setState('connected');
      return;
    }
    if (this.state === 'connecting' || this.state === 'unreachable') {
      if (ice === 'failed') this.onSetupFailure();
      return;
    }
    if (ice === 'failed') {
      this.setState('reconnecting');
      this.restartIce();
    } else if (ice === 'disconnected') {
      this.setState('reconnecting');
      this.disconnectedTimer = setTimeout(() => this.restartIce(), DISCONNECTED_GRACE_MS);
    }
  }

  /**
   * A first connection that fails gets one ICE restart (with fresh credentials, in case the
   * relay refused them); failing again, it is reported instead of "connecting" forever. ICE and
   * the connection state may both report one failure, hence the per-attempt flag.
   */
  private onSetupFailure(): void {
    if (this.state !== 'connecting' && this.state !== 'unreachable') return;
    if (this.setupFailureSeen) return;
    this.setupFailureSeen = true;
    if (this.initialFailures++ === 0) this.restartIce();
    else this.setState('unreachable');
  }

  /** Renews TURN credentials first: coturn refuses an allocation with an expired one. */
  private restartIce({ askAgain = false }: { askAgain?: boolean } = {}): void {
    // A restart already under way takes the stronger request with it.
    this.askAgain ||= askAgain;
    if (this.restarting) return;
    this.restarting = true;
    this.setupFailureSeen = false;
    this.options.onIceRestart(++this.iceRestarts);
    const fresh = this.options.freshIceServers?.() ?? Promise.resolve(undefined);
    void fresh.then((servers) => {
      this.restarting = false;
      if (this.peer.destroyed) return;
      if (servers) this.setIceServers(servers);
      this.peer.restartIce({ askAgain: this.askAgain });
      this.askAgain = false;
    });
  }

  private async applyVideoLimits(): Promise<void> {
    const limits = this.videoLimits;
    if (!limits || this.peer.destroyed) return;
    let applied = true;
    for (const sender of this.peer._pc.getSenders()) {
      if (sender.track?.kind !== 'video') continue;
      const parameters = sender.getParameters();
      if (!parameters.encodings || parameters.encodings.length === 0) {
        applied = false; // not negotiated yet
        continue;
      }
      for (const encoding of parameters.encodings) {
        encoding.maxBitrate = limits.maxBitrate;
        encoding.scaleResolutionDownBy = limits.scaleResolutionDownBy;
      }
      try {
        await sender.setParameters(parameters);
      } catch {
        // A renegotiation raced us; the next connect or room-size change applies the limits again.
        applied = false;
      }
    }
    if (applied) this.appliedLimits = limits;
  }

  private async poll(): Promise<void> {
    // Nothing to measure before the first connection, and getStats competes with its setup.
    if (this.peer.destroyed || !this.everConnected) return;
    const pc = this.peer._pc;
    const audioReceiver = pc.getReceivers().find((r) => r.track.kind === 'audio');
    const level = audioReceiver?.getSynchronizationSources()[0]?.audioLevel ?? 0;
    const now = performance.now();
    if (level > SPEAKING_LEVEL) this.lastLoudAt = now;
    const speaking = now - this.lastLoudAt < SPEAKING_HOLD_MS;
    if (speaking !== this.speaking) {
      this.speaking = speaking;
      this.options.onSpeaking(speaking);
    }
    if (this.pollCount++ % 4 === 0) {
      const { stats, totals } = await readStats(pc, this.previousTotals);
      this.previousTotals = totals;
      this.options.onStats(stats);
    }
  }
}

/** Cumulative counters kept between readings, to turn them into rates. */
interface StatsTotals {
  at: number;
  bytesSent: number;
  bytesReceived: number;
  videoBytesSent: number;
  packetsReceived: number;
  packetsLost: number;
}

async function readStats(
  pc: RTCPeerConnection,
  previous: StatsTotals | undefined,
): Promise<{ stats: LinkStats; totals: StatsTotals }> {
  const stats: LinkStats = {
    framesDecoded: 0,
    audioPacketsReceived: 0,
    rttMs: undefined,
    route: undefined,
    localCandidateType: undefined,
    remoteCandidateType: undefined,
    lossPercent: undefined,
    sendKbps: undefined,
    receiveKbps: undefined,
    videoSendKbps: undefined,
  };
  const totals: StatsTotals = {
    at: performance.now(),
    bytesSent: 0,
    bytesReceived: 0,
    videoBytesSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
  };
  const report = await pc.getStats();
  const byId = new Map<string, Record<string, unknown>>();
  report.forEach((entry: Record<string, unknown>) => byId.set(entry.id as string, entry));
  for (const entry of byId.values()) {
    if (entry.type === 'inbound-rtp') {
      totals.packetsReceived += Number(entry.packetsReceived ?? 0);
      totals.packetsLost += Math.max(0, Number(entry.packetsLost ?? 0));
      if (entry.kind === 'video') stats.framesDecoded += Number(entry.framesDecoded ?? 0);
      if (entry.kind === 'audio') stats.audioPacketsReceived += Number(entry.packetsReceived ?? 0);
    }
    if (entry.type === 'outbound-rtp' && entry.kind === 'video')
      totals.videoBytesSent += Number(entry.bytesSent ?? 0);
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string') {
      const pair = byId.get(entry.selectedCandidatePairId);
      if (pair) {
        if (typeof pair.currentRoundTripTime === 'number')
          stats.rttMs = Math.round(pair.currentRoundTripTime * 1000);
        totals.bytesSent += Number(pair.bytesSent ?? 0);
        totals.bytesReceived += Number(pair.bytesReceived ?? 0);
        const local = byId.get(pair.localCandidateId as string);
        const remote = byId.get(pair.remoteCandidateId as string);
        stats.localCandidateType = local?.candidateType as string | undefined;
        stats.remoteCandidateType = remote?.candidateType as string | undefined;
        stats.route =
          local?.candidateType === 'relay' || remote?.candidateType === 'relay'
            ? 'relay'
            : 'direct';
      }
    }
  }
  if (previous) {
    const seconds = (totals.at - previous.at) / 1000;
    // Counters restart when the selected pair changes (an ICE restart): skip that reading.
    const kbps = (now: number, before: number) =>
      seconds > 0 && now >= before ? Math.round(((now - before) * 8) / seconds / 1000) : undefined;
    stats.sendKbps = kbps(totals.bytesSent, previous.bytesSent);
    stats.receiveKbps = kbps(totals.bytesReceived, previous.bytesReceived);
    stats.videoSendKbps = kbps(totals.videoBytesSent, previous.videoBytesSent);
    const received = totals.packetsReceived - previous.packetsReceived;
    const lost = totals.packetsLost - previous.packetsLost;
    if (received >= 0 && lost >= 0 && received + lost > 0)
      stats.lossPercent = Math.round((lost / (received + lost)) * 1000) / 10;
  }
  return { stats, totals };
}
