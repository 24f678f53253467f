import type { Bar, BarSource } from '@sys/market-data';
import {
  type IsoDate,
  MINUTE_MS,
  NyseCalendar,
  type ReplayScope,
  type SessionWindow,
  type SetTimer,
  type Speed,
} from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { scopeBounds, sessionRole, Timing, upkeepRole } from './apply.js';
import { type RoleSpecs, RunBase } from './base.js';
import { RunStateError } from './errors.js';
import { Pacer } from './pacer.js';
import { barBatches, ReadAhead } from './read-ahead.js';
import type { Run, RunEvent } from './run.js';
import { nyStamp, ScopeFilter } from './scope.js';
import type { RunJson } from './wire.js';

/** Options of a {@link Backtest}. */
export interface BacktestOptions {
  /** Symbols to replay (added to `sessionData` on start). */
  symbols: readonly string[];
  /** Where bars come from. */
  source: BarSource;
  /** First New York date, inclusive. */
  startDate: IsoDate;
  /** Last New York date, inclusive. */
  endDate: IsoDate;
  /** The state the run fills. */
  sessionData: SessionData;
  /** Market ms per wall ms, or `'max'` (default). */
  speed?: Speed;
  /** Trading calendar; default the session data's. */
  calendar?: NyseCalendar;
  /** `regular` (default, 09:30–16:00) or `extended` (04:00–20:00) sessions. */
  scope?: ReplayScope;
  /** Trading days of history before the first day (default 0); each later day adds the day before it. */
  historyDays?: number;
  /** Bars read ahead of market time (default 65,536). */
  readAheadBars?: number;
  /** A run that does not keep the process alive (default false). */
  daemon?: boolean;
  /** Monotonic wall clock for pacing and timing, ms. */
  now?: () => number;
  /** At `max`, yield to the event loop after this many ms of work (default 4). */
  yieldEveryMs?: number;
  /** Start paused: nothing is applied until `resume` or `step` (default false). */
  paused?: boolean;
  /** Wall-clock timer for pacing; default `setTimeout` (tests pass a fake wall with `now`). */
  setTimer?: SetTimer;
}

/** History read for a day, stored when the day starts. */
interface History {
  readonly bySymbol: ReadonlyMap<string, readonly Bar[]>;
  readonly through: IsoDate;
  readonly keepFrom: IsoDate | null;
}

/**
 * A backtest: one replay loop that moves market time. For each trading day of the window it makes the
 * day's events in time order — the day's start (history, pre-market) at 04:00, one event at the end of every
 * replayed minute, the open, the close (13:00 on early-close days), the end of the replayed day — and for
 * each one asks the pacing gate (speed, pause, step), moves market time to it, and applies it to the session
 * state synchronously. A minute's bars are applied only once market time has passed that minute's end (no
 * look-ahead), each exactly once; nights, weekends and holidays are skipped, never waited for. A read-ahead
 * buffer keeps the next bars ready. The plan's three workers are views of this loop's counters.
 *
 * Stopped, market time stays where it was; started again, the run continues at the next event.
 */
export class Backtest extends RunBase implements Run {
  readonly mode = 'backtest' as const;
  readonly #symbols: readonly string[];
  readonly #source: BarSource;
  readonly #startDate: IsoDate;
  readonly #endDate: IsoDate;
  readonly #calendar: NyseCalendar;
  readonly #scope: ReplayScope;
  readonly #historyDays: number;
  readonly #days: readonly IsoDate[];
  readonly #pacer: Pacer;
  readonly #readAheadBars: number;
  readonly #streamTiming = new Timing();
  #readAhead: ReadAhead | null = null;
  /** Market time: the instant of the last event applied. Only the loop moves it. */
  #marketMs: number | null = null;
  #dayIndex = 0;
  #dayEvents: RunEvent[] = [];
  #eventIndex = 0;
  #activeMs = 0;
  #runStartedMs: number | null = null;
  /** Wall ms the last minute's read took. */
  #readMs = 0;
  #startPaused: boolean;

