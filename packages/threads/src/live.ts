import type { Json, ToJsonOptions } from '@sys/core';
import { type Bar, barLabel, validateBar } from '@sys/market-data';
import {
  type Clock,
  type IsoDate,
  LiveClock,
  MINUTE_MS,
  NyseCalendar,
  nyDateOf,
  type ReplayScope,
  type SessionWindow,
} from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { SessionApplier, type SessionTarget, scopeBounds, Timing } from './apply.js';
import { RunStateError } from './errors.js';
import { roleJson, ThreadsProjection } from './roles.js';
import { type Run, RunLifecycle, type RunProgress, type RunState } from './run.js';
import { nyStamp } from './scope.js';

/** Options of a {@link LiveRun}. */
export interface LiveRunOptions {
  /** Symbols of the session (added to `sessionData` on start); bars of others are refused. */
  symbols: readonly string[];
  /** The state the run fills. */
  sessionData: SessionData;
  /** Bars as they arrive (NDJSON lines, a socket, …); the run also takes bars through `push`. */
  feed?: AsyncIterable<Bar>;
  /** Market time; default the wall clock (a `LiveClock`). */
  clock?: Clock;
  /** Trading calendar; default the session data's. */
  calendar?: NyseCalendar;
  /** `regular` (default) or `extended`: which bars belong to the session. */
  scope?: ReplayScope;
  /** How often market time is moved on, wall ms (default 1000). */
  tickMs?: number;
  /** A run that does not keep the process alive (default false). */
  daemon?: boolean;
  /** Monotonic wall clock for timing, ms. */
  now?: () => number;
}

/**
 * A live session: the same apply path as a backtest, fed by bars as they arrive and moved by a wall clock.
 * Every `tickMs` it moves market time on and applies the calendar's boundaries that were passed (a new
 * day, the open, the close); a bar is applied once its minute has ended by that clock (a bar stamped in the
 * future waits). Paused, nothing is applied and arriving bars wait, in order, until `resume` — none is
 * dropped. Live time cannot be stepped or sped up: those calls are refused with a clear error.
 */
export class LiveRun implements Run {
  readonly mode = 'live' as const;
  /** The state being filled. */
  readonly sessionData: SessionData;
  /** The counters and the one apply path. */
  readonly applier: SessionApplier;
  readonly #symbols: ReadonlySet<string>;
  readonly #feed: AsyncIterable<Bar> | undefined;
  readonly #clock: Clock;
  readonly #calendar: NyseCalendar;
  readonly #scope: ReplayScope;
  readonly #tickMs: number;
  readonly #now: () => number;
  readonly #lifecycle: RunLifecycle;
  readonly #threads: ThreadsProjection;
  readonly #feedTiming = new Timing();
  /** Bars accepted and not applied yet (their minute has not ended, or the run is paused). */
  #pending: Bar[] = [];
  #window: SessionWindow | null = null;
  #date: IsoDate | null = null;
  #marketMs: number | null = null;
  #received = 0;
  #rejected = 0;
  #lastRejection: string | null = null;
  #version = 0;

  constructor(options: LiveRunOptions) {
    this.sessionData = options.sessionData;
    this.#symbols = new Set(options.symbols);
    this.#feed = options.feed;
    this.#clock = options.clock ?? new LiveClock();
    this.#calendar = options.calendar ?? options.sessionData.calendar ?? new NyseCalendar();
    this.#scope = options.scope ?? 'regular';
    this.#tickMs = Math.max(1, options.tickMs ?? 1000);
    this.#now = options.now ?? (() => performance.now());
    this.applier = new SessionApplier(options.sessionData as SessionTarget, { now: this.#now });
    this.#lifecycle = new RunLifecycle('live run', {
      ...(options.daemon === undefined ? {} : { daemon: options.daemon }),
      onChange: () => {
        this.#version++;
      },
    });
    this.#threads = new ThreadsProjection((debug) => this.#roles(debug));
  }

  /** Where the run is in its life. */
  get state(): RunState {
    return this.#lifecycle.state;
  }

  /** Why the run failed, or null. */
  get error(): Error | null {
    return this.#lifecycle.error;
  }

  /** A live session never ends by itself. */
  get ended(): boolean {
    return false;
  }

