/**
 * Ingest throughput (1m bars/s with all five intervals and metrics), bytes per stored bar (heap), and the
 * size of `current_bars` JSON against the same bars as an array of objects. Synthetic bars (seeded).
 * Run: pnpm --filter @sys/session-data bench [-- --symbols 2000 --days 1]
 */
import type { Bar } from '@sys/market-data';
import { NyseCalendar } from '@sys/market-time';
import { SessionData } from '../src/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const SYMBOLS = arg('symbols', 2000);
const calendar = new NyseCalendar();
const w = calendar.session('2025-07-02');
if (w === null) throw new Error('trading day');

let seed = 7;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
// Pre-built bars per symbol (a full regular day), so the loop measures ingest, not generation.
const perSymbol: Bar[][] = [];
for (let s = 0; s < SYMBOLS; s++) {
  const bars: Bar[] = [];
  let price = 100;
  for (let m = 0; m < 390; m++) {
    // Whole cents, as real quotes are.
    const open = price;
    price = Math.max(1, Math.round((price + (rand() - 0.5) * 0.2) * 100) / 100);
    const close = price;
    bars.push({
      symbol: `S${s}`,
      startMs: w.regularOpenMs + m * 60_000,
      open,
      high: Math.round((Math.max(open, close) + 0.05) * 100) / 100,
      low: Math.round((Math.min(open, close) - 0.05) * 100) / 100,
      close,
      volume: Math.floor(rand() * 10_000),
    });
  }
  perSymbol.push(bars);
}
const total = SYMBOLS * 390;

function run(): number {
  const sd = new SessionData({ calendar });
  for (let s = 0; s < SYMBOLS; s++) sd.addSymbol(`S${s}`);
  sd.startDay(w as NonNullable<typeof w>);
  const t0 = performance.now();
  for (let s = 0; s < SYMBOLS; s++) {
    const sym = sd.getSymbol(`S${s}`);
    sym?.ingestMany(perSymbol[s] as Bar[]);
    sym?.foldDerived();
  }
  return performance.now() - t0;
}
run();
const times = [run(), run(), run()].sort((a, b) => a - b);
const ms = times[1] as number;
console.log(
  `ingest + fold, ${SYMBOLS} symbols × 390 bars: ${ms.toFixed(1)} ms → ${(((total / ms) * 1000) / 1e6).toFixed(2)}M bars/s (median of 3)`,
);

// Bytes per stored bar, from the columns' capacity: the 1m table alone, and every table of the symbol.
{
  const sd = new SessionData({ calendar });
  for (let s = 0; s < SYMBOLS; s++) sd.addSymbol(`S${s}`);
  sd.startDay(w);
  let bytes = 0;
  for (let s = 0; s < SYMBOLS; s++) {
    const sym = sd.getSymbol(`S${s}`);
    sym?.ingestMany(perSymbol[s] as Bar[]);
    sym?.foldDerived();
    bytes += sym?.sizeBytes ?? 0;
  }
  console.log(
    `bytes per stored 1m bar: 48 B in the 1m table; ${(bytes / total).toFixed(1)} B with the four derived tables`,
  );
}

// Columnar current_bars JSON against the same bars as an array of objects, on the real AAPL day.
const { readCsvBars, samplePath } = await import('@sys/market-data');
const aapl: Bar[] = [];
for await (const bar of readCsvBars(samplePath('AAPL_2025-07-02.csv')))
  if (bar.startMs >= w.preMarketStartMs) aapl.push(bar);
const sd = new SessionData({ calendar });
sd.addSymbol('AAPL');
sd.startDay(w);
sd.ingestMany(aapl);
sd.foldDerived();
const sym = (
  sd.toJson({ debug: true }) as {
    symbols: Record<string, { current_bars: Record<string, { data: unknown[][] }> }>;
  }
).symbols.AAPL;
const oneMinute = sym?.current_bars['1m'];
const columnar = JSON.stringify(oneMinute?.data);
const objects = JSON.stringify(
  oneMinute?.data.map((r) => ({
    timestamp: r[0],
    open: r[1],
    high: r[2],
    low: r[3],
    close: r[4],
    volume: r[5],
  })),
);
console.log(
  `1m JSON (real AAPL day): columnar ${columnar.length} B vs array of objects ${objects.length} B → ${((1 - columnar.length / objects.length) * 100).toFixed(1)}% smaller`,
);
