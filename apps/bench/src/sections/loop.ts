import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Bar } from '@sys/market-data';
import { type IsoDate, NyseCalendar, nyDateOf, type SessionWindow } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { runBacktest } from '@sys/threads';
import { type BarArraySource, BENCH_DATE, BENCH_WEEK_END, pregenerate } from '../data.js';
import {
  atLeast,
  atMost,
  below,
  figure,
  gc,
  heapBytes,
  measure,
  type Row,
  type SampleOptions,
  type SectionResult,
  summarize,
  type Timing,
  timed,
  withRatios,
} from '../harness.js';
import { packageSrcDir, sourceLines } from '../source-lines.js';

/** Sizes of section 7. */
export interface LoopSizes {
  readonly symbols: number;
  /** Timed backtest runs (each a whole window), after `warmup` untimed ones. */
  readonly samples: number;
  readonly warmup: number;
  /** The session-data ceiling, timed by tinybench. */
  readonly ceilingTiming: SampleOptions;
}

/** The case: 500 symbols × 5 trading days = 975,000 bars per run. */
export const LOOP_FULL: LoopSizes = {
  symbols: 500,
  samples: 5,
  warmup: 1,
  ceilingTiming: { minSamples: 5, timeMs: 1000, warmup: 1 },
};

/** Quick mode: 20 symbols × 5 days. */
export const LOOP_QUICK: LoopSizes = {
  symbols: 20,
  samples: 1,
  warmup: 0,
  ceilingTiming: { minSamples: 2, timeMs: 0, warmup: 0 },
};

/** The window of section 7: BENCH_DATE (Monday) to BENCH_WEEK_END (Friday). */
const START: IsoDate = BENCH_DATE;
const END: IsoDate = BENCH_WEEK_END;

/** Lines of packages/threads/src the issue allows (tests excluded). */
const THREADS_LINES_GOAL = 1450;

/** A day of the window with its bars grouped per symbol (each in time order): the ceiling's batches. */
interface SymbolDays {
  readonly window: SessionWindow;
  readonly bySymbol: readonly (readonly Bar[])[];
}

function symbolDays(source: BarArraySource, calendar: NyseCalendar): SymbolDays[] {
  const days: SymbolDays[] = [];
  const index = new Map(source.symbols.map((s, i) => [s, i]));
  const dates = calendar.tradingDays(START, END);
  const byDate = new Map<string, Bar[][]>(dates.map((d) => [d, source.symbols.map(() => [])]));
  for (const batch of source.batches) {
    for (const bar of batch) {
      const lists = byDate.get(nyDateOf(bar.startMs));
      if (lists === undefined)
        throw new Error(`bar of ${bar.symbol} at ${bar.startMs} is outside ${START}..${END}`);
      (lists[index.get(bar.symbol) as number] as Bar[]).push(bar);
    }
  }
  for (const date of dates) {
    const window = calendar.session(date);
    if (window === null) throw new Error(`${date} must be a trading day`);
    days.push({ window, bySymbol: byDate.get(date) as Bar[][] });
  }
  return days;
}