  /** Live time runs at the wall clock's pace: no speed. */
  get speed(): null {
    return null;
  }

  /** Grows whenever anything its JSON shows changed. */
  get version(): number {
    return this.applier.version + this.#version;
  }

  /** Market time: the clock while the run moves, frozen at the last tick once paused or over. */
  marketNowMs(): number | null {
    return this.#marketMs;
  }

  /** Starts: sets up today's session and begins ticking (and reading the feed, if any). */
  start(): void {
    for (const symbol of this.#symbols) this.sessionData.addSymbol(symbol);
    this.#lifecycle.launch((signal) => this.#run(signal));
    this.#tick();
  }

  /** Holds the session: nothing is applied and market time stands still until `resume`. */
  pause(): void {
    this.#lifecycle.move('pause');
  }

  /** Goes on: applies what arrived meanwhile and catches market time up with the clock. */
  resume(): void {
    this.#lifecycle.move('resume');
    this.#tick();
  }

  /** Refused: live time cannot be stepped. */
  step(): Promise<void> {
    throw new RunStateError(
      'step',
      this.state,
      'a live run follows the wall clock; step works in backtests',
      'live run',
    );
  }

  /** Refused: live time runs at the wall clock's pace. */
  setSpeed(): void {
    throw new RunStateError(
      'set the speed of',
      this.state,
      'a live run follows the wall clock; speed works in backtests',
      'live run',
    );
  }

  /** Stops ticking and reading the feed; resolves once stopped. Market time stays at the last tick. */
  async stop(): Promise<void> {
    await this.#lifecycle.stop();
  }

  /** Resolves when the run is over (stopped or failed); never rejects. */
  join(): Promise<void> {
    return this.#lifecycle.join();
  }

  /**
   * Takes one bar that arrived: checked at once (a bad bar or an unknown symbol throws and nothing is
   * kept), applied once its minute has ended and the run is not paused.
   */
  push(bar: Bar, where = barLabel(bar.symbol, bar.startMs)): void {
    if (this.state !== 'running' && this.state !== 'paused') {
      throw new RunStateError('take bars into', this.state, 'start it first', 'live run');
    }
    validateBar(bar, where);
    if (!this.#symbols.has(bar.symbol)) {
      throw new RunStateError(
        `take a bar of ${bar.symbol} (${where}) into`,
        this.state,
        `the session's symbols are ${[...this.#symbols].join(', ')}`,
        'live run',
      );
    }
    this.#received++;
    this.#pending.push(bar);
    this.#version++;
    if (this.state === 'running') this.#applyDue(this.#clock.nowMs());
  }

  /** Progress now. */
  progress(): RunProgress {
    return {
      state: this.state,
      marketTimeMs: this.#marketMs,
      barsApplied: this.applier.barsIngested,
      ended: false,
    };
  }

  /** `{ state, error, speed, symbols, threads }`. */
  toJson(options?: ToJsonOptions): Json {
    return {
      state: this.state,
      error: this.error?.message ?? null,
      speed: null,
      symbols: this.#symbols.size,
      threads: this.threadsJson(options),
    };
  }

  /** `{ session_coordinator, data_upkeep, stream_coordinator }`, the system's `threads` part. */
  threadsJson(options?: ToJsonOptions): Json {
    return this.#threads.get(this.version, options);
  }

  async #run(signal: AbortSignal): Promise<void> {
    const feed = this.#feed === undefined ? Promise.resolve() : this.#readFeed(this.#feed, signal);
    const ticks = (async () => {
      for (;;) {
        this.#tick(); // also catches up a clock that moved before this loop's first wait
        const next = (Math.floor(this.#clock.nowMs() / this.#tickMs) + 1) * this.#tickMs;
        await this.#clock.sleepUntil(next, signal);
      }
    })();
    await Promise.all([feed, ticks]);
  }

  async #readFeed(feed: AsyncIterable<Bar>, signal: AbortSignal): Promise<void> {
    for await (const bar of feed) {
      if (signal.aborted) return;
      const t0 = this.#now();
      try {
        this.push(bar);
      } catch (error) {
        // One bad bar in a feed is refused and counted; the session goes on.
        this.#rejected++;
        this.#lastRejection = (error as Error).message;
        this.#version++;
      }
      this.#feedTiming.record(1, this.#now() - t0);
    }
  }

  /** Moves market time to the clock: the day's boundaries that were passed, then the bars that are due. */
  #tick(): void {
    if (this.state !== 'running') return;
    const now = this.#clock.nowMs();
    const a = this.applier;
    const date = nyDateOf(now);
    if (date !== this.#date) {
      this.#date = date;
      this.#window = this.#calendar.session(date);
      if (this.#window !== null) a.startDay(this.#window);
      else this.sessionData.setSession({ date, active: false, ended: false });
    }
    const w = this.#window;
    if (w !== null) {
      const { endMs } = scopeBounds(w, this.#scope);
      if (a.phase === 'pre_market' && now >= w.regularOpenMs) a.open(w.regularOpenMs);
      if (a.phase === 'open' && now >= w.regularCloseMs) a.close(w.regularCloseMs);
      if (a.phase === 'post_market' && now >= endMs) a.endDay(endMs);
    }
    this.#applyDue(now);
    this.#moveTo(now, false);
  }

  /** Applies, in time order, the pending bars whose minute has ended by `now`. */
  #applyDue(now: number): void {
    if (this.#pending.length === 0) return;
    const due: Bar[] = [];
    const wait: Bar[] = [];
    for (const bar of this.#pending) (bar.startMs + MINUTE_MS <= now ? due : wait).push(bar);
    if (due.length === 0) return;
    this.#pending = wait;
    due.sort((x, y) => x.startMs - y.startMs || (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : 0));
    const w = this.#window;
    const bounds = w === null ? null : scopeBounds(w, this.#scope);
    const inScope =
      bounds === null ? [] : due.filter((b) => b.startMs >= bounds.startMs && b.startMs < bounds.endMs);
    this.applier.outside(due.length - inScope.length);
    if (inScope.length === 0) return;
    // Each minute's bars are that minute's event, as in a backtest; then time catches up with the clock.
    let i = 0;
    while (i < inScope.length) {
      const startMs = (inScope[i] as Bar).startMs;
      let j = i;
      while (j < inScope.length && (inScope[j] as Bar).startMs === startMs) j++;
      this.applier.minute(inScope.slice(i, j), startMs + MINUTE_MS);
      i = j;
    }
    this.#moveTo(now, true);
  }

  /** Market time to the whole second of `now` (also when unchanged, after bars moved the state back to their minute). */
  #moveTo(now: number, force: boolean): void {
    const second = Math.floor(now / 1000) * 1000;
    if (second === this.#marketMs && !force) return;
    this.#marketMs = second;
    this.sessionData.advanceTo(second);
    this.#version++;
  }

  #roles(debug: boolean) {
    const a = this.applier;
    const run = { state: this.state, error: this.error, daemon: this.#lifecycle.daemon };
    return {
      session_coordinator: roleJson(
        'session_coordinator',
        run,
        {
          fields: {
            date: a.date,
            phase: a.phase,
            days_done: a.daysDone.length,
            last_day_done: a.daysDone[a.daysDone.length - 1] ?? null,
          },
          timing: a.sessionTiming.stats(),
        },
        debug,
      ),
      data_upkeep: roleJson(
        'data_upkeep',
        run,
        {
          fields: {
            bars_ingested: a.barsIngested,
            minutes_ingested: a.minutesIngested,
            bars_folded: a.barsFolded,
            market_time: nyStamp(a.appliedThroughMs),
            lag: { bars: this.#pending.length, market_ms: 0, bars_read_ahead: 0 },
          },
          timing: a.upkeepTiming.stats(),
        },
        debug,
      ),
      stream_coordinator: roleJson(
        'stream_coordinator',
        run,
        {
          fields: {
            speed: null,
            scope: this.#scope,
            symbols: this.#symbols.size,
            market_time: nyStamp(this.#marketMs),
            bars_received: this.#received,
            bars_rejected: this.#rejected,
            last_rejection: this.#lastRejection,
            bars_outside_scope: a.barsOutsideScope,
            bars_pending: this.#pending.length,
          },
          timing: this.#feedTiming.stats(),
        },
        debug,
      ),
    };
  }
}
