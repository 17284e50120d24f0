import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, TokenBucket } from './rate-limit.ts';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the configured rate', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    now += 10_000;
    expect(bucket.isFull()).toBe(true);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('KeyedRateLimiter', () => {
  it('limits each key separately and sweeps idle keys', () => {
    let now = 0;
    const limiter = new KeyedRateLimiter(1, 1, () => now);
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    expect(limiter.take('b')).toBe(true);
    limiter.sweep();
    expect(limiter.size).toBe(2);
    now += 1000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
  });
});
