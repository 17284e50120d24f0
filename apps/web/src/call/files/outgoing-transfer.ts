import { FILE_DIGEST_BLOCK_BYTES, type FileMessage } from '@parley/protocol';
import { FileDigest } from './file-digest.ts';
import { TransferReporter } from './transfer-reporter.ts';
import {
  TERMINAL_STATES,
  type DataChannelLike,
  type TransferPeer,
  type TransferSnapshot,
  type TransferState,
} from './transfer-types.ts';

/** Unacknowledged bytes allowed in flight: bounds what the receiver may have to buffer. */
export const SEND_WINDOW_BYTES = 16 * 1024 * 1024;
/** Pause sending while the channel's own queue holds more than this (Chromium throws past ~16 MiB). */
const BUFFER_HIGH_BYTES = 4 * 1024 * 1024;
const BUFFER_LOW_BYTES = 1024 * 1024;
/** SCTP messages above 256 KiB are refused by Chromium; larger chunks bring nothing (measured). */
export const MAX_CHUNK_BYTES = 256 * 1024;
/**
 * The file is read in the digest's blocks (each Blob read is a round trip to the browser, so
 * they are large), and each block is both hashed and sent in chunks: the file is read once.
 */
const READ_BLOCK_BYTES = FILE_DIGEST_BLOCK_BYTES;

export interface OutgoingTransferOptions {
  id: string;
  peerId: string;
  file: Blob;
  name: string;
  mime: string;
  peer: TransferPeer;
  /** The file's digest, shared by every transfer of this file; the send loop feeds it blocks. */
  digest: FileDigest;
  onUpdate: (snapshot: TransferSnapshot) => void;
}

/**
 * Sends one file to one peer, reading it block by block (never whole) and hashing what it reads.
 * Each peer gets its own transfer, so a slow peer only ever slows itself. After a drop the
 * receiver accepts again with the offset it has, and sending continues from there.
 */
export class OutgoingTransfer {
  private state: TransferState = 'offered';
  private acked = 0;
  private bytesSent = 0;
  private channel: DataChannelLike | undefined;
  /** Bumped whenever sending (re)starts or stops: a loop whose generation is stale exits. */
  private generation = 0;
  private wake: (() => void) | undefined;
  private error: string | undefined;
  private verified = false;
  private readonly reporter: TransferReporter;

  constructor(private readonly options: OutgoingTransferOptions) {
    this.reporter = new TransferReporter(options.onUpdate);
  }

  get id(): string {
    return this.options.id;
  }

  get finished(): boolean {
    return TERMINAL_STATES.includes(this.state);
  }

  start(): void {
    const { id, name, file, mime } = this.options;
    this.options.peer.sendControl({
      type: 'file-offer',
      transferId: id,
      name,
      size: file.size,
      mime,
    });
    this.update(true);
  }

  handle(message: FileMessage): void {
    if (this.finished) return;
    switch (message.type) {
      case 'file-accept':
        return void this.send(message.offset, message.channelId);
      case 'file-decline':
        return this.finish('declined');
      case 'file-cancel':
        return this.finish(
          message.reason === 'cancelled' ? 'cancelled' : 'failed',
          message.reason === 'too-large'
            ? 'The file is larger than the receiver accepts.'
            : undefined,
        );
      case 'file-ack':
        this.acked = Math.max(this.acked, Math.min(message.offset, this.options.file.size));
        this.reporter.progress(this.acked);
        this.wake?.();
        return this.update();
      case 'file-result':
        this.verified = message.verified;
        return message.verified
          ? this.finish('done')
          : this.finish('failed', 'The receiver got a damaged copy (checksum mismatch).');
      default:
        return; // offers and ends only travel the other way
    }
  }

  cancel(): void {
    if (this.finished) return;
    this.options.peer.sendControl({
      type: 'file-cancel',
      transferId: this.id,
      reason: 'cancelled',
    });
    this.finish('cancelled');
  }

  private cancelWith(error: string): void {
    this.options.peer.sendControl({ type: 'file-cancel', transferId: this.id, reason: 'failed' });
    this.finish('failed', error);
  }