  constructor(options: BacktestOptions) {
    super('backtest', options);
    this.#symbols = [...new Set(options.symbols)].sort();
    this.#source = options.source;
    this.#startDate = options.startDate;
    this.#endDate = options.endDate;
    this.#calendar = options.calendar ?? options.sessionData.calendar ?? new NyseCalendar();
    this.#scope = options.scope ?? 'regular';
    this.#historyDays = Math.max(0, Math.floor(options.historyDays ?? 0));
    this.#days = this.#calendar.tradingDays(options.startDate, options.endDate);
    this.#readAheadBars = options.readAheadBars ?? 65_536;
    this.#pacer = new Pacer({ ...options, now: this.now, unref: options.daemon === true });
    this.#startPaused = options.paused === true;
    if (this.#startPaused) this.#pacer.pause();
  }

  /** The replay speed. */
  get speed(): Speed {
    return this.#pacer.speed;
  }

  /** The trading days of the window, in order. */
  get tradingDays(): readonly IsoDate[] {
    return this.#days;
  }

  /** Market time now: the last event's instant; null before the first. It never runs on by itself. */
  marketNowMs(): number | null {
    return this.#marketMs;
  }

  /** Starts the run (paused with `paused: true`), or continues a stopped one at its next event. */
  start(): void {
    for (const symbol of this.#symbols) this.sessionData.addSymbol(symbol);
    this.launch((signal) => this.#loop(signal));
    if (this.#startPaused) {
      this.#startPaused = false;
      this.move('pause');
    } else {
      this.#pacer.resume(); // a run stopped while paused starts running
    }
  }

  /** Holds the loop before its next event. */
  pause(): void {
    this.move('pause');
    this.#pacer.pause();
  }

  /** Goes on from a pause. */
  resume(): void {
    this.move('resume');
    this.#pacer.resume();
  }

  /** While paused: applies `minutes` more replayed minutes (and every event on the way), then resolves. */
  async step(minutes = 1): Promise<void> {
    if (this.state !== 'paused') throw new RunStateError('step', this.state, 'pause() it first', 'backtest');
    await this.#pacer.step(minutes);
    // The window ended within the step: resolve once the run is over, so its state is final.
    if (this.#runStartedMs === null) await this.join();
  }

  /** Changes the replay speed from the next event on. */
  setSpeed(speed: Speed): void {
    this.#pacer.setSpeed(speed);
  }

  protected override extraVersion(): number {
    return this.#pacer.version + (this.#readAhead?.version ?? 0);
  }

  protected summary(): Pick<RunJson, 'backtest_window' | 'symbols'> {
    return {
      backtest_window: { start_date: this.#startDate, end_date: this.#endDate },
      symbols: this.#symbols.length,
    };
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const startedMs = this.now();
    this.#runStartedMs = startedMs;
    try {
      this.#readAhead ??= this.#openReadAhead();
      for (; this.#dayIndex < this.#days.length; this.#dayIndex++) {
        const date = this.#days[this.#dayIndex] as IsoDate;
        const window = this.#calendar.session(date) as SessionWindow;
        if (this.#eventIndex === 0) this.#dayEvents = this.#eventsOf(window);
        for (; this.#eventIndex < this.#dayEvents.length; this.#eventIndex++) {
          const event = this.#dayEvents[this.#eventIndex] as RunEvent;
          const cost = event.kind === 'minute' ? MINUTE_MS : 0;
          // Reads first, then the gate, then the apply with no await in between: a pause or stop that
          // comes while reading holds the event before anything of it is applied.
          const history = await this.#prepare(event, window);
          await this.#pacer.gate(cost, this.#marketMs !== null && event.atMs <= this.#marketMs, signal);
          this.#apply(event, window, history);
          this.emit(event);
        }
        this.#eventIndex = 0;
      }
      if (this.applier.phase !== 'ended') {
        await this.#readAhead.close();
        this.applier.endWindow();
      }
    } finally {
      this.#activeMs += this.now() - startedMs;
      this.#runStartedMs = null;
      this.#pacer.finish();
    }
  }

  /** The reads an event needs before it can be applied: its minute's bars buffered, or a day's history. */
  async #prepare(event: RunEvent, window: SessionWindow): Promise<History | null> {
    if (event.kind === 'day') return this.#readHistory(window.date);
    if (event.kind !== 'minute') return null;
    const t0 = this.now();
    this.failedRole = 'stream_coordinator';
    await (this.#readAhead as ReadAhead).fill(event.atMs);
    this.failedRole = null;
    this.#readMs = this.now() - t0;
    return null;
  }

  /** Applies one event, synchronously; market time moves first, so the state shows the instant of it. */
  #apply(event: RunEvent, window: SessionWindow, history: History | null): void {
    const a = this.applier;
    this.#marketMs = event.atMs;
    switch (event.kind) {
      case 'day':
        this.failedRole = 'session_coordinator';
        if (history !== null) a.loadHistory(history.bySymbol, history.through, history.keepFrom);
        a.startDay(window);
        break;
      case 'minute': {
        const bars = (this.#readAhead as ReadAhead).takeBefore(event.atMs);
        this.#streamTiming.record(bars.length, this.#readMs);
        this.failedRole = 'data_upkeep';
        a.minute(bars, event.atMs);
        break;
      }
      default:
        a.boundary(event.kind, event.atMs);
    }
    this.failedRole = null;
  }

  /** A day's events in time order; at one instant the minute that ends there comes first. */
  #eventsOf(window: SessionWindow): RunEvent[] {
    const { startMs, endMs } = scopeBounds(window, this.#scope);
    const events: RunEvent[] = [{ kind: 'day', atMs: window.preMarketStartMs }];
    let opened = false;
    for (let t = startMs + MINUTE_MS; t <= endMs; t += MINUTE_MS) {
      if (!opened && window.regularOpenMs < t) {
        events.push({ kind: 'open', atMs: window.regularOpenMs });
        opened = true;
      }
      events.push({ kind: 'minute', atMs: t });
      if (t === window.regularCloseMs) events.push({ kind: 'close', atMs: t });
    }
    if (!opened) events.push({ kind: 'open', atMs: window.regularOpenMs });
    if (window.regularCloseMs > endMs) events.push({ kind: 'close', atMs: window.regularCloseMs });
    events.push({ kind: 'day_end', atMs: endMs });
    return events;
  }

  #openReadAhead(): ReadAhead {
    return new ReadAhead(
      barBatches(this.#source, {
        symbols: this.#symbols,
        startDate: this.#startDate,
        endDate: this.#endDate,
      }),
      { capacity: this.#readAheadBars, now: this.now },
    );
  }

  /**
   * Reads the history `date` needs: `historyDays` trading days before the first day, then each day the
   * day before it, dropping the day that fell out of the window (each day is read once). Null: none needed.
   */
  async #readHistory(date: IsoDate): Promise<History | null> {
    if (this.#historyDays === 0) return null;
    const cal = this.#calendar;
    const last = cal.previousTradingDay(date);
    let keepFrom = last;
    for (let i = 1; i < this.#historyDays; i++) keepFrom = cal.previousTradingDay(keepFrom);
    const through = this.applier.historyThrough;
    if (through !== null && through >= last) return null;
    const first = through === null ? keepFrom : cal.nextTradingDay(through);
    const bySymbol = new Map<string, Bar[]>();
    for (const symbol of this.#symbols) bySymbol.set(symbol, []);
    const query = { symbols: this.#symbols, startDate: first, endDate: last };
    const filter = new ScopeFilter(cal, this.#scope);
    this.failedRole = 'session_coordinator';
    for await (const batch of barBatches(this.#source, query)) {
      for (const bar of batch) if (filter.contains(bar.startMs)) bySymbol.get(bar.symbol)?.push(bar);
    }
    this.failedRole = null;
    // Stored whole, when the day starts: a stop while reading leaves no symbol with half a day of history.
    return { bySymbol, through: last, keepFrom: through === null ? null : keepFrom };
  }

  protected roles(): RoleSpecs {
    const a = this.applier;
    const ra = this.#readAhead;
    const running = this.#runStartedMs === null ? 0 : this.now() - this.#runStartedMs;
    const activeS = (this.#activeMs + running) / 1000;
    const cause = this.error?.cause;
    return {
      session_coordinator: sessionRole(
        a,
        {
          start_date: this.#startDate,
          end_date: this.#endDate,
          trading_days: this.#days.length,
          history_days: this.#historyDays,
          history_through: a.historyThrough,
          history_bars_loaded: a.historyBars,
          stopped_because: cause instanceof Error ? cause.message : null,
        },
        a.date ?? this.#days[0] ?? null,
      ),
      // Applied in the same step as released: the upkeep can never lag behind the stream.
      data_upkeep: upkeepRole(a, { bars: 0, market_ms: 0, bars_read_ahead: ra?.stats().depth ?? 0 }),
      stream_coordinator: {
        fields: {
          speed: this.speed,
          scope: this.#scope,
          start_date: this.#startDate,
          end_date: this.#endDate,
          symbols: this.#symbols.length,
          market_time: nyStamp(this.#marketMs),
          bars_released: a.barsIngested,
          minutes_released: a.minutesIngested,
          bars_outside_scope: a.barsOutsideScope,
          bars_per_second: activeS > 0 ? Math.round(a.barsIngested / activeS) : 0,
          exhausted: ra?.exhausted ?? false,
        },
        timing: this.#streamTiming.stats(),
        queues: ra === null ? {} : { read_ahead: ra.stats() },
      },
    };
  }
}

/** Runs a backtest to its end and returns it; rejects with the run's error if it failed. */
export async function runBacktest(options: BacktestOptions): Promise<Backtest> {
  const backtest = new Backtest(options);
  backtest.start();
  await backtest.join();
  const error = backtest.error;
  if (error !== null) throw error;
  return backtest;
}
