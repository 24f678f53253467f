import type { Bar } from '@sys/market-data';
import type { SessionWindow } from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { feedByMinute, minuteBatches, newSession, type SyntheticDay, syntheticDay } from '../data.js';
import {
  atLeast,
  atMost,
  canMeasureHeap,
  figure,
  heapGrowth,
  measure,
  type Row,
  type SampleOptions,
  type SectionResult,
  type Timing,
  withRatios,
} from '../harness.js';

/** Sizes of section 3. */
export interface IngestSizes {
  /** Symbols of the day batches, the engine's per-minute path (issue 13's goal) and the bytes per bar. */
  readonly symbols: number;
  /**
   * Symbols of the per-minute comparison with the naive baseline, which rebuilds every bucket each minute
   * (quadratic over the day, over a minute per sample at 2,000 symbols), so it runs on fewer symbols.
   */
  readonly minuteSymbols: number;
  readonly timing: SampleOptions;
  /** The naive baseline fed minute by minute recomputes every bucket each minute: fewer samples. */
  readonly slowTiming: SampleOptions;
}

/** The full run: 2,000 symbols × 390 bars = 780,000 bars per sample. */
export const INGEST_FULL: IngestSizes = {
  symbols: 2000,
  minuteSymbols: 200,
  timing: { minSamples: 7, timeMs: 1500, warmup: 2 },
  slowTiming: { minSamples: 3, timeMs: 0, warmup: 0 },
};

/** Quick mode. */
export const INGEST_QUICK: IngestSizes = {
  symbols: 40,
  minuteSymbols: 20,
  timing: { minSamples: 5, timeMs: 20, warmup: 1 },
  slowTiming: { minSamples: 2, timeMs: 0, warmup: 1 },
};

/** A bar as the naive store keeps it: one object per bar. */
interface NaiveBar {
  t: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  minutes: number;
}

const DERIVED: readonly (readonly [string, number])[] = [
  ['5m', 5],
  ['15m', 15],
  ['30m', 30],
  ['1h', 60],
];

/**
 * The naive baseline: what a first version in plain JS would do — push one object per 1m bar, keep the
 * session figures as running sums, and rebuild every derived interval from all the day's bars whenever
 * bars were added. No validation (the product validates every bar, so this favours the baseline).
 */
class NaiveSymbol {
  readonly bars: NaiveBar[] = [];
  derived: Record<string, NaiveBar[]> = {};
  volume = 0;
  high = Number.NEGATIVE_INFINITY;
  low = Number.POSITIVE_INFINITY;
  typicalVolume = 0;
  dirty = false;

  push(bar: Bar): void {
    this.bars.push({
      t: bar.startMs,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
      minutes: 1,
    });
    this.volume += bar.volume;
    if (bar.high > this.high) this.high = bar.high;
    if (bar.low < this.low) this.low = bar.low;
    this.typicalVolume += ((bar.high + bar.low + bar.close) / 3) * bar.volume;
    this.dirty = true;
  }

  recompute(openMs: number): void {
    const derived: Record<string, NaiveBar[]> = {};
    for (const [name, minutes] of DERIVED) {
      const out: NaiveBar[] = [];
      const span = minutes * 60_000;
      let cur: NaiveBar | undefined;
      for (const b of this.bars) {
        const start = openMs + Math.floor((b.t - openMs) / span) * span;
        if (cur === undefined || cur.t !== start) {
          cur = { ...b, t: start };
          out.push(cur);
        } else {
          if (b.high > cur.high) cur.high = b.high;
          if (b.low < cur.low) cur.low = b.low;
          cur.close = b.close;
          cur.volume += b.volume;
          cur.minutes++;
        }
      }
      derived[name] = out;
    }
    this.derived = derived;
    this.dirty = false;
  }
}

class NaiveSession {
  readonly symbols = new Map<string, NaiveSymbol>();
  constructor(
    names: readonly string[],
    readonly window: SessionWindow,
  ) {
    for (const n of names) this.symbols.set(n, new NaiveSymbol());
  }
  ingestMany(bars: readonly Bar[]): void {
    for (const bar of bars) (this.symbols.get(bar.symbol) as NaiveSymbol).push(bar);
  }
  foldDerived(): void {
    for (const s of this.symbols.values()) if (s.dirty) s.recompute(this.window.regularOpenMs);
  }
}