/** Section 7: the replay loop alone at speed max against the session-data ceiling; the threads package's size. */
export async function runLoop(sizes: LoopSizes): Promise<SectionResult> {
  const calendar = new NyseCalendar();
  // Made once, outside every timed region: the runs time the loop, not the generator.
  const heapBefore = heapBytes();
  const source = await pregenerate(sizes.symbols, START, END);
  const days = symbolDays(source, calendar);
  const madeBytes = heapBytes() - heapBefore;
  const label = `${sizes.symbols} × ${days.length} days`;
  const rows: Row[] = [];

  // The ceiling: the same bars straight into SessionData, one batch per symbol-day, no loop around them.
  let sd = new SessionData({ calendar });
  const ceiling = measure(
    'ceiling',
    () => {
      for (const day of days) {
        sd.startDay(day.window);
        for (const bars of day.bySymbol) sd.ingestMany(bars);
        sd.foldDerived();
        sd.advanceTo(day.window.regularCloseMs);
      }
    },
    {
      ...sizes.ceilingTiming,
      beforeEach: () => {
        sd = new SessionData({ calendar });
        for (const s of source.symbols) sd.addSymbol(s);
      },
    },
  );

  // The loop: runBacktest at max over the same bars. Each run has its own event-loop delay monitor, made and
  // enabled right before it: a monitor disabled and enabled again bills the whole pause (the GC between
  // runs) to its next sample, and node cannot merge two monitors, so the rows summarise the runs.
  interface LoopRun {
    readonly wallMs: number;
    readonly bars: number;
    /** Event-loop delay of the run, ms. */
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly delays: number;
  }
  const runOnce = async (): Promise<LoopRun> => {
    const sessionData = new SessionData({ calendar });
    gc();
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const t0 = performance.now();
    delay.enable();
    const backtest = await runBacktest({
      symbols: source.symbols,
      source,
      startDate: START,
      endDate: END,
      sessionData,
      speed: 'max',
    });
    delay.disable();
    const wallMs = performance.now() - t0;
    const ms = (ns: number) => ns / 1e6;
    return {
      wallMs,
      bars: backtest.progress().barsApplied,
      p50: ms(delay.percentile(50)),
      p99: ms(delay.percentile(99)),
      max: ms(delay.max),
      delays: delay.count,
    };
  };
  for (let i = 0; i < sizes.warmup; i++) await runOnce();
  const runs: LoopRun[] = [];
  for (let i = 0; i < sizes.samples; i++) runs.push(await runOnce());
  const loop: Timing = summarize(runs.map((r) => r.wallMs));
  const bars = runs[0]?.bars ?? 0;
  const p99 = summarize(runs.map((r) => r.p99));

  const ceilingName = `${label} · SessionData ingestMany + foldDerived + advanceTo, one batch per symbol-day (ceiling, baseline)`;
  const loopRate = (bars / loop.median) * 1000;
  const delayName = `${label} · runBacktest at max · event-loop delay`;
  rows.push(
    figure(ceilingName, (source.barCount / ceiling.median) * 1000, 'bars/s', 'higher', {
      note: `${source.barCount.toLocaleString('en-US')} bars in ${ceiling.median.toFixed(1)} ms median, p95 ${ceiling.p95.toFixed(1)} ms (${ceiling.samples} samples)`,
    }),
    figure(`${label} · runBacktest at max (the replay loop)`, loopRate, 'bars/s', 'higher', {
      baseline: ceilingName,
      goal: atLeast('≥ 2,000,000 bars/s', loopRate, 2e6),
      note:
        `${bars.toLocaleString('en-US')} bars applied of ${source.barCount.toLocaleString('en-US')} made` +
        `${bars === source.barCount ? '' : ' (NOT all: the run is broken)'}; ${loop.median.toFixed(0)} ms wall median, p95 ${loop.p95.toFixed(0)} ms (${loop.samples} runs)`,
    }),
    timed(`${delayName} p50`, summarize(runs.map((r) => r.p50)), {
      note: `monitorEventLoopDelay({ resolution: 1 }), one per run, enabled only while runBacktest runs; each of these three rows is the median and p95 over the ${runs.length} run(s) of that run's figure (${runs.reduce((n, r) => n + r.delays, 0).toLocaleString('en-US')} delays sampled in all)`,
    }),
    timed(`${delayName} p99`, p99, { goal: below('< 20 ms', p99.median, 20) }),
    timed(`${delayName} max`, summarize(runs.map((r) => r.max))),
  );

  const threads = sourceLines(packageSrcDir('@sys/threads'));
  rows.push(
    figure('threads src lines', threads.lines, 'count', 'lower', {
      goal: atMost('≤ 1,450', threads.lines, THREADS_LINES_GOAL),
      note: `lines (as wc -l) of the ${threads.files.length} non-test .ts files under packages/threads/src, read now: ${threads.files.join(', ')}`,
    }),
  );

  return {
    id: 7,
    title: 'Replay loop alone at max: bars/s and event-loop delay against the session-data ceiling',
    rows: withRatios(rows),
    notes: [
      `SYNTHETIC data (seeded), ${START}..${END} (${days.length} trading days), regular session; bar generation is OUTSIDE the time: made once with SyntheticBarSource.streamBatches into arrays and read through a BarSource over them`,
      `the loop: runBacktest({ speed: 'max' }) with a new SessionData per run (no SystemManager, no reader), timed from the call to its end after a full GC; ${sizes.warmup} warm-up run(s)`,
      `the made bars stay alive through every run (${(madeBytes / 1024 / 1024).toFixed(0)} MiB of heap with the ceiling's per-day lists), so each major GC in a run marks them too: a source that makes bars as it goes holds far less, so these delay figures lean pessimistic`,
      'the ceiling: the same bars handed to SessionData with no loop — per day startDay, ingestMany of each symbol-day, one foldDerived, advanceTo the close — so the ratio is what the loop costs on top (per-minute batches, events, pacing, read-ahead, counters)',
    ],
  };
}
