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
import { scopeBounds, sessionRole, Timing, upkeepRole } from './apply.js';
import { type RoleSpecs, RunBase } from './base.js';
import { RunStateError } from './errors.js';
import type { Run } from './run.js';
import { nyStamp } from './scope.js';
import type { RunJson } from './wire.js';

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
export class LiveRun extends RunBase implements Run {
  readonly mode = 'live' as const;
  /** Live time runs at the wall clock's pace: no speed. */
  readonly speed = null;
  readonly #symbols: ReadonlySet<string>;
  readonly #feed: AsyncIterable<Bar> | undefined;
  readonly #clock: Clock;
  readonly #calendar: NyseCalendar;
  readonly #scope: ReplayScope;
  readonly #tickMs: number;
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
    super('live run', options);
    this.#symbols = new Set(options.symbols);
    this.#feed = options.feed;
    this.#clock = options.clock ?? new LiveClock();
    this.#calendar = options.calendar ?? options.sessionData.calendar ?? new NyseCalendar();
    this.#scope = options.scope ?? 'regular';
    this.#tickMs = Math.max(1, options.tickMs ?? 1000);
  }

  /** Market time: the clock while the run moves, frozen at the last tick once paused or over. */
  marketNowMs(): number | null {
    return this.#marketMs;
  }

  /** Starts: sets up today's session and begins ticking (and reading the feed, if any). */
  start(): void {
    for (const symbol of this.#symbols) this.sessionData.addSymbol(symbol);
    this.launch((signal) => this.#run(signal));
    this.#tick();
  }

  /** Holds the session: nothing is applied and market time stands still until `resume`. */
  pause(): void {
    this.move('pause');
  }

  /** Goes on: applies what arrived meanwhile and catches market time up with the clock. */
  resume(): void {
    this.move('resume');
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
      const t0 = this.now();
      try {
        this.push(bar);
      } catch (error) {
        // One bad bar in a feed is refused and counted; the session goes on.
        this.#rejected++;
        this.#lastRejection = (error as Error).message;
        this.#version++;
      }
      this.#feedTiming.record(1, this.now() - t0);
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
      if (this.#window !== null) {
        a.startDay(this.#window);
        this.emit({ kind: 'day', atMs: this.#window.preMarketStartMs });
      } else this.sessionData.setSession({ date, active: false, ended: false });
    }
    const w = this.#window;
    if (w !== null) {
      const { endMs } = scopeBounds(w, this.#scope);
      if (a.phase === 'pre_market' && now >= w.regularOpenMs) this.#boundary('open', w.regularOpenMs);
      if (a.phase === 'open' && now >= w.regularCloseMs) this.#boundary('close', w.regularCloseMs);
      if (a.phase === 'post_market' && now >= endMs) this.#boundary('day_end', endMs);
    }
    this.#applyDue(now);
    this.#moveTo(now, false);
  }

  #boundary(kind: 'open' | 'close' | 'day_end', atMs: number): void {
    this.applier.boundary(kind, atMs);
    this.emit({ kind, atMs });
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
      this.emit({ kind: 'minute', atMs: startMs + MINUTE_MS });
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

  protected override extraVersion(): number {
    return this.#version;
  }

  protected summary(): Pick<RunJson, 'backtest_window' | 'symbols'> {
    return { symbols: this.#symbols.size };
  }

  protected roles(): RoleSpecs {
    const a = this.applier;
    return {
      session_coordinator: sessionRole(a, {}),
      data_upkeep: upkeepRole(a, { bars: this.#pending.length, market_ms: 0, bars_read_ahead: 0 }),
      stream_coordinator: {
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
    };
  }
}
