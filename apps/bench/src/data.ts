import type { Json } from '@sys/core';
import { type Bar, type BarQuery, BarQueryError, type BarSource } from '@sys/market-data';
import { SyntheticBarSource, syntheticDayBars, syntheticSymbols } from '@sys/market-data/synthetic';
import {
  addDays,
  type IsoDate,
  MINUTE_MS,
  NyseCalendar,
  nyMidnightMs,
  type SessionWindow,
} from '@sys/market-time';
import { SessionData, type SessionIndicatorSpec } from '@sys/session-data';

/** A full (not early-close) trading day; every section's synthetic data is of this day. */
export const BENCH_DATE: IsoDate = '2025-07-07';

/** Seed of every synthetic data set in the bench, so runs compare like with like. */
export const SEED = 1;

/** Last day of the bench's synthetic week: BENCH_DATE (a Monday) to this Friday, five full trading days. */
export const BENCH_WEEK_END: IsoDate = '2025-07-11';

/** Regular-session minutes of BENCH_DATE. */
export const REGULAR_MINUTES = 390;

/** One synthetic trading day, bars grouped per symbol (each list in time order). */
export interface SyntheticDay {
  readonly window: SessionWindow;
  readonly calendar: NyseCalendar;
  readonly symbols: readonly string[];
  /** Aligned with `symbols`. */
  readonly bySymbol: readonly (readonly Bar[])[];
  /** Every bar in release order: by minute, then by symbol (how a backtest feeds them). */
  readonly all: readonly Bar[];
}

/** SYNTHETIC bars (seeded generator of @sys/market-data) of `count` made-up symbols for BENCH_DATE. */
export function syntheticDay(count: number, calendar = new NyseCalendar()): SyntheticDay {
  const window = calendar.session(BENCH_DATE);
  if (window === null) throw new Error(`${BENCH_DATE} must be a trading day`);
  const symbols = syntheticSymbols(count);
  const index = new Map(symbols.map((s, i) => [s, i]));
  const bySymbol: Bar[][] = symbols.map(() => []);
  const all: Bar[] = [];
  for (const bar of syntheticDayBars(BENCH_DATE, symbols, { seed: SEED, calendar })) {
    all.push(bar);
    (bySymbol[index.get(bar.symbol) as number] as Bar[]).push(bar);
  }
  return { window, calendar, symbols, bySymbol, all };
}

/** One market minute's bars across all symbols, and the end of that minute (when the engine applies them). */
export interface MinuteBatch {
  readonly bars: readonly Bar[];
  readonly endMs: number;
}

/** The day's bars cut into market minutes, in time order (how the replay loop releases them). */
export function minuteBatches(day: SyntheticDay): MinuteBatch[] {
  const out: MinuteBatch[] = [];
  let cur: Bar[] = [];
  let t = Number.NaN;
  for (const bar of day.all) {
    if (bar.startMs !== t && cur.length > 0) {
      out.push({ bars: cur, endMs: t + MINUTE_MS });
      cur = [];
    }
    t = bar.startMs;
    cur.push(bar);
  }
  if (cur.length > 0) out.push({ bars: cur, endMs: t + MINUTE_MS });
  return out;
}

/** A SessionData over the day's symbols, its day started, with `indicators` on every symbol. */
export function newSession(day: SyntheticDay, indicators: readonly SessionIndicatorSpec[] = []): SessionData {
  const sd = new SessionData({ calendar: day.calendar, indicators });
  for (const s of day.symbols) sd.addSymbol(s);
  sd.startDay(day.window);
  return sd;
}

/** The engine's own path (what the replay loop does at each minute's end): ingest, fold, move market time. */
export function feedByMinute(sd: SessionData, minutes: readonly MinuteBatch[]): void {
  for (const m of minutes) {
    sd.ingestMany(m.bars);
    sd.foldDerived();
    sd.advanceTo(m.endMs);
  }
}

