import {
  FILE_CHANNEL_ID_MAX,
  FILE_CHANNEL_ID_MIN,
  randomId,
  type FileMessage,
} from '@parley/protocol';
import { IncomingTransfer } from './incoming-transfer.ts';
import { FileDigest } from './file-digest.ts';
import { clearOpfsLeftovers, openOpfsSink } from './opfs-sink.ts';
import { OutgoingTransfer } from './outgoing-transfer.ts';
import { formatBytes } from './format-bytes.ts';
import { sanitizeFileName } from './sanitize-file-name.ts';
import type { ByteSink, TransferPeer, TransferSnapshot } from './transfer-types.ts';

export interface FileTransfersOptions {
  /** The transport to a peer, or undefined if it is not in the call. */
  peer(peerId: string): TransferPeer | undefined;
  /** Whether we are the polite side with this peer: it picks the parity of our channel IDs. */
  isPolite(peerId: string): boolean;
  displayName(peerId: string): string;
  onUpdate(snapshot: TransferSnapshot): void;
  /** The admin's limit, as announced by the server when we joined. */
  maxFileBytes: () => number;
  /** An offer was refused unseen: the peer already has MAX_PENDING_OFFERS_PER_PEER waiting. */
  onOfferRefused?: () => void;
  openSink?: (transferId: string, size: number) => Promise<ByteSink>;
}

/**
 * Offers one peer may have waiting for our answer at once. More than anyone would go through by
 * hand; past it, offers are declined unseen so a flood cannot bury the Files panel.
 */
export const MAX_PENDING_OFFERS_PER_PEER = 20;

/**
 * Every file transfer of the call, both directions. Loaded on first use, so it costs the call
 * page nothing until someone sends a file.
 */
export class FileTransfers {
  private readonly outgoing = new Map<string, { transfer: OutgoingTransfer; peerId: string }>();
  private readonly incoming = new Map<string, { transfer: IncomingTransfer; peerId: string }>();
  private readonly usedChannelIds = new Map<string, Set<number>>();
  /** One digest per file, however many peers it goes to: each block is hashed once. */
  private readonly digests = new WeakMap<Blob, FileDigest>();

  constructor(private readonly options: FileTransfersOptions) {
    if (!options.openSink) void clearOpfsLeftovers().catch(() => undefined);
  }

  /** Offers each file to each peer separately, so each peer has its own pace and progress. */
  async send(files: File[], peerIds: string[]): Promise<void> {
    for (const file of files) {
      for (const peerId of peerIds) {
        const peer = this.options.peer(peerId);
        if (!peer) continue;
        const id = randomId();
        const transfer = new OutgoingTransfer({
          id,
          peerId,
          file,
          name: sanitizeFileName(file.name),
          mime: file.type.slice(0, 255),
          peer,
          digest: this.digestOf(file),
          onUpdate: this.options.onUpdate,
        });
        this.outgoing.set(id, { transfer, peerId });
        transfer.start();
      }
    }
  }

  handle(peerId: string, message: FileMessage): void {
    if (message.type === 'file-offer') return this.offered(peerId, message);
    // Only the peer a transfer belongs to may steer it.
    const out = this.outgoing.get(message.transferId);
    if (out?.peerId === peerId) return out.transfer.handle(message);
    const inc = this.incoming.get(message.transferId);
    if (inc?.peerId === peerId) inc.transfer.handle(message);
  }

  accept(id: string): void {
    void this.incoming.get(id)?.transfer.accept();
  }

  decline(id: string): void {
    this.incoming.get(id)?.transfer.decline();
  }

  cancel(id: string): void {
    this.outgoing.get(id)?.transfer.cancel();
    this.incoming.get(id)?.transfer.cancel();
  }

  /** The peer's connection is (back) up: interrupted downloads continue where they stopped. */
  peerConnected(peerId: string): void {
    for (const { transfer, peerId: owner } of this.incoming.values())
      if (owner === peerId) transfer.resume();
  }

  peerLeft(peerId: string): void {
    const name = this.options.displayName(peerId);
    for (const { transfer, peerId: owner } of this.outgoing.values())
      if (owner === peerId) transfer.peerGone(name);
    for (const { transfer, peerId: owner } of this.incoming.values())
      if (owner === peerId) transfer.peerGone(name);
    this.usedChannelIds.delete(peerId);
  }

  dispose(): void {
    for (const { transfer } of this.outgoing.values()) transfer.cancel();
    for (const { transfer } of this.incoming.values()) transfer.dispose();
    this.outgoing.clear();
    this.incoming.clear();
  }

  private offered(peerId: string, offer: Extract<FileMessage, { type: 'file-offer' }>): void {
    const peer = this.options.peer(peerId);
    if (!peer || this.incoming.has(offer.transferId)) return;
    if (this.pendingOffersFrom(peerId) >= MAX_PENDING_OFFERS_PER_PEER) {
      peer.sendControl({ type: 'file-decline', transferId: offer.transferId });
      return this.options.onOfferRefused?.();
    }
    const transfer = new IncomingTransfer({
      offer,
      peerId,
      peer,
      openSink: this.options.openSink ?? openOpfsSink,
      allocateChannelId: () => this.allocateChannelId(peerId),
      releaseChannelId: (id) => this.usedChannelIds.get(peerId)?.delete(id),
      onUpdate: this.options.onUpdate,
    });
    this.incoming.set(offer.transferId, { transfer, peerId });
    const limit = this.options.maxFileBytes();
    if (offer.size > limit) transfer.refuseTooLarge(formatBytes(limit));
    else transfer.announce();
  }

  private pendingOffersFrom(peerId: string): number {
    let pending = 0;
    for (const { transfer, peerId: owner } of this.incoming.values())
      if (owner === peerId && transfer.awaitingAnswer) pending++;
    return pending;
  }

  private digestOf(file: Blob): FileDigest {
    let digest = this.digests.get(file);
    if (!digest) this.digests.set(file, (digest = new FileDigest(file)));
    return digest;
  }

  /**
   * Channel IDs are chosen by the receiving side. Both sides of a pair may receive at once, so
   * the polite side takes even IDs and the other odd ones: they can never collide.
   */
  private allocateChannelId(peerId: string): number {
    let used = this.usedChannelIds.get(peerId);
    if (!used) this.usedChannelIds.set(peerId, (used = new Set()));
    const parity = this.options.isPolite(peerId) ? 0 : 1;
    for (let id = FILE_CHANNEL_ID_MIN + parity; id <= FILE_CHANNEL_ID_MAX; id += 2) {
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
    throw new Error('too many simultaneous transfers with one participant');
  }
}
