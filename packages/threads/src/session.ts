import type { Json, Serializable, ToJsonOptions } from '@sys/core';
import type { Bar, BarSource } from '@sys/market-data';
import {
  type Clock,
  type IsoDate,
  NyseCalendar,
  type ReplayScope,
  type SessionWindow,
} from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { UpstreamFailedError } from './errors.js';
import { ScopeFilter } from './scope.js';
import type { ReleaseGate } from './stream.js';
import { Worker, type WorkerContext, type WorkerState } from './worker.js';

/** The part of SessionData the session coordinator drives. */
export type SessionTarget = Pick<
  SessionData,
  'setSession' | 'startDay' | 'loadHistorical' | 'trimHistory' | 'advanceTo'
>;

/** Where the session coordinator is in the backtest. */
export type SessionPhase = 'idle' | 'history' | 'pre_market' | 'open' | 'post_market' | 'closed' | 'ended';

/** Anything that can say it has stored everything handed to it (the data upkeep). */
export interface CatchUp {
  /** Resolves once everything released so far is stored. */
  whenCaughtUp(signal?: AbortSignal): Promise<void>;
}

/** Options of a {@link SessionCoordinator}. */
export interface SessionCoordinatorOptions {
  /** The state it keeps true: `session`, day starts, history. */
  sessionData: SessionTarget;
  /** The symbols of the backtest (for history). */
  symbols: readonly string[];
  /** Where history comes from (the same source as the stream). */
  source: BarSource;
  /** Market time. */
  clock: Clock;
  /** First New York date of the backtest, inclusive. */
  startDate: IsoDate;
  /** Last New York date, inclusive. */
  endDate: IsoDate;
  /** The stream, held to one session at a time; it must be created `gated`. */
  stream: ReleaseGate;
  /** The upkeep, so a session closes only once its bars are stored. */
  upkeep: CatchUp;
  /** Trading days of history loaded before the first day (default 0); each later day adds the day before it. */
  historyDays?: number;
  /** `regular` (default) or `extended`: which session bars the day holds (also for history). */
  scope?: ReplayScope;
  /** Trading calendar; default a new NyseCalendar. */
  calendar?: NyseCalendar;
  /** Worker name; default `session_coordinator`. */
  name?: string;
  /** See {@link WorkerOptions.daemon}. */
  daemon?: boolean;
  /** Wall clock for timing, ms. */
  now?: () => number;
}

/**
 * The session lifecycle of a backtest, one trading day at a time: history, pre-market, open, close (13:00
 * on early-close days), then straight to the next trading day (weekends and holidays are never visited),
 * and `ended` after the window. It keeps `session_data.session` true at every step and holds the stream to
 * the current session, so no bar of a day is released before that day has started, and a day closes only
 * once all of its bars are stored. Stopped and started again, it continues at the step it was in.
 */
export class SessionCoordinator implements Serializable {
  /** The lifecycle (state, error, timing) of this worker. */
  readonly worker: Worker;
  readonly #target: SessionTarget;
  readonly #symbols: readonly string[];
  readonly #source: BarSource;
  readonly #clock: Clock;
  readonly #calendar: NyseCalendar;
  readonly #scope: ReplayScope;
  readonly #stream: ReleaseGate;
  readonly #upkeep: CatchUp;
  readonly #historyDays: number;
  readonly #startDate: IsoDate;
  readonly #endDate: IsoDate;
  readonly #days: readonly IsoDate[];
  #dayIndex = 0;
  #phase: SessionPhase = 'idle';
  /** The last date whose bars are in history (null: none loaded yet). */
  #historyThrough: IsoDate | null = null;
  #historyBars = 0;
  #daysDone: IsoDate[] = [];
  #stoppedBecause: string | null = null;

  constructor(options: SessionCoordinatorOptions) {
    this.#target = options.sessionData;
    this.#symbols = [...new Set(options.symbols)].sort();
    this.#source = options.source;
    this.#clock = options.clock;
    this.#calendar = options.calendar ?? new NyseCalendar();
    this.#scope = options.scope ?? 'regular';
    this.#stream = options.stream;
    this.#upkeep = options.upkeep;
    this.#historyDays = Math.max(0, Math.floor(options.historyDays ?? 0));
    this.#startDate = options.startDate;
    this.#endDate = options.endDate;
    this.#days = this.#calendar.tradingDays(options.startDate, options.endDate);
    this.worker = new Worker(
      {
        name: options.name ?? 'session_coordinator',
        ...(options.daemon === undefined ? {} : { daemon: options.daemon }),
        ...(options.now === undefined ? {} : { now: options.now }),
        yieldEveryMs: 0,
      },
      (ctx) => this.#run(ctx),
    );
  }

  /** The trading days of the window, in order. */
  get tradingDays(): readonly IsoDate[] {
    return this.#days;
  }

  /** The step it is at. */
  get phase(): SessionPhase {
    return this.#phase;
  }

  /** The worker's state. */
  get state(): WorkerState {
    return this.worker.state;
  }

  /** Starts (or continues at the step it was stopped in). */
  start(): void {
    this.worker.start();
  }

  /** Pauses at its next step. */
  pause(): void {
    this.worker.pause();
  }

  /** Goes on. */
  resume(): void {
    this.worker.resume();
  }

  /** Stops; resolves when it has. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Resolves when the current run has ended. */
  join(): Promise<void> {
    return this.worker.join();
  }

