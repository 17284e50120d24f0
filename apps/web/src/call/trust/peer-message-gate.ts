import type { PeerMessage } from '@parley/protocol';
import { TokenBucket } from './token-bucket.ts';

/**
 * Per-peer rate limits for data-channel messages, applied after validation and before anything
 * reaches the call or the UI. Each kind has its own bucket, so a chat flood cannot starve file
 * acknowledgements and the other way round. Figures: a person types or pastes a few lines a
 * second and drops a few dozen files at once; a transfer acknowledges every MiB, so at the
 * ~40 MiB/s a data channel manages here, a handful of parallel transfers send about 200 a second.
 */
export const PEER_RATE_LIMITS = {
  chat: { burst: 20, perSecond: 2 },
  offer: { burst: 30, perSecond: 1 },
  media: { burst: 20, perSecond: 5 },
  file: { burst: 400, perSecond: 400 },
} as const;

type Bucket = keyof typeof PEER_RATE_LIMITS;

function bucketOf(message: PeerMessage): Bucket {
  switch (message.type) {
    case 'chat':
      return 'chat';
    case 'file-offer':
      return 'offer';
    case 'media-state':
      return 'media';
    default:
      return 'file';
  }
}

export class PeerMessageGate {
  private readonly peers = new Map<string, Record<Bucket, TokenBucket>>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether this message from this peer is within its rate; false means drop it. */
  admit(peerId: string, message: PeerMessage): boolean {
    let buckets = this.peers.get(peerId);
    if (!buckets) {
      const make = ({ burst, perSecond }: { burst: number; perSecond: number }) =>
        new TokenBucket(burst, perSecond, this.now);
      buckets = {
        chat: make(PEER_RATE_LIMITS.chat),
        offer: make(PEER_RATE_LIMITS.offer),
        media: make(PEER_RATE_LIMITS.media),
        file: make(PEER_RATE_LIMITS.file),
      };
      this.peers.set(peerId, buckets);
    }
    return buckets[bucketOf(message)].take();
  }

  forget(peerId: string): void {
    this.peers.delete(peerId);
  }
}