/** Options of a TickingState. */
export interface TickingStateOptions {
  readonly symbols: number;
  /** 1m bars each symbol holds before the first tick (200 → ≈ 200/40/14/7/4 rows in 1m…1h). */
  readonly startMinutes: number;
  /** Share of the symbols that receive one new 1m bar per tick, 0 to 1. */
  readonly changeFraction: number;
}

/** A debug state of the system's JSON layout, built from real SessionData objects, advanced tick by tick. */
export interface TickingState {
  readonly session: SessionData;
  readonly changingPerTick: number;
  /** Ticks left before some symbol would run past the close. */
  readonly ticksLeft: number;
  /** The state now: `{ system_manager, threads, session_data }`, the same frozen object while unchanged. */
  state(): Json;
  /** One more bar for the next `changingPerTick` symbols (round robin), folded into the derived intervals. */
  tick(): void;
}

// The parts of the top-level layout that a bar does not change; small and fixed, as in a paused system.
const SYSTEM_MANAGER: Json = Object.freeze({
  state: 'running',
  mode: 'backtest',
  timezone: 'America/New_York',
  backtest_window: Object.freeze({ start_date: BENCH_DATE, end_date: BENCH_DATE }),
});
const THREADS: Json = Object.freeze(
  Object.fromEntries(
    ['session_coordinator', 'data_upkeep', 'stream_coordinator'].map((name) => [
      name,
      Object.freeze({
        thread_info: Object.freeze({ name, is_alive: true, daemon: false }),
        state: 'running',
      }),
    ]),
  ),
);

/** Builds a TickingState from SYNTHETIC bars. */
export function tickingState(options: TickingStateOptions, day?: SyntheticDay): TickingState {
  const d = day ?? syntheticDay(options.symbols);
  const n = d.symbols.length;
  const session = new SessionData({ calendar: d.calendar });
  for (const s of d.symbols) session.addSymbol(s);
  session.startDay(d.window);
  session.setSystem('running', 'backtest');
  for (let i = 0; i < n; i++) {
    const sym = session.getSymbol(d.symbols[i] as string);
    sym?.ingestMany((d.bySymbol[i] as readonly Bar[]).slice(0, options.startMinutes));
    sym?.foldDerived();
  }
  const clockMs = d.window.regularOpenMs + options.startMinutes * MINUTE_MS;
  session.advanceTo(clockMs);
  session.setSession({ timeMs: clockMs, active: true });

  const changing = Math.round(n * options.changeFraction);
  const next = new Array<number>(n).fill(options.startMinutes);
  let cursor = 0;
  let ticks = 0;
  let lastSession: Json = null;
  let top: Json = null;
  const batch: Bar[] = [];
  return {
    session,
    changingPerTick: changing,
    get ticksLeft() {
      if (changing === 0) return Number.POSITIVE_INFINITY;
      const barsEach = Math.ceil(((ticks + 1) * changing) / n);
      return Math.max(0, REGULAR_MINUTES - options.startMinutes - barsEach);
    },
    state() {
      const sd = session.toJson({ debug: true });
      if (sd !== lastSession || top === null) {
        lastSession = sd;
        top = Object.freeze({ system_manager: SYSTEM_MANAGER, threads: THREADS, session_data: sd });
      }
      return top;
    },
    tick() {
      ticks++;
      if (changing === 0) return;
      batch.length = 0;
      for (let j = 0; j < changing; j++) {
        const i = cursor++ % n;
        const bar = d.bySymbol[i]?.[next[i] as number];
        if (bar === undefined)
          throw new Error(`${d.symbols[i]} ran past the close: fewer ticks or startMinutes`);
        next[i] = (next[i] as number) + 1;
        batch.push(bar);
      }
      session.ingestMany(batch);
      for (const bar of batch) session.getSymbol(bar.symbol)?.foldDerived();
    },
  };
}

