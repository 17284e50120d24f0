import type { FileMessage, FileOffer } from '@parley/protocol';
import { formatBytes } from './format-bytes.ts';
import { sanitizeFileName } from './sanitize-file-name.ts';
import { TransferReporter } from './transfer-reporter.ts';
import {
  NoRoomError,
  TERMINAL_STATES,
  type ByteSink,
  type DataChannelLike,
  type TransferPeer,
  type TransferSnapshot,
  type TransferState,
} from './transfer-types.ts';

/** Acknowledge written bytes this often; the sender keeps at most its window beyond the last ack. */
const ACK_EVERY_BYTES = 1024 * 1024;
/** Write to disk in batches this large: each write is a round trip to the browser's file system. */
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

export interface IncomingTransferOptions {
  offer: FileOffer;
  peerId: string;
  peer: TransferPeer;
  /** Where the bytes go; it also hashes them (see ByteSink.digest). */
  openSink: (transferId: string, size: number) => Promise<ByteSink>;
  /** A free pre-negotiated channel ID for this peer (see FILE_CHANNEL_ID_MIN). */
  allocateChannelId: () => number;
  releaseChannelId: (id: number) => void;
  onUpdate: (snapshot: TransferSnapshot) => void;
}

/**
 * Receives one file: nothing flows until `accept()`. Bytes go straight to the sink, which
 * writes them to disk and hashes them; the finished file is kept only if its digest matches
 * the sender's.
 */
export class IncomingTransfer {
  private state: TransferState = 'offered';
  readonly name: string;
  private sink: ByteSink | undefined;
  private channel: { channel: DataChannelLike; id: number } | undefined;
  private received = 0;
  private written = 0;
  private lastAck = 0;
  private writes: Promise<void> = Promise.resolve();
  /** Received bytes not yet handed to the sink, and where they start. */
  private batch: { position: number; chunks: ArrayBuffer[]; bytes: number } = {
    position: 0,
    chunks: [],
    bytes: 0,
  };
  private expectedDigest: string | undefined;
  private verified = false;
  private error: string | undefined;
  private downloadUrl: string | undefined;
  private readonly reporter: TransferReporter;

  constructor(private readonly options: IncomingTransferOptions) {
    this.name = sanitizeFileName(options.offer.name);
    this.reporter = new TransferReporter(options.onUpdate);
  }

  get id(): string {
    return this.options.offer.transferId;
  }

  /** Offered and not yet accepted or declined. */
  get awaitingAnswer(): boolean {
    return this.state === 'offered';
  }

  get finished(): boolean {
    return TERMINAL_STATES.includes(this.state);
  }

  announce(): void {
    this.update(true);
  }

  async accept(): Promise<void> {
    if (this.state !== 'offered') return;
    this.setState('transferring');
    try {
      this.sink = await this.options.openSink(this.id, this.options.offer.size);
    } catch (error) {
      return this.fail(
        error instanceof NoRoomError
          ? `Not enough browser storage for this file: it needs ${formatBytes(this.options.offer.size)} and ${formatBytes(error.freeBytes)} is free.`
          : 'There is no room to save this file in the browser storage.',
        'failed',
      );
    }
    // Cancelled or declined while storage was opening: stay stopped.
    if (!this.finished) this.request();
  }

  decline(): void {
    if (this.state !== 'offered') return;
    this.options.peer.sendControl({ type: 'file-decline', transferId: this.id });
    this.setState('declined');
  }

  cancel(): void {
    if (this.finished) return;
    this.options.peer.sendControl({
      type: 'file-cancel',
      transferId: this.id,
      reason: 'cancelled',
    });
    void this.stop('cancelled');
  }

  /** Refuse an offer over the configured size limit without asking the user. */
  refuseTooLarge(limitText: string): void {
    this.options.peer.sendControl({
      type: 'file-cancel',
      transferId: this.id,
      reason: 'too-large',
    });
    this.error = `Refused: larger than the ${limitText} limit.`;
    this.setState('failed');
  }

  handle(message: FileMessage): void {
    if (this.finished) return;
    switch (message.type) {
      case 'file-end':
        this.expectedDigest = message.digest;
        return void this.maybeVerify();
      case 'file-cancel':
        return void this.stop(
          message.reason === 'cancelled' ? 'cancelled' : 'failed',
          message.reason === 'cancelled' ? undefined : 'The sender stopped the transfer.',
        );
      default:
        return;
    }
  }

  /** The link to the sender is (back) up: continue an interrupted transfer from our offset. */
  resume(): void {
    if (this.state === 'interrupted') this.request();
  }

  peerGone(name: string): void {
    if (!this.finished)
      void this.stop('failed', `${name} left the call before the transfer finished.`);
  }

