import {
  createIndicator,
  type Indicator,
  type IndicatorSpec,
  resolveIndicatorSpec,
  STATE_COUNT,
  STATE_LAST_START_MS,
} from '@sys/indicators';
import { MINUTE_MS } from '@sys/market-time';
import { feedByMinute, minuteBatches, newSession, syntheticDay } from '../data.js';
import {
  atLeast,
  atMost,
  figure,
  measure,
  type Row,
  type SampleOptions,
  type SectionResult,
  withRatios,
} from '../harness.js';

/** Sizes of section 8. */
export interface IndicatorSizes {
  readonly symbols: number;
  /** Bars each indicator is fed for the per-update figure. */
  readonly updateBars: number;
  readonly timing: SampleOptions;
}

/** The full run: 500 symbols × 390 minutes, and 200,000 bars per indicator for the per-update figure. */
export const INDICATORS_FULL: IndicatorSizes = {
  symbols: 500,
  updateBars: 200_000,
  timing: { minSamples: 7, timeMs: 1500, warmup: 2 },
};

/** Quick mode. */
export const INDICATORS_QUICK: IndicatorSizes = {
  symbols: 20,
  updateBars: 5_000,
  timing: { minSamples: 3, timeMs: 20, warmup: 1 },
};

/** Ten indicators as a user would declare them (the interval is set per row). */
const TEN: readonly IndicatorSpec[] = [
  { name: 'sma', period: 20 },
  { name: 'ema', period: 20 },
  { name: 'wma', period: 20 },
  { name: 'rsi', period: 14 },
  { name: 'macd' },
  { name: 'atr', period: 14 },
  { name: 'bollinger', period: 20 },
  { name: 'stoch', period: 14, smooth: 3 },
  { name: 'vwap_bands', k: 2 },
  { name: 'adx', period: 14 },
];

/** Every indicator of the package, once, for the per-update figure. */
const ALL: readonly IndicatorSpec[] = [...TEN, { name: 'obv' }, { name: 'donchian', period: 20 }];

/** Section 8: the engine's per-minute ingest with 10 indicators per symbol against none, and one update's cost. */
export async function runIndicators(sizes: IndicatorSizes): Promise<SectionResult> {
  const day = syntheticDay(sizes.symbols);
  const minutes = minuteBatches(day);
  const total = day.all.length;
  const rows: Row[] = [];
  const count = `${sizes.symbols.toLocaleString('en-US')} symbols`;
  const none = `${count}, per-minute ingest · no indicators (baseline)`;
  let sd = newSession(day);
  const feed = (): void => feedByMinute(sd, minutes);
  const rate = (ms: number) => (total / ms) * 1000;
  const tNone = measure(none, feed, {
    ...sizes.timing,
    beforeEach: () => {
      sd = newSession(day);
    },
  });
  rows.push(
    figure(none, rate(tNone.median), 'bars/s', 'higher', {
      note: `${total.toLocaleString('en-US')} bars in ${tNone.median.toFixed(1)} ms median (${tNone.samples} samples)`,
    }),
  );
  for (const interval of ['1m', '5m'] as const) {
    const specs = TEN.map((s) => ({ ...s, interval }));
    const name = `${count}, per-minute ingest · 10 indicators on ${interval} per symbol`;
    const t = measure(name, feed, {
      ...sizes.timing,
      beforeEach: () => {
        sd = newSession(day, specs);
      },
    });
    const r = rate(t.median);
    rows.push(
      figure(name, r, 'bars/s', 'higher', {
        baseline: none,
        goal: atLeast('≥ 50 % of the rate without indicators', r / rate(tNone.median), 0.5),
        note: `${TEN.map((s) => resolveIndicatorSpec(s).key).join(', ')}; ${t.median.toFixed(1)} ms median (${t.samples} samples)`,
      }),
    );
  }

  // One update as the engine steps it: the bars in columns (as the session stores them), each indicator's
  // state stepped by its kernel from one call site shared by all 12 indicators (warmed with every one first, like
  // the engine's loop over a symbol's indicators), ns per bar.
  const n = sizes.updateBars;
  const times = new Float64Array(n);
  const highs = new Float64Array(n);
  const lows = new Float64Array(n);
  const closes = new Float64Array(n);
  const volumes = new Float64Array(n);
  let close = 100;
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 16807) % 2147483647;
    const open = close;
    close = Math.max(1, close + ((seed % 201) - 100) / 1000);
    times[i] = i * MINUTE_MS;
    highs[i] = Math.max(open, close) + 0.01;
    lows[i] = Math.min(open, close) - 0.01;
    closes[i] = close;
    volumes[i] = seed % 10_000;
  }
  // The engine's step (SymbolIndicators.feed in @sys/session-data), one indicator at a time.
  const step = (ind: Indicator): void => {
    const s = ind.state;
    const at = ind.at;
    const kernel = ind.kernel;
    for (let i = 0; i < n; i++) {
      const t = times[i] as number;
      if (t <= (s[at + STATE_LAST_START_MS] as number)) continue;
      s[at + STATE_COUNT] = (s[at + STATE_COUNT] as number) + 1;
      s[at + STATE_LAST_START_MS] = t;
      kernel(s, at, highs[i] as number, lows[i] as number, closes[i] as number, volumes[i] as number);
    }
  };
  for (const spec of ALL) step(createIndicator(spec));
  const perUpdate: number[] = [];
  const notes: string[] = [];
  for (const spec of ALL) {
    const key = resolveIndicatorSpec(spec).key;
    let ind = createIndicator(spec);
    const t = measure(key, () => step(ind), {
      ...sizes.timing,
      beforeEach: () => {
        ind = createIndicator(spec);
      },
    });
    const ns = (t.median * 1e6) / n;
    perUpdate.push(ns);
    notes.push(`${key} ${ns.toFixed(1)}`);
  }
  const sorted = [...perUpdate].sort((a, b) => a - b);
  const median =
    sorted.length % 2 === 1
      ? (sorted[(sorted.length - 1) / 2] as number)
      : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  rows.push(
    figure(`one indicator update, median over the ${ALL.length} indicators`, median, 'ns/bar', 'lower', {
      goal: atMost('≤ 25 ns per bar', median, 25),
      note: `ns/bar each: ${notes.join(', ')}; ${sizes.updateBars.toLocaleString('en-US')} bars per sample`,
    }),
  );
  return {
    id: 8,
    title: 'Indicators: per-minute ingest with 10 indicators per symbol; one update',
    rows: withRatios(rows),
    notes: [
      `SYNTHETIC data (seeded): ${count} × 390 regular minutes = ${total.toLocaleString('en-US')} bars per sample, fed as the replay loop does (per minute ingestMany + foldDerived + advanceTo); the three rows in the same run`,
      'the 5m row feeds its indicators 78 finished 5m bars a symbol-day; the 1m row 390',
      'one update: the step SymbolIndicators.feed does per indicator (skip check, count, kernel call over the state array) on bars read from Float64Array columns as the session stores them, through one call site warmed with all 12 kernels first (megamorphic, as the engine loop over the 10 of a symbol); before, this row called Indicator.update(bar) on 200,000 prebuilt bar objects, which the engine never does (it reads columns) and whose site turned megamorphic only after the first indicators; the day rows copy and the cache misses of 500 symbols are in the ingest rows, not here',
    ],
  };
}
