/** Bars for the tests: the bundled real AAPL bars, and generated random walks with flat runs and zero volume. */
import type { OhlcvBar } from '../src/index.js';

/** A deterministic PRNG in [0, 1) (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` one-minute bars of a random walk from 100: highs ≥ open/close ≥ lows, integer volumes, with
 * runs of unchanged closes (a flat market) and bars of zero volume, so the edge cases are met.
 */
export function walk(count: number, seed: number, startMs = Date.UTC(2025, 6, 2, 13, 30)): OhlcvBar[] {
  const r = random(seed);
  const out: OhlcvBar[] = [];
  let close = 100;
  for (let i = 0; i < count; i++) {
    const open = close;
    const flat = r() < 0.05;
    close = flat ? open : Math.max(1, open * (1 + (r() - 0.5) * 0.01));
    const high = Math.max(open, close) * (flat ? 1 : 1 + r() * 0.002);
    const low = Math.min(open, close) * (flat ? 1 : 1 - r() * 0.002);
    const volume = r() < 0.03 ? 0 : Math.floor(r() * 100_000);
    out.push({ startMs: startMs + i * 60_000, open, high, low, close, volume });
  }
  return out;
}
