import type { Bar } from '@sys/market-data';
import type { SessionWindow } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { type SyntheticDay, syntheticDay } from '../data.js';
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
  readonly symbols: number;
  /**
   * Symbols of the per-minute cases: the naive baseline rebuilds every bucket each minute (quadratic over
   * the day, over a minute per sample at 2,000 symbols), so these cases run on fewer symbols.
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

function minuteBatches(day: SyntheticDay): Bar[][] {
  const out: Bar[][] = [];
  let cur: Bar[] = [];
  let t = Number.NaN;
  for (const bar of day.all) {
    if (bar.startMs !== t && cur.length > 0) {
      out.push(cur);
      cur = [];
    }
    t = bar.startMs;
    cur.push(bar);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function newSession(day: SyntheticDay): SessionData {
  const sd = new SessionData({ calendar: day.calendar });
  for (const s of day.symbols) sd.addSymbol(s);
  sd.startDay(day.window);
  return sd;
}

/** Section 3: ingest throughput and bytes per stored bar, SessionData against the naive baseline. */
export async function runIngest(sizes: IngestSizes): Promise<SectionResult> {
  const fullDay = syntheticDay(sizes.symbols);
  const total = fullDay.all.length;
  const rows: Row[] = [];
  const rate = (name: string, bars: number, t: Timing, extra: Partial<Row>): Row =>
    figure(name, (bars / t.median) * 1000, 'bars/s', 'higher', {
      ...extra,
      note: `${bars.toLocaleString('en-US')} bars in ${t.median.toFixed(1)} ms median, p95 ${t.p95.toFixed(1)} ms (${t.samples} samples)`,
    });
  const ours = (b: string, l: string) => `${b} · @sys/session-data SessionData${l}`;
  const naive = (b: string) => `${b} · naive array of objects (baseline)`;

  for (const [batching, label] of [
    ['day', 'one batch per symbol-day'],
    ['minute', 'one batch per market minute, all symbols'],
  ] as const) {
    const day = batching === 'day' ? fullDay : syntheticDay(sizes.minuteSymbols);
    const bars = day.all.length;
    const minutes = minuteBatches(day);
    let sd = newSession(day);
    let nv = new NaiveSession(day.symbols, day.window);
    const feedOurs =
      batching === 'day'
        ? () => {
            for (let i = 0; i < day.symbols.length; i++) {
              const sym = sd.getSymbol(day.symbols[i] as string);
              sym?.ingestMany(day.bySymbol[i] as Bar[]);
              sym?.foldDerived();
            }
          }
        : () => {
            for (const batch of minutes) {
              sd.ingestMany(batch);
              sd.foldDerived();
            }
          };
    const feedNaive =
      batching === 'day'
        ? () => {
            for (let i = 0; i < day.symbols.length; i++) {
              nv.ingestMany(day.bySymbol[i] as Bar[]);
              nv.foldDerived();
            }
          }
        : () => {
            for (const batch of minutes) {
              nv.ingestMany(batch);
              nv.foldDerived();
            }
          };
    const tNaive = measure(naive(label), feedNaive, {
      ...(batching === 'day' ? sizes.timing : sizes.slowTiming),
      beforeEach: () => {
        nv = new NaiveSession(day.symbols, day.window);
      },
    });
    const tOurs = measure(ours(label, ''), feedOurs, {
      ...sizes.timing,
      beforeEach: () => {
        sd = newSession(day);
      },
    });
    const r = rate(ours(label, ' (all intervals and metrics)'), bars, tOurs, {
      baseline: naive(label),
      goal: atLeast('≥ 10M bars/s', (bars / tOurs.median) * 1000, 10e6),
    });
    rows.push(rate(naive(label), bars, tNaive, {}), r);
  }

  // Bytes per stored bar: heap growth while the inputs stay alive, so only what the store keeps counts.
  const heapOf = (fill: () => unknown): number => heapGrowth(fill) / total;
  const day = fullDay;
  const naiveHeap = heapOf(() => {
    const nv = new NaiveSession(day.symbols, day.window);
    day.bySymbol.forEach((b) => {
      nv.ingestMany(b);
    });
    nv.foldDerived();
    return nv;
  });
  let capacity = 0;
  const oursHeap = heapOf(() => {
    const sd = newSession(day);
    day.bySymbol.forEach((b, i) => {
      const sym = sd.getSymbol(day.symbols[i] as string);
      sym?.ingestMany(b);
      sym?.foldDerived();
      capacity += sym?.sizeBytes ?? 0;
    });
    return sd;
  });
  const heapNote = canMeasureHeap() ? '' : ' (no --expose-gc: rough)';
  const bytesBase = 'bytes per stored 1m bar · naive array of objects, heap (baseline)';
  rows.push(
    figure(bytesBase, naiveHeap, 'B/bar', 'lower', {
      note: `heapUsed + arrayBuffers growth ÷ 1m bars, 1m objects plus derived objects${heapNote}`,
    }),
    figure('bytes per stored 1m bar · SessionData, heap', oursHeap, 'B/bar', 'lower', {
      baseline: bytesBase,
      goal: atMost('≤ 56 B/bar', oursHeap, 56),
      note: `heapUsed + arrayBuffers growth ÷ 1m bars: columns of all five intervals plus per-symbol objects${heapNote}`,
    }),
    figure(
      'bytes per stored 1m bar · SessionData, SymbolSessionData.sizeBytes',
      capacity / total,
      'B/bar',
      'lower',
      {
        baseline: bytesBase,
        goal: atMost('≤ 56 B/bar', capacity / total, 56),
        note: `capacity of every table's typed-array columns ÷ 1m bars: 48 B/bar is the 1m table (390 slots × 48 B); the other ${(capacity / total - 48).toFixed(1)} B/bar are the derived tables (52 B a row) and any pre/post-market or history capacity`,
      },
    ),
  );
  return {
    id: 3,
    title: 'Ingest: 1m bars/s with all intervals and metrics; bytes per stored bar',
    rows: withRatios(rows),
    notes: [
      `SYNTHETIC data (seeded), prebuilt so generation is not timed: ${sizes.symbols.toLocaleString('en-US')} symbols × 390 regular minutes = ${total.toLocaleString('en-US')} bars per sample for the day batches and the bytes; ${sizes.minuteSymbols.toLocaleString('en-US')} symbols for the per-minute cases (the naive baseline is quadratic there)`,
      'ours validates every bar (the one @sys/market-data check) and folds 5m/15m/30m/1h incrementally; the naive baseline validates nothing and rebuilds every derived interval from all bars after each batch',
      "per-minute batches are how the backtest feeds SessionData; the naive baseline then rebuilds each symbol's buckets every minute (quadratic over the day)",
    ],
  };
}
