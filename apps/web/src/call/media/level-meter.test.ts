import { describe, expect, it } from 'vitest';
import { analyserSizeFor, LEVEL_WINDOW_MS } from './level-meter.ts';

describe('analyserSizeFor', () => {
  it('holds at least the window at every common microphone rate, as a power of two', () => {
    for (const rate of [8000, 16000, 22050, 44100, 48000, 96000]) {
      const size = analyserSizeFor(rate, LEVEL_WINDOW_MS);
      expect(Math.log2(size) % 1).toBe(0);
      expect((size / rate) * 1000).toBeGreaterThanOrEqual(LEVEL_WINDOW_MS);
      // The smallest such size: half of it would not hold the window.
      expect((size / 2 / rate) * 1000).toBeLessThan(LEVEL_WINDOW_MS);
    }
  });

  it("stays within AnalyserNode's limits", () => {
    expect(analyserSizeFor(8000, 1)).toBe(32);
    expect(analyserSizeFor(384000, 1000)).toBe(32768);
  });
});
