import { describe, expect, it } from 'vitest';
import { MAX_LINK_VIDEO_BPS, TOTAL_VIDEO_BUDGET_BPS, videoLimitsFor } from './bitrate-policy.ts';

describe('videoLimitsFor', () => {
  it('keeps every sender total outgoing video within the budget at every room size', () => {
    for (let n = 2; n <= 10; n++) {
      const { maxBitrate } = videoLimitsFor(n);
      expect(maxBitrate * (n - 1)).toBeLessThanOrEqual(TOTAL_VIDEO_BUDGET_BPS);
      expect(maxBitrate).toBeLessThanOrEqual(MAX_LINK_VIDEO_BPS);
    }
  });

  it('shrinks the per-link cap and the resolution as the room grows', () => {
    expect(videoLimitsFor(2)).toEqual({ maxBitrate: 1_200_000, scaleResolutionDownBy: 1 });
    expect(videoLimitsFor(4)).toEqual({ maxBitrate: 800_000, scaleResolutionDownBy: 1.5 });
    expect(videoLimitsFor(6)).toEqual({ maxBitrate: 480_000, scaleResolutionDownBy: 2 });
  });
});