  /** `thread_info`, `state`, `error`, the day and phase, progress; with debug `performance`. */
  toJson(options?: ToJsonOptions): Json {
    return this.worker.toJson(options, '', () => ({
      date: this.#days[Math.min(this.#dayIndex, this.#days.length - 1)] ?? null,
      phase: this.#phase,
      start_date: this.#startDate,
      end_date: this.#endDate,
      trading_days: this.#days.length,
      days_done: this.#daysDone.length,
      last_day_done: this.#daysDone[this.#daysDone.length - 1] ?? null,
      history_days: this.#historyDays,
      history_through: this.#historyThrough,
      history_bars_loaded: this.#historyBars,
      stopped_because: this.#stoppedBecause,
    }));
  }

  #enter(phase: SessionPhase, ctx: WorkerContext): void {
    this.#phase = phase;
    ctx.changed();
  }

  async #run(ctx: WorkerContext): Promise<void> {
    try {
      await this.#steps(ctx);
    } catch (error) {
      // The stream or the upkeep failed: that worker carries the error; this one just stops, and a later
      // start continues at the same step.
      if (error instanceof UpstreamFailedError) {
        this.#stoppedBecause = error.message;
        ctx.changed();
        return;
      }
      throw error;
    }
  }

  async #steps(ctx: WorkerContext): Promise<void> {
    this.#stoppedBecause = null;
    const { signal } = ctx;
    const target = this.#target;
    for (; this.#dayIndex < this.#days.length; ) {
      const date = this.#days[this.#dayIndex] as IsoDate;
      const window = this.#calendar.session(date) as SessionWindow;
      const dayEndMs = this.#scope === 'regular' ? window.regularCloseMs : window.postMarketEndMs;
      // Each step is redone whole after a stop: none of them releases bars of a later step.
      if (this.#phase === 'idle' || this.#phase === 'closed' || this.#phase === 'history') {
        await ctx.checkpoint();
        this.#enter('history', ctx);
        await this.#clock.sleepUntil(window.preMarketStartMs, signal); // nights and weekends cost nothing
        await ctx.whilePaused();
        const t0 = ctx.now();
        const loaded = await this.#loadHistory(date, ctx);
        target.startDay(window);
        target.setSession({ date, active: false, ended: false });
        target.advanceTo(window.preMarketStartMs);
        this.#enter('pre_market', ctx);
        ctx.recordBatch(loaded, ctx.now() - t0);
        this.#stream.allowThrough(window.regularOpenMs);
      }
      if (this.#phase === 'pre_market') {
        await this.#settle(window.regularOpenMs, ctx);
        target.setSession({ active: true });
        target.advanceTo(window.regularOpenMs);
        this.#enter('open', ctx);
        this.#stream.allowThrough(window.regularCloseMs);
      }
      if (this.#phase === 'open') {
        await this.#settle(window.regularCloseMs, ctx);
        target.setSession({ active: false });
        target.advanceTo(window.regularCloseMs);
        this.#enter('post_market', ctx);
        this.#stream.allowThrough(dayEndMs);
      }
      if (this.#phase === 'post_market') {
        if (dayEndMs > window.regularCloseMs) {
          await this.#settle(dayEndMs, ctx);
          target.advanceTo(dayEndMs);
        }
        this.#daysDone.push(date);
        this.#dayIndex++;
        this.#enter('closed', ctx);
      }
    }
    target.setSession({ active: false, ended: true });
    this.#enter('ended', ctx);
  }

  /** Waits until every bar before `ms` is released and stored, then until the clock reaches `ms`. */
  async #settle(ms: number, ctx: WorkerContext): Promise<void> {
    await ctx.checkpoint();
    await this.#stream.whenReleasedThrough(ms, ctx.signal);
    await this.#upkeep.whenCaughtUp(ctx.signal);
    // Only now sleep: at 'max' a sleeper moves time, and the stream must not be overtaken.
    await this.#clock.sleepUntil(ms, ctx.signal);
    await ctx.whilePaused();
  }

  /**
   * Loads the history `date` needs: the `historyDays` trading days before the first day, then each day
   * the day before it, dropping the day that fell out of the window (each day is loaded once). Returns
   * bars loaded.
   */
  async #loadHistory(date: IsoDate, ctx: WorkerContext): Promise<number> {
    if (this.#historyDays === 0) return 0;
    const last = this.#calendar.previousTradingDay(date);
    // The oldest day `date` needs; older days loaded for earlier days are dropped, so a long backtest
    // holds `historyDays` days of history, not every day it has passed.
    let keepFrom = last;
    for (let i = 1; i < this.#historyDays; i++) keepFrom = this.#calendar.previousTradingDay(keepFrom);
    let first: IsoDate;
    if (this.#historyThrough === null) {
      first = keepFrom;
    } else {
      if (this.#historyThrough >= last) return 0;
      this.#target.trimHistory(keepFrom);
      first = this.#calendar.nextTradingDay(this.#historyThrough);
    }
    const filter = new ScopeFilter(this.#calendar, this.#scope);
    const bySymbol = new Map<string, Bar[]>();
    for (const symbol of this.#symbols) bySymbol.set(symbol, []);
    let n = 0;
    let read = 0;
    for await (const bar of this.#source.streamBars({
      symbols: this.#symbols,
      startDate: first,
      endDate: last,
    })) {
      if ((++read & 1023) === 0) await ctx.checkpoint(); // nothing is stored yet: a stop here loses nothing
      if (!filter.contains(bar.startMs)) continue;
      bySymbol.get(bar.symbol)?.push(bar);
      n++;
    }
    // Stored whole, so a stop cannot leave half the symbols with this history (it is appended, not set).
    for (const [symbol, bars] of bySymbol) {
      if (bars.length > 0) this.#target.loadHistorical(symbol, bars);
      await ctx.breathe();
    }
    this.#historyThrough = last;
    this.#historyBars += n;
    return n;
  }
}
