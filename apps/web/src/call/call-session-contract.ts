import type { PeerLink, PeerLinkOptions } from './peer-link.ts';
import type { TransferSnapshot } from './files/transfer-types.ts';
import type { LocalMediaSession, LocalMediaState } from './media/local-media-session.ts';
import type { SessionFilesOptions } from './session-files.ts';
import type {
  ClosedReason,
  DoorMessage,
  SignalingClientOptions,
  SignalingStatus,
} from './signaling-client.ts';
import type { DropCounts } from './trust/drop-counter.ts';
import type { TrustStore } from './verification/trust-store.ts';
import type { ChatEntry, Participant } from './participant.ts';

/*
 * What a CallSession promises its users (the events it emits) and what it needs from them
 * (its options, and the narrow views of a peer link and of local media that tests fake).
 */

export type CallSessionEvents = {
  status: [status: SignalingStatus];
  self: [selfId: string];
  'participant-joined': [participant: Participant];
  'participant-updated': [participant: Participant];
  'participant-left': [participantId: string];
  'remote-stream': [participantId: string, stream: MediaStream];
  'local-media': [state: LocalMediaState];
  /** Our screen share started (the stream) or stopped (undefined). */
  'local-screen': [stream: MediaStream | undefined];
  chat: [entry: ChatEntry];
  transfer: [snapshot: TransferSnapshot];
  /** Totals of peer messages dropped (invalid, over a rate or a cap); at most once a second. */
  dropped: [counts: DropCounts];
  closed: [reason: ClosedReason];
  /** Lock and knock news for the UI. */
  door: [message: Exclude<DoorMessage, { type: 'peer-updated' }>];
  /** The server shows us under another name (it told us apart from a namesake). */
  'self-name': [displayName: string];
  /** The server speaks a newer protocol than this page (it was upgraded during the call). */
  'server-updated': [serverProtocol: number];
};

/** What the session needs of a link; tests substitute an in-memory fake. */
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
  | 'signalingLost'
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
  loadFileTransfers?: SessionFilesOptions['load'];
}
