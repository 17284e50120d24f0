/**
 * Token bucket: `capacity` tokens, refilled continuously at `refillPerSecond`. Time is injected
 * so that tests can drive it without sleeping.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes one token; false means the caller is over its rate. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.last) / 1000) * this.refillPerSecond,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True once the bucket has refilled completely, i.e. it carries no state worth keeping. */
  isFull(): boolean {
    return this.tokens + ((this.now() - this.last) / 1000) * this.refillPerSecond >= this.capacity;
  }
}

/** One bucket per key (e.g. client IP), with idle buckets swept so the map cannot grow forever. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  take(key: string): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.capacity, this.refillPerSecond, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  /** Drops buckets that have refilled: forgetting them changes nothing. Call periodically. */
  sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