  /** Opens a fresh data channel and asks for the bytes from `received` on. */
  private request(): void {
    this.closeChannel();
    this.flush();
    const id = this.options.allocateChannelId();
    const channel = this.options.peer.openChannel(id);
    this.channel = { channel, id };
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event) => this.receive(event.data as ArrayBuffer);
    channel.onclose = () => {
      if (
        this.channel?.channel !== channel ||
        this.finished ||
        this.received === this.options.offer.size
      )
        return;
      this.channel = undefined;
      this.options.releaseChannelId(id);
      this.setState('interrupted');
      // Ask again at once: if the link itself is fine (only this channel died), that is all it
      // takes. If it is down, the file-accept cannot be sent, the transfer stays interrupted,
      // and FileTransfers.peerConnected resumes it when CallSession sees the link connected.
      this.request();
    };
    const sent = this.options.peer.sendControl({
      type: 'file-accept',
      transferId: this.id,
      offset: this.received,
      channelId: id,
    });
    this.reporter.restart();
    this.setState(sent ? 'transferring' : 'interrupted');
  }

  private receive(data: ArrayBuffer): void {
    if (this.state !== 'transferring' || !this.sink) return;
    const size = this.options.offer.size;
    if (!(data instanceof ArrayBuffer) || this.received + data.byteLength > size) {
      this.options.peer.sendControl({ type: 'file-cancel', transferId: this.id, reason: 'failed' });
      return void this.stop('failed', 'The sender sent more data than it announced.');
    }
    if (this.batch.bytes === 0) this.batch.position = this.received;
    this.batch.chunks.push(data);
    this.batch.bytes += data.byteLength;
    this.received += data.byteLength;
    if (this.batch.bytes >= WRITE_BATCH_BYTES || this.received === size) this.flush();
    if (this.received === size) void this.maybeVerify();
  }

  /**
   * Hands the batch to the sink as the chunks it arrived in (transferred, not merged into one
   * buffer: a copy of every byte saved). Each batch is handed over at once, in order, and the
   * sink queues it; acknowledgements follow the writes in that same order.
   */
  private flush(): void {
    const sink = this.sink;
    const { position, chunks, bytes } = this.batch;
    this.batch = { position: this.received, chunks: [], bytes: 0 };
    if (!sink || bytes === 0) return;
    const size = this.options.offer.size;
    const write = sink.write(chunks, position);
    this.writes = Promise.all([this.writes, write]).then(() => {
      this.written = position + bytes;
      if (this.written - this.lastAck >= ACK_EVERY_BYTES || this.written === size) {
        this.lastAck = this.written;
        this.options.peer.sendControl({
          type: 'file-ack',
          transferId: this.id,
          offset: this.written,
        });
      }
      this.reporter.progress(this.written);
      this.update();
    });
    this.writes.catch(() => this.fail('Saving the file failed (is the disk full?).', 'failed'));
  }

  /** The end message and the last bytes travel on different channels: verify once both are here. */
  private async maybeVerify(): Promise<void> {
    if (
      this.expectedDigest === undefined ||
      this.received !== this.options.offer.size ||
      this.state === 'verifying'
    )
      return;
    this.setState('verifying');
    await this.writes.catch(() => undefined);
    if (this.finished || !this.sink) return;
    const ok = (await this.sink.digest().catch(() => undefined)) === this.expectedDigest;
    if (this.finished) return;
    this.options.peer.sendControl({ type: 'file-result', transferId: this.id, verified: ok });
    if (!ok)
      return void this.stop(
        'failed',
        'The file arrived damaged (checksum mismatch) and was deleted.',
      );
    const file = await this.sink.finish();
    this.closeChannel();
    this.verified = true;
    this.downloadUrl = URL.createObjectURL(file);
    this.setState('done');
  }

  private fail(error: string, state: TransferState): void {
    this.options.peer.sendControl({ type: 'file-cancel', transferId: this.id, reason: 'failed' });
    void this.stop(state, error);
  }

  private async stop(state: TransferState, error?: string): Promise<void> {
    this.closeChannel();
    this.error = error;
    this.setState(state);
    await this.writes.catch(() => undefined);
    await this.sink?.discard().catch(() => undefined);
  }

  private closeChannel(): void {
    if (!this.channel) return;
    const { channel, id } = this.channel;
    this.channel = undefined;
    channel.onclose = null;
    channel.onmessage = null;
    channel.close();
    this.options.releaseChannelId(id);
  }

  /** Releases the object URL of a finished download (the user dismissed it or left). */
  dispose(): void {
    if (!this.finished) this.cancel();
    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
  }

  private setState(state: TransferState): void {
    this.state = state;
    this.update(true);
  }

  private update(force = false): void {
    const { size } = this.options.offer;
    const base = {
      id: this.id,
      direction: 'in',
      peerId: this.options.peerId,
      name: this.name,
      size,
      transferred: this.received,
      bytesSent: 0,
      state: this.state,
      verified: this.verified,
      error: this.error,
      downloadUrl: this.downloadUrl,
    } as const;
    this.reporter.report(base, size - this.written, force);
  }
}