/** Every symbol's day in one batch, folded at once, then market time moved to the close once. */
function feedByDay(sd: SessionData, day: SyntheticDay): void {
  for (let i = 0; i < day.symbols.length; i++) {
    const sym = sd.getSymbol(day.symbols[i] as string);
    sym?.ingestMany(day.bySymbol[i] as Bar[]);
    sym?.foldDerived();
  }
  sd.advanceTo(day.window.regularCloseMs);
}

function feedNaive(nv: NaiveSession, batches: readonly (readonly Bar[])[]): void {
  for (const batch of batches) {
    nv.ingestMany(batch);
    nv.foldDerived();
  }
}

/** Section 3: ingest throughput and bytes per stored bar, SessionData against the naive baseline. */
export async function runIngest(sizes: IngestSizes): Promise<SectionResult> {
  const fullDay = syntheticDay(sizes.symbols);
  const fewDay = syntheticDay(sizes.minuteSymbols);
  const fullMinutes = minuteBatches(fullDay);
  const fewMinutes = minuteBatches(fewDay);
  const total = fullDay.all.length;
  const rows: Row[] = [];
  const rate = (name: string, bars: number, t: Timing, extra: Partial<Row>): Row =>
    figure(name, (bars / t.median) * 1000, 'bars/s', 'higher', {
      ...extra,
      note: `${bars.toLocaleString('en-US')} bars in ${t.median.toFixed(1)} ms median, p95 ${t.p95.toFixed(1)} ms (${t.samples} samples)${extra.note === undefined ? '' : `; ${extra.note}`}`,
    });
  const count = (n: number) => `${n.toLocaleString('en-US')} symbols`;
  const byDay = `${count(sizes.symbols)}, one batch per symbol-day`;
  const byMinuteFew = `${count(sizes.minuteSymbols)}, one batch per market minute`;
  const byMinuteFull = `${count(sizes.symbols)}, one batch per market minute`;
  const ours = (b: string) => `${b} · @sys/session-data SessionData (all intervals and metrics)`;
  const naive = (b: string) => `${b} · naive array of objects (baseline)`;
  let sd = newSession(fullDay);
  const fresh = (day: SyntheticDay) => () => {
    sd = newSession(day);
  };

  // One batch per symbol-day, 2,000 symbols: ours against the naive store (issue 10's ingest goal).
  let nv = new NaiveSession(fullDay.symbols, fullDay.window);
  const tNaiveDay = measure(naive(byDay), () => feedNaive(nv, fullDay.bySymbol), {
    ...sizes.timing,
    beforeEach: () => {
      nv = new NaiveSession(fullDay.symbols, fullDay.window);
    },
  });
  const tDay = measure(ours(byDay), () => feedByDay(sd, fullDay), {
    ...sizes.timing,
    beforeEach: fresh(fullDay),
  });
  rows.push(
    rate(naive(byDay), total, tNaiveDay, {}),
    rate(ours(byDay), total, tDay, {
      baseline: naive(byDay),
      goal: atLeast('≥ 10M bars/s', (total / tDay.median) * 1000, 10e6),
      note: 'per symbol ingestMany + foldDerived of its whole day, then one advanceTo(close)',
    }),
  );

  // One batch per market minute on fewer symbols: ours against the naive store, which is quadratic here.
  const fewBars = fewDay.all.length;
  let nvFew = new NaiveSession(fewDay.symbols, fewDay.window);
  const fewBatches = fewMinutes.map((m) => m.bars);
  const tNaiveMinute = measure(naive(byMinuteFew), () => feedNaive(nvFew, fewBatches), {
    ...sizes.slowTiming,
    beforeEach: () => {
      nvFew = new NaiveSession(fewDay.symbols, fewDay.window);
    },
  });
  const tMinuteFew = measure(ours(byMinuteFew), () => feedByMinute(sd, fewMinutes), {
    ...sizes.timing,
    beforeEach: fresh(fewDay),
  });
  rows.push(
    rate(naive(byMinuteFew), fewBars, tNaiveMinute, {}),
    rate(ours(byMinuteFew), fewBars, tMinuteFew, {
      baseline: naive(byMinuteFew),
      note: 'the engine path: per minute ingestMany + foldDerived + advanceTo(minute end)',
    }),
  );

  // The engine's own path at 2,000 symbols (issue 13's goal), against one batch per symbol-day.
  const tMinute = measure(ours(byMinuteFull), () => feedByMinute(sd, fullMinutes), {
    ...sizes.timing,
    beforeEach: fresh(fullDay),
  });
  rows.push(
    rate(ours(byMinuteFull), total, tMinute, {
      baseline: ours(byDay),
      goal: atLeast('≥ 5M bars/s', (total / tMinute.median) * 1000, 5e6),
      note: `the engine path: per minute (${fullMinutes.length} of them) ingestMany + foldDerived + advanceTo(minute end) across all symbols`,
    }),
  );

  // Bytes per stored bar: heap growth while the inputs stay alive, so only what the store keeps counts.
  const heapOf = (fill: () => unknown): number => heapGrowth(fill) / total;
  const naiveHeap = heapOf(() => {
    const store = new NaiveSession(fullDay.symbols, fullDay.window);
    for (const b of fullDay.bySymbol) store.ingestMany(b);
    store.foldDerived();
    return store;
  });
  let capacity = 0;
  const oursHeap = heapOf(() => {
    const store = newSession(fullDay);
    feedByMinute(store, fullMinutes);
    for (const name of fullDay.symbols) capacity += store.getSymbol(name)?.sizeBytes ?? 0;
    return store;
  });
  const heapNote = canMeasureHeap() ? '' : ' (no --expose-gc: rough)';
  const bytesBase = 'bytes per stored 1m bar · naive array of objects, heap (baseline)';
  const bytesOurs = `bytes per stored 1m bar · SessionData after the per-minute path at ${count(sizes.symbols)}`;
  rows.push(
    figure(bytesBase, naiveHeap, 'B/bar', 'lower', {
      note: `heapUsed + arrayBuffers growth ÷ 1m bars, one batch per symbol-day (the per-minute naive store is quadratic): 1m objects plus derived objects${heapNote}`,
    }),
    figure(`${bytesOurs}, heap`, oursHeap, 'B/bar', 'lower', {
      baseline: bytesBase,
      goal: atMost('≤ 56 B/bar', oursHeap, 56),
      note: `heapUsed + arrayBuffers growth ÷ 1m bars of a SessionData filled minute by minute (${fullMinutes.length} × ingestMany + foldDerived + advanceTo): the 1m table and the 5m/15m/30m/1h derived tables (typed-array columns), the per-symbol objects and the SessionData itself; the input bars are not counted (alive before and after), no JSON was built${heapNote}`,
    }),
    figure(`${bytesOurs}, SymbolSessionData.sizeBytes`, capacity / total, 'B/bar', 'lower', {
      baseline: bytesBase,
      goal: atMost('≤ 56 B/bar', capacity / total, 56),
      note: `capacity of every table's typed-array columns ÷ 1m bars, same store: 42 B/bar is the 1m table (390 slots × 42 B: five Float64 columns and a Uint16 minute); the other ${(capacity / total - 42).toFixed(1)} B/bar are the derived tables (a 4 B range of 1m rows a bar) and any pre/post-market or history capacity`,
    }),
  );
  return {
    id: 3,
    title: 'Ingest: 1m bars/s with all intervals and metrics; bytes per stored bar',
    rows: withRatios(rows),
    notes: [
      `SYNTHETIC data (seeded), prebuilt so generation is not timed: ${count(sizes.symbols)} × 390 regular minutes = ${total.toLocaleString('en-US')} bars per sample for the day batches, the engine path and the bytes; ${count(sizes.minuteSymbols)} for the per-minute comparison with the naive baseline (quadratic there)`,
      'ours validates every bar (the one @sys/market-data check) and folds 5m/15m/30m/1h incrementally; the naive baseline validates nothing and rebuilds every derived interval from all bars after each batch',
      "per-minute batches are how the replay loop feeds SessionData (ingestMany, foldDerived, advanceTo at each minute's end); the naive baseline then rebuilds each symbol's buckets every minute (quadratic over the day)",
    ],
  };
}
