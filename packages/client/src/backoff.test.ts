import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('grows the cap by the factor per attempt up to the maximum', () => {
    const top = { initialMs: 100, maxMs: 1_000, random: () => 0.999_999 };
    // The cap is 100 · 2^n, bounded by 1,000; the wait is just below it with random → 1.
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('is uniformly spread below the cap (full jitter)', () => {
    expect(backoffDelayMs(3, { initialMs: 100, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(3, { initialMs: 100, random: () => 0.5 })).toBe(400);
    const waits = Array.from({ length: 2_000 }, () => backoffDelayMs(2, { initialMs: 100 }));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...waits)).toBeLessThan(400);
    // Spread, not clustered: both halves of the range are used.
    expect(waits.some((w) => w < 200) && waits.some((w) => w >= 200)).toBe(true);
  });
});