/**
 * A deep copy of a JSON value, as a program that keeps "the previous state" for a diff library would make
 * one: a plain recursive copy (faster than structuredClone on JSON-shaped data in V8).
 */
export function deepCopy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = deepCopy(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in value) out[k] = deepCopy((value as Record<string, unknown>)[k]);
  return out as T;
}

/** Compact JSON size in bytes (UTF-8) of a library's output; `undefined` (no change) is 0 bytes. */
export function wireBytes(value: unknown): number {
  if (value === undefined) return 0;
  return Buffer.byteLength(JSON.stringify(value));
}

/**
 * Bars made ahead of a timed run, replayed from memory: a BarSource whose reads cost next to nothing, so a
 * run over it times the engine and not the generator. Every run gets the same arrays; nothing in a run
 * writes to them (a test checks). They are not frozen: V8 slices a frozen array on a slow path (about 20×
 * slower here), which would bill the bench's choice to the engine's read-ahead.
 */
export class BarArraySource implements BarSource {
  /** The symbols it holds, sorted. */
  readonly symbols: readonly string[];
  /** The bars in time order and, within a minute, by symbol, in the batches they were made in. */
  readonly batches: readonly (readonly Bar[])[];
  /** Bars in all batches. */
  readonly barCount: number;

  constructor(symbols: readonly string[], batches: readonly (readonly Bar[])[]) {
    this.symbols = [...symbols].sort();
    this.batches = batches.map((b) => [...b]);
    this.barCount = batches.reduce((n, b) => n + b.length, 0);
  }

  /** The symbols it holds, sorted. */
  async listSymbols(): Promise<string[]> {
    return [...this.symbols];
  }

  /** The bars of the query, one by one. */
  async *streamBars(query: BarQuery): AsyncGenerator<Bar> {
    for await (const batch of this.streamBatches(query)) yield* batch;
  }

  /**
   * The bars of the query in the stored batches: a batch wholly inside the query is handed out as it is (no
   * copy, so a whole-window replay reads for free), one that straddles it is filtered.
   */
  async *streamBatches(query: BarQuery): AsyncGenerator<readonly Bar[]> {
    if (query.startDate > query.endDate) {
      throw new BarQueryError(
        `query startDate ${query.startDate} is after endDate ${query.endDate}; swap them`,
      );
    }
    const fromMs = nyMidnightMs(query.startDate);
    const toMs = nyMidnightMs(addDays(query.endDate, 1));
    const wanted = query.symbols.length === 0 ? null : new Set(query.symbols);
    const everySymbol = wanted === null || this.symbols.every((s) => wanted.has(s));
    for (const batch of this.batches) {
      const first = batch[0];
      const last = batch[batch.length - 1];
      if (first === undefined || last === undefined) continue;
      if (last.startMs < fromMs || first.startMs >= toMs) continue;
      if (everySymbol && first.startMs >= fromMs && last.startMs < toMs) {
        yield batch;
        continue;
      }
      const part = batch.filter(
        (b) => b.startMs >= fromMs && b.startMs < toMs && (wanted === null || wanted.has(b.symbol)),
      );
      if (part.length > 0) yield part;
    }
  }
}

/**
 * SYNTHETIC bars of `count` made-up symbols from `startDate` to `endDate` (seed SEED, regular session), made
 * once with `SyntheticBarSource.streamBatches` — the generator a config's `{ type: 'synthetic' }` opens — and
 * kept in memory. Call it outside any timed region.
 */
export async function pregenerate(
  count: number,
  startDate: IsoDate = BENCH_DATE,
  endDate: IsoDate = startDate,
): Promise<BarArraySource> {
  const symbols = syntheticSymbols(count);
  const generator = new SyntheticBarSource({ symbols, startDate, endDate, seed: SEED });
  const batches: (readonly Bar[])[] = [];
  for await (const batch of generator.streamBatches({ symbols, startDate, endDate })) batches.push(batch);
  return new BarArraySource(symbols, batches);
}
