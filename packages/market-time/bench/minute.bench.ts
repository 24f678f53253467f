// Epoch ms → New York session minute for N one-minute bars: the cached-offset hot path versus one Temporal
// call per bar, in the same run on the same bars. Run: `pnpm bench` (or `pnpm bench --bars 1000000`).
import { performance } from 'node:perf_hooks';
import { Temporal } from 'temporal-polyfill';
import { MARKET_TIME_ZONE, MINUTE_MS, minuteOfSession } from '../src/index.js';

const flag = process.argv.indexOf('--bars');
const bars = flag === -1 ? 10_000_000 : Number(process.argv[flag + 1]);
if (!Number.isInteger(bars) || bars <= 0) throw new Error('--bars needs a positive integer');

// Consecutive minutes from the 2010-01-04 open: ~19 years for 10M bars, crossing every DST change between.
const startMs = Date.parse('2010-01-04T14:30:00Z');

function cached(): number {
  let checksum = 0;
  for (let i = 0; i < bars; i++) checksum += minuteOfSession(startMs + i * MINUTE_MS);
  return checksum;
}

function temporalPerBar(): number {
  let checksum = 0;
  for (let i = 0; i < bars; i++) {
    const z = Temporal.Instant.fromEpochMilliseconds(startMs + i * MINUTE_MS).toZonedDateTimeISO(
      MARKET_TIME_ZONE,
    );
    checksum += z.hour * 60 + z.minute - 570;
  }
  return checksum;
}

function time(run: () => number): { ms: number; checksum: number } {
  const t0 = performance.now();
  const checksum = run();
  return { ms: performance.now() - t0, checksum };
}

cached(); // warm the offset cache and the JIT on the same bars, so the timed run measures the hot path
const fast = time(cached);
const slow = time(temporalPerBar);
if (fast.checksum !== slow.checksum) throw new Error(`results differ: ${fast.checksum} vs ${slow.checksum}`);

const fmt = (ms: number) => ms.toFixed(0).padStart(8);
console.log(`bars: ${bars.toLocaleString('en-US')} (node ${process.version})`);
console.log(
  `cached offset (minuteOfSession): ${fmt(fast.ms)} ms  ${((fast.ms * 1e6) / bars).toFixed(1)} ns/bar`,
);
console.log(
  `Temporal per bar:                ${fmt(slow.ms)} ms  ${((slow.ms * 1e6) / bars).toFixed(1)} ns/bar`,
);
console.log(`ratio: ${(slow.ms / fast.ms).toFixed(1)}x faster (same results, checksum ${fast.checksum})`);
