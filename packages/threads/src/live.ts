import type { Json } from '@sys/core';
import { type Bar, BarValidationError, barLabel, barProblem } from '@sys/market-data';
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
  /** Bars as they arrive, one or a batch at a time (NDJSON, a socket, …); the run also takes bars through `push`. */
  feed?: AsyncIterable<Bar | readonly Bar[]>;
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
  /**
   * Market time follows the bars instead of a clock: the session day is the first bar's day, and a bar of
   * a later minute ends the minutes before it (so a replayed stored day runs as a live session of that day).
   */
  followFeed?: boolean;
  /**
   * The run ends when the feed ends (default: with `followFeed`). Following the feed, the day is then run to
   * its end first, as a backtest would.
   */
  endWithFeed?: boolean;
  /** The feed's own status (connection, reconnects, malformed messages), shown as `stream_coordinator.feed`. */
  feedStatus?: { version(): number; toJson(): Json };
}

/** What became of one bar a live run was given. */
export type PushResult = 'accepted' | 'duplicate' | 'corrected' | 'rejected';

/** Why a live run refused a bar (counted per reason in `rejections`). */
export type RejectionReason = 'invalid' | 'unknown_symbol' | 'older_than_session' | 'late';

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
  readonly #feed: AsyncIterable<Bar | readonly Bar[]> | undefined;
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
  #duplicates = 0;
  #corrected = 0;
  readonly #rejections: Record<RejectionReason, number> = {
    invalid: 0,
    unknown_symbol: 0,
    older_than_session: 0,
    late: 0,
  };
  #lastRejection: string | null = null;
  #version = 0;
  readonly #followFeed: boolean;
  readonly #feedStatus: { version(): number; toJson(): Json } | undefined;
  readonly #endWithFeed: boolean;
  /** Following the feed: the latest bar start seen (market time), null before the first bar. */
  #feedMs: number | null = null;
  /** Earliest start among pending bars (so a push that makes nothing due costs one compare). */
  #pendingMinMs = Number.POSITIVE_INFINITY;
  /** Per symbol, the latest start among its pending bars (a repeat is looked for only below it). */
  readonly #pendingMaxMs = new Map<string, number>();
  /** Per symbol, the start of the last bar applied to the session. */
  readonly #appliedMs = new Map<string, number>();

  constructor(options: LiveRunOptions) {
    super('live run', options);
    this.#symbols = new Set(options.symbols);
    this.#feed = options.feed;
    this.#clock = options.clock ?? new LiveClock();
    this.#calendar = options.calendar ?? options.sessionData.calendar ?? new NyseCalendar();
    this.#scope = options.scope ?? 'regular';
    this.#tickMs = Math.max(1, options.tickMs ?? 1000);
    this.#followFeed = options.followFeed === true;
    this.#feedStatus = options.feedStatus;
    this.#endWithFeed = options.endWithFeed ?? this.#followFeed;
  }

  /** Market time now by this run's clock: the wall (or given) clock, or the feed's last bar; null before it. */
  #nowMs(): number | null {
    return this.#followFeed ? this.#feedMs : this.#clock.nowMs();
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
   * kept), applied once its minute has ended and the run is not paused. A bar of a minute already taken is
   * a duplicate (same values: ignored) or a correction (the held bar is replaced, counted in
   * `bars_updated` once applied); a bar older than the session day, or of a minute already passed that
   * holds no bar, is refused and counted with its reason. No bar is ever made up.
   */
  push(bar: Bar, where?: string): PushResult {
    if (this.state !== 'running' && this.state !== 'paused') {
      throw new RunStateError('take bars into', this.state, 'start it first', 'live run');
    }
    // The label costs a date format: made only when a bar is refused.
    const label = () => where ?? barLabel(bar.symbol, bar.startMs);
    const problem = barProblem(bar);
    if (problem !== undefined) {
      const error = new BarValidationError(label(), problem[0], problem[1]);
      this.#reject('invalid', error.message);
      throw error;
    }
    if (!this.#symbols.has(bar.symbol)) {
      const error = new RunStateError(
        `take a bar of ${bar.symbol} (${label()}) into`,
        this.state,
        `the session's symbols are ${[...this.#symbols].join(', ')}`,
        'live run',
      );
      this.#reject('unknown_symbol', error.message);
      throw error;
    }
    this.#received++;
    this.#version++;
    if (this.#followFeed && (this.#feedMs === null || bar.startMs > this.#feedMs)) {
      this.#feedMs = bar.startMs;
      if (this.state === 'running') this.#tick();
    }
    const w = this.#window;
    if (w !== null && bar.startMs < w.preMarketStartMs) {
      this.#reject('older_than_session', `${label()}: older than the session of ${w.date}`);
      return 'rejected';
    }
    const applied = this.#appliedMs.get(bar.symbol);
    if (applied !== undefined && bar.startMs <= applied) {
      const result = this.sessionData.correct(bar);
      if (result === 'same') {
        this.#duplicates++;
        return 'duplicate';
      }
      if (result === 'updated') {
        this.#corrected++;
        return 'corrected';
      }
      this.#reject('late', `${label()}: its minute has passed and bars after it are applied`);
      return 'rejected';
    }
    const pendingMax = this.#pendingMaxMs.get(bar.symbol);
    if (pendingMax !== undefined && bar.startMs <= pendingMax) {
      const i = this.#pending.findIndex((p) => p.symbol === bar.symbol && p.startMs === bar.startMs);
      const held = this.#pending[i];
      if (held !== undefined) {
        if (sameValues(held, bar)) {
          this.#duplicates++;
          return 'duplicate';
        }
        this.#pending[i] = bar;
        this.#corrected++;
        return 'corrected';
      }
    }
    this.#pending.push(bar);
    if (bar.startMs < this.#pendingMinMs) this.#pendingMinMs = bar.startMs;
    if (pendingMax === undefined || bar.startMs > pendingMax) this.#pendingMaxMs.set(bar.symbol, bar.startMs);
    const now = this.#nowMs();
    if (this.state === 'running' && now !== null) this.#applyDue(now);
    return 'accepted';
  }

  #reject(reason: RejectionReason, message: string): void {
    this.#rejections[reason]++;
    this.#lastRejection = message;
    this.#version++;
  }

  async #run(outer: AbortSignal): Promise<void> {
    // The ticks and the feed stop together: when one ends or fails, the other must not keep the process up.
    const local = new AbortController();
    const stop = () => local.abort(outer.reason);
    outer.addEventListener('abort', stop, { once: true });
    const signal = local.signal;
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    const feed = this.#feed === undefined ? null : this.#readFeed(this.#feed, signal);
    // A feed still waiting for its next bar when the run stops ends when its owner closes it; its failure
    // after the stop is not the run's.
    feed?.catch(() => {});
    try {
      if (this.#endWithFeed && feed !== null) {
        const ticks = this.#followFeed ? [] : [this.#ticks(signal).catch(() => {})];
        await Promise.race([feed, aborted, ...ticks]);
        if (outer.aborted) return;
        this.#finish();
        return;
      }
      const ticks = this.#followFeed ? Promise.resolve() : this.#ticks(signal).catch(() => {});
      await Promise.race([Promise.all([feed, ticks]), aborted]);
    } finally {
      outer.removeEventListener('abort', stop);
      local.abort(outer.aborted ? outer.reason : new Error('live run over'));
    }
  }

  /** The feed has ended: what is pending is applied and, following the feed, the day is run to its end. */
  #finish(): void {
    if (this.state === 'paused') return;
    const w = this.#window;
    if (this.#followFeed && w !== null) {
      const { endMs } = scopeBounds(w, this.#scope);
      this.#feedMs = Math.max(this.#feedMs ?? endMs, endMs);
      this.#tick();
      this.applier.endWindow();
      this.#version++;
    } else {
      const now = this.#nowMs();
      if (now !== null) this.#applyDue(now);
    }
  }

  async #ticks(signal: AbortSignal): Promise<void> {
    for (;;) {
      this.#tick(); // also catches up a clock that moved before this loop's first wait
      const next = (Math.floor(this.#clock.nowMs() / this.#tickMs) + 1) * this.#tickMs;
      await this.#clock.sleepUntil(next, signal);
    }
  }

  async #readFeed(feed: AsyncIterable<Bar | readonly Bar[]>, signal: AbortSignal): Promise<void> {
    for await (const item of feed) {
      if (signal.aborted) return;
      const t0 = this.now();
      const bars: readonly Bar[] = isBatch(item) ? item : [item];
      for (const bar of bars) {
        try {
          this.push(bar);
        } catch {
          // One bad bar in a feed is refused and counted (push did); the session goes on.
        }
      }
      this.#feedTiming.record(bars.length, this.now() - t0);
    }
  }

  /** Moves market time to the clock: the day's boundaries that were passed, then the bars that are due. */
  #tick(): void {
    if (this.state !== 'running') return;
    const now = this.#nowMs();
    if (now === null) return;
    const a = this.applier;
    const date = nyDateOf(now);
    if (date !== this.#date) {
      // Following a feed into a later day: the day before is run to its end first.
      const before = this.#window;
      if (before !== null && now > before.postMarketEndMs) {
        this.#passBoundaries(before, scopeBounds(before, this.#scope).endMs);
        this.#applyDue(now);
      }
      this.#date = date;
      this.#window = this.#calendar.session(date);
      if (this.#window !== null) {
        a.startDay(this.#window);
        this.emit({ kind: 'day', atMs: this.#window.preMarketStartMs });
      } else this.sessionData.setSession({ date, active: false, ended: false });
    }
    const w = this.#window;
    // Bars of minutes before a boundary are applied before it, as a backtest's merge of events does.
    if (w !== null) this.#passBoundaries(w, now);
    this.#applyDue(now);
    this.#moveTo(now, false);
  }

  #passBoundaries(w: SessionWindow, now: number): void {
    const a = this.applier;
    const { endMs } = scopeBounds(w, this.#scope);
    if (a.phase === 'pre_market' && now >= w.regularOpenMs) {
      this.#applyDue(w.regularOpenMs);
      this.#boundary('open', w.regularOpenMs);
    }
    if (a.phase === 'open' && now >= w.regularCloseMs) {
      this.#applyDue(w.regularCloseMs);
      this.#boundary('close', w.regularCloseMs);
    }
    if (a.phase === 'post_market' && now >= endMs) {
      this.#applyDue(endMs);
      this.#boundary('day_end', endMs);
    }
  }

  #boundary(kind: 'open' | 'close' | 'day_end', atMs: number): void {
    this.applier.boundary(kind, atMs);
    this.emit({ kind, atMs });
  }

  /** Applies, in time order, the pending bars whose minute has ended by `now`. */
  #applyDue(now: number): void {
    if (this.#pending.length === 0 || this.#pendingMinMs + MINUTE_MS > now) return;
    const due: Bar[] = [];
    const wait: Bar[] = [];
    let waitMin = Number.POSITIVE_INFINITY;
    for (const bar of this.#pending) {
      if (bar.startMs + MINUTE_MS <= now) due.push(bar);
      else {
        wait.push(bar);
        if (bar.startMs < waitMin) waitMin = bar.startMs;
      }
    }
    this.#pending = wait;
    this.#pendingMinMs = waitMin;
    this.#pendingMaxMs.clear();
    for (const bar of wait) {
      const max = this.#pendingMaxMs.get(bar.symbol);
      if (max === undefined || bar.startMs > max) this.#pendingMaxMs.set(bar.symbol, bar.startMs);
    }
    for (const bar of due) {
      const last = this.#appliedMs.get(bar.symbol);
      if (last === undefined || bar.startMs > last) this.#appliedMs.set(bar.symbol, bar.startMs);
    }
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
    return this.#version + (this.#feedStatus?.version() ?? 0);
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
          bars_duplicate: this.#duplicates,
          bars_corrected: this.#corrected,
          bars_rejected: Object.values(this.#rejections).reduce((sum, n) => sum + n, 0),
          rejections: { ...this.#rejections },
          last_rejection: this.#lastRejection,
          clock: this.#followFeed ? 'feed' : 'wall',
          ...(this.#feedStatus === undefined ? {} : { feed: this.#feedStatus.toJson() }),
          bars_outside_scope: a.barsOutsideScope,
          bars_pending: this.#pending.length,
        },
        timing: this.#feedTiming.stats(),
      },
    };
  }
}

function isBatch(item: Bar | readonly Bar[]): item is readonly Bar[] {
  return Array.isArray(item);
}

function sameValues(a: Bar, b: Bar): boolean {
  return (
    a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume
  );
}
