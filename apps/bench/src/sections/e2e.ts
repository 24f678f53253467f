import { syntheticSymbols } from '@sys/market-data/synthetic';
import { SystemManager } from '@sys/system-manager';
import { BENCH_DATE, SEED } from '../data.js';
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

/** A SystemManager replaying one SYNTHETIC day (seeded) of `symbols` made-up symbols at speed max. */
export function syntheticSystem(symbols: number): SystemManager {
  return new SystemManager({
    symbols: syntheticSymbols(symbols),
    source: { type: 'synthetic', seed: SEED },
    backtest: { start_date: BENCH_DATE, end_date: BENCH_DATE },
    speed: 'max',
  });
}

/** What one run did. */
export interface RunOutcome {
  readonly wallMs: number;
  readonly bars: number;
  readonly reads: number;
  readonly bytesSent: number;
}

/**
 * Runs a synthetic day to the end. With `reads`, a consumer polls on every event-loop turn
 * (setImmediate) and reads a delta with `toJson({ consumer })` whenever the market minute moved on: as
 * often as a market-minute reader can while the backtest runs flat out.
 */
export async function runSystem(symbols: number, reads: 'none' | 'plain' | 'debug'): Promise<RunOutcome> {
  const system = syntheticSystem(symbols);
  const consumer = 'bench';
  let readCount = 0;
  let lastMinute = Number.NaN;
  let polling = reads !== 'none';
  const poll = () => {
    if (!polling) return;
    const ms = system.progress().marketTimeMs;
    if (ms !== null) {
      const minute = Math.floor(ms / 60_000);
      if (minute !== lastMinute) {
        lastMinute = minute;
        system.toJson({ consumer, debug: reads === 'debug' });
        readCount++;
      }
    }
    setImmediate(poll);
  };
  const t0 = performance.now();
  await system.start();
  if (polling) setImmediate(poll);
  await system.done();
  polling = false;
  // The last minute's delta, so every bar was seen by the consumer.
  if (reads !== 'none') {
    system.toJson({ consumer, debug: reads === 'debug' });
    readCount++;
  }
  const wallMs = performance.now() - t0;
  const bars = system.progress().barsReleased;
  const bytesSent = system.feed.stats(consumer)?.bytesSent ?? 0;
  await system.stop();
  return { wallMs, bars, reads: readCount, bytesSent };
}

/** Section 5: a synthetic backtest end to end at speed max, with and without a delta read every minute. */
export async function runE2e(sizes: E2eSizes): Promise<SectionResult> {
  for (let i = 0; i < sizes.warmup; i++) await runSystem(sizes.symbols, 'plain');
  const cases = [
    ['none', 'backtest alone, no reads (baseline)'],
    ['plain', 'backtest + toJson delta read every market minute'],
  ] as const;
  const rows: Row[] = [];
  const notes: string[] = [];
  const base = `${sizes.symbols} × 1 day · ${cases[0][1]}`;
  for (const [reads, label] of cases) {
    const runs: RunOutcome[] = [];
    for (let i = 0; i < sizes.samples; i++) {
      gc();
      runs.push(await runSystem(sizes.symbols, reads));
    }
    const t = summarize(runs.map((r) => r.wallMs));
    const bars = runs[0]?.bars ?? 0;
    const name = `${sizes.symbols} × 1 day · ${label}`;
    rows.push(
      timed(name, t, {
        baseline: base,
        ...(reads === 'plain' ? { goal: below('< 1 s (500 × 1 day)', t.median, 1000) } : {}),
      }),
      figure(`${name} · bars/s`, (bars / t.median) * 1000, 'bars/s', 'higher', {
        baseline: `${base} · bars/s`,
        note: `${bars.toLocaleString('en-US')} bars; p95 run ${(((bars / t.p95) * 1000) / 1e3).toFixed(0)}k bars/s`,
      }),
    );
    if (reads !== 'none') {
      const r = runs[0] as RunOutcome;
      rows.push(
        figure(`${name} · reads per run`, r.reads, 'count', 'higher', {
          note: 'a read happens when the market minute moved since the last event-loop turn; fewer than 390 means the backtest replayed several minutes in one turn',
        }),
        figure(`${name} · bytes per read`, r.bytesSent / Math.max(1, r.reads), 'bytes', 'lower'),
      );
    }
  }
  notes.push(
    `SYNTHETIC data (seeded SyntheticBarSource via the config's source {type: "synthetic"}), ${BENCH_DATE}, regular session, speed max; bar generation is inside the time`,
    `median of ${sizes.samples} run(s) per case after ${sizes.warmup} warm-up run(s); each run is a new SystemManager`,
    'a debug reader every minute is not run here (≈ 100 s per run at 500 symbols on 2 cores, 1.1 MiB per read); sections 1 and 6 measure debug reads',
  );
  return {
    id: 5,
    title: 'End to end: synthetic backtest at max with a delta read every market minute',
    rows: withRatios(rows),
    notes,
  };
}
