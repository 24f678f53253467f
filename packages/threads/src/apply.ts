import type { Bar } from '@sys/market-data';
import { type IsoDate, MINUTE_MS, type ReplayScope, type SessionWindow } from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import type { RoleSpec } from './base.js';
import { nyStamp } from './scope.js';
import type { DataUpkeepFields, SessionCoordinatorFields } from './wire.js';

/** Where the session is in its day. */
export type SessionPhase = 'idle' | 'history' | 'pre_market' | 'open' | 'post_market' | 'closed' | 'ended';

/** Per-batch timing of one role, snake_case as on the wire. */
export interface TimingStats {
  batches: number;
  items: number;
  last_batch_ms: number;
  avg_batch_ms: number;
  max_batch_ms: number;
}

/** Batch timing of one role: how long each unit of its work took (waits excluded). */
export class Timing {
  #batches = 0;
  #items = 0;
  #lastMs = 0;
  #totalMs = 0;
  #maxMs = 0;

  /** Records one batch of `items` that took `durationMs`. */
  record(items: number, durationMs: number): void {
    this.#batches++;
    this.#items += items;
    this.#lastMs = durationMs;
    this.#totalMs += durationMs;
    if (durationMs > this.#maxMs) this.#maxMs = durationMs;
  }

  /** The figures now (a fresh object). */
  stats(): TimingStats {
    return {
      batches: this.#batches,
      items: this.#items,
      last_batch_ms: round3(this.#lastMs),
      avg_batch_ms: this.#batches === 0 ? 0 : round3(this.#totalMs / this.#batches),
      max_batch_ms: round3(this.#maxMs),
    };
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The part of SessionData a run writes to. */
export type SessionTarget = Pick<
  SessionData,
  'setSession' | 'startDay' | 'loadHistorical' | 'trimHistory' | 'advanceTo' | 'ingestMany' | 'foldDerived'
>;

/**
 * Applies a run's events to the session state, synchronously, and counts what the three roles show: the
 * one `apply` path of backtests and live runs. Each method is one event of the engine loop: a day starts,
 * the market opens, a minute ends (its bars become visible), the market closes, the day ends, the window
 * ends. Bars are checked whole before any is stored (SessionData's `ingestMany`), so a bad bar stores
 * nothing and the counters stay true.
 */
export class SessionApplier {
  /** Bars applied to the session (in scope). */
  barsIngested = 0;
  /** Minutes that brought at least one bar. */
  minutesIngested = 0;
  /** Bars folded into the derived intervals. */
  barsFolded = 0;
  /** Bars read that fell outside the replayed sessions (pre/post-market in `regular` scope, closed days). */
  barsOutsideScope = 0;
  /** Market time of the last minute applied, epoch ms; null before the first. */
  appliedThroughMs: number | null = null;
  /** History bars loaded. */
  historyBars = 0;
  /** The last date whose bars are in history; null when none was loaded. */
  historyThrough: IsoDate | null = null;
  /** Where the day is. */
  phase: SessionPhase = 'idle';
  /** The trading day being run; null before the first. */
  date: IsoDate | null = null;
  /** Days run to their end. */
  readonly daysDone: IsoDate[] = [];
  /** Timing of minute applies (the data upkeep's work). */
  readonly upkeepTiming = new Timing();
  /** Timing of day events and history loads (the session coordinator's work). */
  readonly sessionTiming = new Timing();
  /** Grows with every event applied. */
  version = 0;
  readonly #target: SessionTarget;
  readonly #now: () => number;

  constructor(target: SessionTarget, options: { now?: () => number } = {}) {
    this.#target = target;
    this.#now = options.now ?? (() => performance.now());
  }

  /** A trading day starts (at its pre-market start): session bars reset, history kept. */
  startDay(window: SessionWindow): void {
    const t0 = this.#now();
    this.#target.startDay(window);
    this.#target.setSession({ date: window.date, active: false, ended: false });
    this.#target.advanceTo(window.preMarketStartMs);
    this.date = window.date;
    this.phase = 'pre_market';
    this.sessionTiming.record(0, this.#now() - t0);
    this.version++;
  }

  /** Bars of earlier days, by symbol; `through` is the last date they cover. */
  loadHistory(
    bySymbol: ReadonlyMap<string, readonly Bar[]>,
    through: IsoDate,
    keepFrom: IsoDate | null,
  ): void {
    const t0 = this.#now();
    if (keepFrom !== null) this.#target.trimHistory(keepFrom);
    let n = 0;
    for (const [symbol, bars] of bySymbol) {
      if (bars.length === 0) continue;
      this.#target.loadHistorical(symbol, bars);
      n += bars.length;
    }
    this.historyBars += n;
    this.historyThrough = through;
    this.sessionTiming.record(n, this.#now() - t0);
    this.version++;
  }

  /** The regular session opens (`open`), closes (`close`), or the day's replayed time is over (`day_end`). */
  boundary(kind: 'open' | 'close' | 'day_end', atMs: number): void {
    if (kind === 'day_end') {
      if (this.date !== null) this.daysDone.push(this.date);
    } else {
      this.#target.setSession({ active: kind === 'open' });
    }
    this.#target.advanceTo(atMs);
    this.phase = kind === 'open' ? 'open' : kind === 'close' ? 'post_market' : 'closed';
    this.version++;
  }

  /**
   * The minute ending at `endMs` is over: its bars (those starting in `[endMs - 1 min, endMs)`) are
   * applied and market time moves to `endMs`. Earlier bars in `bars` lie outside the replayed sessions
   * and are only counted. `bars` must be in time order.
   */
  minute(bars: readonly Bar[], endMs: number): void {
    const t0 = this.#now();
    const fromMs = endMs - MINUTE_MS;
    let skip = 0;
    while (skip < bars.length && (bars[skip] as Bar).startMs < fromMs) skip++;
    const visible = skip === 0 ? bars : bars.slice(skip);
    if (visible.length > 0) {
      this.#target.ingestMany(visible);
      this.barsFolded += this.#target.foldDerived();
      this.barsIngested += visible.length;
      this.minutesIngested++;
    }
    this.barsOutsideScope += skip;
    this.#target.advanceTo(endMs);
    this.appliedThroughMs = endMs;
    this.upkeepTiming.record(visible.length, this.#now() - t0);
    this.version++;
  }

  /** Bars that arrived outside any replayed session: counted, never stored. */
  outside(count: number): void {
    if (count === 0) return;
    this.barsOutsideScope += count;
    this.version++;
  }

  /** The whole window is done. */
  endWindow(): void {
    this.#target.setSession({ active: false, ended: true });
    this.phase = 'ended';
    this.version++;
  }
}

/** The data upkeep role (the same in every run) from an applier's counters; `lag` is the run's to say. */
export function upkeepRole(a: SessionApplier, lag: DataUpkeepFields['lag']): RoleSpec<DataUpkeepFields> {
  const market_time = nyStamp(a.appliedThroughMs);
  return {
    fields: {
      bars_ingested: a.barsIngested,
      minutes_ingested: a.minutesIngested,
      bars_folded: a.barsFolded,
      market_time,
      lag,
    },
    timing: a.upkeepTiming.stats(),
  };
}

/** The session coordinator role: the applier's day fields and the run's own (`extra`). */
export function sessionRole(
  a: SessionApplier,
  extra: Omit<SessionCoordinatorFields, 'date' | 'phase' | 'days_done' | 'last_day_done'>,
  date: IsoDate | null = a.date,
): RoleSpec<SessionCoordinatorFields> {
  const last_day_done = a.daysDone[a.daysDone.length - 1] ?? null;
  return {
    fields: { date, phase: a.phase, days_done: a.daysDone.length, last_day_done, ...extra },
    timing: a.sessionTiming.stats(),
  };
}

/** Where a day's replayed time starts and ends for a scope. */
export function scopeBounds(window: SessionWindow, scope: ReplayScope): { startMs: number; endMs: number } {
  return scope === 'regular'
    ? { startMs: window.regularOpenMs, endMs: window.regularCloseMs }
    : { startMs: window.preMarketStartMs, endMs: window.postMarketEndMs };
}
