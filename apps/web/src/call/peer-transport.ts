import type { SignalPayload } from '@parley/protocol';

/**
 * The WebRTC connection to one participant, as the rest of the call code sees it: the narrow,
 * typed surface of the peer library. Only `simple-peer-transport.ts` knows which library is
 * behind it (and its internals); the link, its recovery and its monitor use this interface.
 */
export interface PeerTransport {
  /** Destroyed by us or by the library (a fatal error); nothing more will happen. */
  readonly destroyed: boolean;
  /** The main data channel is open: peer messages can be sent. */
  readonly channelOpen: boolean;
  on<E extends keyof PeerTransportEvents>(event: E, listener: PeerTransportEvents[E]): void;
  /** An offer, answer, candidate or request from the other side. */
  signal(payload: SignalPayload): void;
  send(text: string): void;
  /** Swaps a track on its sender; resolves once the new track is really in place. */
  replaceTrack(
    oldTrack: MediaStreamTrack,
    newTrack: MediaStreamTrack,
    stream: MediaStream,
  ): Promise<void>;
  /** Starts or stops sending a stream's tracks (the library renegotiates). */
  addStream(stream: MediaStream): void;
  removeStream(stream: MediaStream): void;
  /** A data channel both sides open with the same ID, without announcing it. */
  openNegotiatedChannel(label: string, id: number): RTCDataChannel;
  maxMessageSize(): number;
  /** Used by the next ICE gathering (a restart); refused silently once closed. */
  setIceServers(iceServers: RTCIceServer[]): void;
  /**
   * The initiator restarts ICE with a new offer; the polite side asks the initiator to. The
   * library sends the polite side's request once and drops repeats until an offer arrives;
   * `askAgain` sends it anyway (the first may have gone into a dead socket). `afterRejoin` marks
   * the initiator's next offer as sent on a signalling rejoin (see stale-negotiation.ts).
   */
  restartIce(request: { askAgain: boolean; afterRejoin: boolean }): void;
  /** Initiator only: the next offer (e.g. one a renegotiation request brings) restarts ICE. */
  flagIceRestart(): void;
  /** Whether an offer of ours is still unanswered. */
  hasPendingOffer(): boolean;
  /** Sends the unanswered offer again (after a rejoin); false when there is none. */
  resendPendingOffer(): boolean;
  /** Senders currently carrying video (for the bitrate limits). */
  videoSenders(): RTCRtpSender[];
  /** The latest audio level (0..1) of the incoming audio, 0 when there is none. */
  incomingAudioLevel(): number;
  getStats(): Promise<RTCStatsReport>;
  /**
   * The live connection, read-only: its descriptions and certificate stats (verification
   * codes) and its transceivers (the transceiver-request guard). Nothing may drive it.
   */
  peerConnection(): RTCPeerConnection;
  destroy(): void;
}

export interface PeerTransportEvents {
  signal: (payload: SignalPayload) => void;
  /** The main data channel opened (the first connection is up). */
  connect: () => void;
  track: (track: MediaStreamTrack, stream: MediaStream) => void;
  /** A text message on the main data channel. */
  message: (text: string) => void;
  /** Every ICE connection state report, repeats included. `failed` does not end the transport. */
  iceState: (state: RTCIceConnectionState) => void;
  /** The connection state reached `failed`: for a first connection the only failure signal. */
  connectionFailed: () => void;
  /** The library gave up (an error, or the data channel closed): the transport is dead. */
  closed: () => void;
}

export interface PeerTransportOptions {
  /** Only the initiator (our impolite side) ever makes offers. */
  initiator: boolean;
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  /** Sent from the first offer on. */
  streams: MediaStream[];
  /** Our persistent DTLS certificate, so verification codes stay the same across calls. */
  certificates?: RTCCertificate[] | undefined;
}

export type CreatePeerTransport = (options: PeerTransportOptions) => PeerTransport;
