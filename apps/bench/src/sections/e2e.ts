import type { BarSource } from '@sys/market-data';
import { syntheticSymbols } from '@sys/market-data/synthetic';
import { SystemManager } from '@sys/system-manager';
import { type BarArraySource, BENCH_DATE, pregenerate, REGULAR_MINUTES, SEED } from '../data.js';
import { below, figure, gc, type Row, type SectionResult, summarize, timed, withRatios } from '../harness.js';

/** Sizes of section 5. */
export interface E2eSizes {
  readonly symbols: number;
  readonly samples: number;
  /** Untimed runs before the first case (the first run in a process pays for the JIT). */
  readonly warmup: number;
}

/** The case: 500 symbols × 1 day. */
export const E2E_FULL: E2eSizes = { symbols: 500, samples: 3, warmup: 1 };

/** Quick mode: 20 symbols, one run each. */
export const E2E_QUICK: E2eSizes = { symbols: 20, samples: 1, warmup: 0 };

/**
 * A SystemManager replaying one SYNTHETIC day (seeded) of `symbols` made-up symbols at speed max. The config
 * names the synthetic source; `source`, when given, replaces it (bars made ahead, see `pregenerate`).
 */
export function syntheticSystem(symbols: number, source?: BarSource): SystemManager {
  return new SystemManager(
    {
      symbols: syntheticSymbols(symbols),
      source: { type: 'synthetic', seed: SEED },
      backtest: { start_date: BENCH_DATE, end_date: BENCH_DATE },
      speed: 'max',
    },
    source === undefined ? {} : { source },
  );
}

/** What one run did. */
export interface RunOutcome {
  readonly wallMs: number;
  readonly bars: number;
  /** Delta reads made (one per `minute` event the run applied). */
  readonly reads: number;
  /** Wall ms of each read, in order. */
  readonly readMs: readonly number[];
  readonly bytesSent: number;
}

/**
 * Runs BENCH_DATE over `source` (its symbols, bars made ahead) to the end. With `reads: 'plain'`, a consumer
 * reads a delta with `toJson({ consumer })` inside `system.onEvent` after every `minute` event, so it sees
 * every market minute however fast the run goes (390 reads on a regular day). Timed from `start()` to
 * `done()`; the manager is made before and stopped after.
 */
export async function runSystem(source: BarArraySource, reads: 'none' | 'plain'): Promise<RunOutcome> {
  const system = syntheticSystem(source.symbols.length, source);
  const consumer = 'bench';
  const readMs: number[] = [];
  if (reads === 'plain') {
    system.onEvent((event) => {
      if (event.kind !== 'minute') return;
      const t0 = performance.now();
      system.toJson({ consumer });
      readMs.push(performance.now() - t0);
    });
  }
  const t0 = performance.now();
  await system.start();
  await system.done();
  const wallMs = performance.now() - t0;
  const bars = system.progress().barsReleased;
  const bytesSent = system.feed.stats(consumer)?.bytesSent ?? 0;
  await system.stop();
  return { wallMs, bars, reads: readMs.length, readMs, bytesSent };
}

/** Section 5: a synthetic backtest end to end at speed max, with and without a delta read every minute. */
export async function runE2e(sizes: E2eSizes): Promise<SectionResult> {
  // Made once, outside every timed region: the runs time the system, not the generator.
  const source = await pregenerate(sizes.symbols);
  for (let i = 0; i < sizes.warmup; i++) await runSystem(source, 'plain');
  const cases = [
    ['none', 'backtest alone, no reads (baseline)'],
    ['plain', 'backtest + toJson delta read every market minute'],
  ] as const;
  const rows: Row[] = [];
  const notes: string[] = [];
  const base = `${sizes.symbols} × 1 day · ${cases[0][1]}`;
  const medians: Record<string, number> = {};
  for (const [reads, label] of cases) {
    const runs: RunOutcome[] = [];
    for (let i = 0; i < sizes.samples; i++) {
      gc();
      runs.push(await runSystem(source, reads));
    }
    const t = summarize(runs.map((r) => r.wallMs));
    medians[reads] = t.median;
    const bars = runs[0]?.bars ?? 0;
    const name = `${sizes.symbols} × 1 day · ${label}`;
    rows.push(
      timed(name, t, {
        baseline: base,
        ...(reads === 'plain' ? { goal: below('< 1 s (500 × 1 day)', t.median, 1000) } : {}),
      }),
      figure(`${name} · bars/s`, (bars / t.median) * 1000, 'bars/s', 'higher', {
        baseline: `${base} · bars/s`,
        note: `${bars.toLocaleString('en-US')} bars of ${source.barCount.toLocaleString('en-US')} made; p95 run ${(((bars / t.p95) * 1000) / 1e3).toFixed(0)}k bars/s`,
      }),
    );
    if (reads === 'plain') {
      const r = runs[0] as RunOutcome;
      const perRead = summarize(runs.flatMap((x) => x.readMs));
      const readTotal = summarize(runs.map((x) => x.readMs.reduce((a, b) => a + b, 0)));
      rows.push(
        figure(`${name} · reads per run`, r.reads, 'count', 'higher', {
          note:
            r.reads === REGULAR_MINUTES
              ? `one read inside system.onEvent after every 'minute' event: all ${REGULAR_MINUTES} market minutes of the day`
              : `EXPECTED ${REGULAR_MINUTES} (one per market minute): the reader missed minutes, so the time above is not the goal's case`,
        }),
        timed(`${name} · one read alone (per market minute)`, perRead, {
          note: `wall ms of one toJson({ consumer }) inside onEvent, over ${perRead.samples} reads; they add up to ${readTotal.median.toFixed(0)} ms of the run's ${t.median.toFixed(0)} ms (median run)`,
        }),
        figure(`${name} · bytes per read`, r.bytesSent / Math.max(1, r.reads), 'bytes', 'lower'),
      );
      const readsMs = readTotal.median;
      const alone = medians.none ?? Number.NaN;
      notes.push(
        `how the ${t.median.toFixed(0)} ms with reads split: ≈ ${readsMs.toFixed(0)} ms in the ${r.reads} reads (${((readsMs / t.median) * 100).toFixed(0)} %), the rest the run itself (${alone.toFixed(0)} ms without reads)`,
      );
    }
  }
  notes.unshift(
    `SYNTHETIC data (seeded, ${BENCH_DATE}, regular session), speed max; bar generation is OUTSIDE the time: the bars are made once with SyntheticBarSource.streamBatches (the generator the config's {type: "synthetic"} would open) into arrays, and every run reads them through a BarSource over those arrays, given as new SystemManager(config, { source })`,
    `median of ${sizes.samples} run(s) per case after ${sizes.warmup} warm-up run(s); each run is a new SystemManager, timed from start() to done()`,
    'a debug reader every minute is not run here (≈ 100 s per run at 500 symbols on 2 cores, 1.1 MiB per read); sections 1 and 6 measure debug reads',
  );
  return {
    id: 5,
    title: 'End to end: synthetic backtest at max with a delta read every market minute',
    rows: withRatios(rows),
    notes,
  };
}
