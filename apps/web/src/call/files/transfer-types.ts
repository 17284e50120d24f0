import type { FileMessage } from '@parley/protocol';

/** The part of an RTCDataChannel a transfer uses (tests pass an in-memory pair). */
export interface DataChannelLike {
  readonly readyState: RTCDataChannelState;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  binaryType: BinaryType;
  send(data: ArrayBuffer | Uint8Array<ArrayBuffer>): void;
  close(): void;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onbufferedamountlow: ((event: Event) => void) | null;
}

/** What a transfer needs from the connection to its peer. */
export interface TransferPeer {
  /** Sends a control message on the peer's main data channel; false if it is down. */
  sendControl(message: FileMessage): boolean;
  /** Opens the pre-negotiated data channel `id` (both sides open the same ID). */
  openChannel(id: number): DataChannelLike;
  /** Largest message the peer accepts (the negotiated SCTP max message size). */
  maxMessageSize(): number;
}

/** Opening a sink failed because the browser's storage cannot hold the file. */
export class NoRoomError extends Error {
  constructor(readonly freeBytes: number) {
    super('not enough storage for this file');
  }
}

/** Where received bytes go: OPFS in the browser, memory in tests. */
export interface ByteSink {
  /**
   * Writes `chunks` one after another from `position`. Bytes arrive in order from position 0
   * and are never rewritten. Takes ownership of the buffers (they are transferred, not copied).
   */
  write(chunks: ArrayBuffer[], position: number): Promise<void>;
  /** The file digest (see file-digest.ts) of everything written, once the last write resolved. */
  digest(): Promise<string>;
  /** Flushes and returns the finished, disk-backed file. */
  finish(): Promise<File>;
  /** Deletes whatever was written (cancel, failure, mismatch). */
  discard(): Promise<void>;
}

export type TransferState =
  | 'offered' // waiting for the receiver to accept
  | 'transferring'
  | 'interrupted' // the connection dropped; resumes from the last byte when it returns
  | 'verifying'
  | 'done'
  | 'declined'
  | 'cancelled'
  | 'failed';

/** What the UI shows of one transfer: plain data. */
export interface TransferSnapshot {
  id: string;
  direction: 'in' | 'out';
  peerId: string;
  /** Sanitised for display and saving. */
  name: string;
  size: number;
  /** Bytes confirmed so far (received, for the receiver; acknowledged, for the sender). */
  transferred: number;
  /** Sender only: every byte put on the wire, resends included. */
  bytesSent: number;
  state: TransferState;
  /** Bytes per second over the last few seconds. */
  speed: number;
  /** Seconds left at the current speed, when known. */
  eta: number | undefined;
  verified: boolean;
  error: string | undefined;
  /** Receiver, once verified: an object URL of the disk-backed file, for a normal download. */
  downloadUrl: string | undefined;
}

export const TERMINAL_STATES: readonly TransferState[] = [
  'done',
  'declined',
  'cancelled',
  'failed',
];