  /** The peer left the call for good. */
  peerGone(name: string): void {
    if (!this.finished)
      this.finish('failed', `${name} left the call before the transfer finished.`);
  }

  private async send(offset: number, channelId: number): Promise<void> {
    const generation = ++this.generation;
    this.wake?.();
    this.channel?.close();
    const channel = this.options.peer.openChannel(channelId);
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = BUFFER_LOW_BYTES;
    channel.onbufferedamountlow = () => this.wake?.();
    channel.onclose = () => {
      if (generation !== this.generation || this.finished) return;
      // The receiver will accept again from what it has; until then there is nothing to do.
      this.generation++;
      this.setState('interrupted');
      this.wake?.();
    };
    if (channel.readyState !== 'open') {
      await new Promise<void>((resolve) => {
        channel.onopen = () => resolve();
        this.wake = resolve;
      });
    }
    if (generation !== this.generation) return;
    this.acked = offset;
    this.reporter.restart();
    this.setState('transferring');
    await this.pump(channel, offset, generation);
  }

  private async pump(channel: DataChannelLike, start: number, generation: number): Promise<void> {
    const { file, peer } = this.options;
    const chunkSize = Math.max(16 * 1024, Math.min(MAX_CHUNK_BYTES, peer.maxMessageSize()));
    let offset = start;
    let block = new Uint8Array(0);
    let blockIndex = -1;
    // The next block is read while this one is sent, so a read never leaves the channel idle.
    let next: { index: number; bytes: Promise<Uint8Array<ArrayBuffer>> } | undefined;
    const read = (index: number) => {
      const { start: from, end } = FileDigest.blockRange(index, file.size);
      const bytes = file
        .slice(from, end)
        .arrayBuffer()
        .then((buffer) => new Uint8Array(buffer));
      bytes.catch(() => undefined); // awaited below, or dropped when sending stops
      return { index, bytes };
    };
    while (offset < file.size) {
      if (generation !== this.generation) return;
      if (offset - this.acked >= SEND_WINDOW_BYTES || channel.bufferedAmount > BUFFER_HIGH_BYTES) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const index = Math.floor(offset / READ_BLOCK_BYTES);
      if (index !== blockIndex) {
        const reading = next?.index === index ? next : read(index);
        try {
          block = await reading.bytes;
        } catch {
          if (generation === this.generation)
            this.cancelWith('Could not read the file (was it moved or deleted?).');
          return;
        }
        if (generation !== this.generation) return;
        blockIndex = index;
        this.options.digest.noteBlock(index, block);
        next = (index + 1) * READ_BLOCK_BYTES < file.size ? read(index + 1) : undefined;
      }
      const blockStart = blockIndex * READ_BLOCK_BYTES;
      const end = Math.min(file.size, offset + chunkSize, blockStart + block.length);
      try {
        // A view, not a copy: the channel copies what it is given before send() returns.
        channel.send(block.subarray(offset - blockStart, end - blockStart));
      } catch {
        return; // the channel closed under us; onclose marks the transfer interrupted
      }
      this.bytesSent += end - offset;
      offset = end;
      this.update();
    }
    let digest: string;
    try {
      digest = await this.options.digest.digest();
    } catch {
      return this.cancelWith('Could not read the file to check it.');
    }
    if (generation !== this.generation) return;
    peer.sendControl({ type: 'file-end', transferId: this.id, digest });
  }

  private finish(state: TransferState, error?: string): void {
    this.generation++;
    this.wake?.();
    this.channel?.close();
    this.channel = undefined;
    this.error = error;
    this.setState(state);
  }

  private setState(state: TransferState): void {
    this.state = state;
    this.update(true);
  }

  private update(force = false): void {
    const size = this.options.file.size;
    const base = {
      id: this.id,
      direction: 'out',
      peerId: this.options.peerId,
      name: this.options.name,
      size,
      transferred: this.acked,
      bytesSent: this.bytesSent,
      state: this.state,
      verified: this.verified,
      error: this.error,
      downloadUrl: undefined,
    } as const;
    this.reporter.report(base, size - this.acked, force);
  }
}
