import { type Json, type Serializable, sealJson, type ToJsonOptions } from '@sys/core';
import type { BarSource } from '@sys/market-data';
import {
  BacktestClock,
  type Clock,
  type IsoDate,
  NyseCalendar,
  nyMidnightMs,
  type ReplayScope,
  type SetTimer,
  type Speed,
} from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { type ClockControl, clockControl } from './clock-control.js';
import { WorkerStateError } from './errors.js';
import { BoundedQueue } from './queue.js';
import { SessionCoordinator } from './session.js';
import { BacktestStreamCoordinator, type MinuteBatch } from './stream.js';
import { DataUpkeep } from './upkeep.js';
import type { Worker, WorkerState } from './worker.js';

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
  /** Speed of the default clock: market ms per wall ms, or `'max'` (default). Ignored with `clock`. */
  speed?: Speed;
  /** Market time; default a BacktestClock at `speed` over the calendar's windows of `scope`. */
  clock?: Clock;
  /** Trading calendar; default the session data's. */
  calendar?: NyseCalendar;
  /** `regular` (default) or `extended` sessions. */
  scope?: ReplayScope;
  /** Trading days of history before the first day (default 0). */
  historyDays?: number;
  /** Minutes the stream may run ahead of the upkeep (default 64). */
  queueCapacity?: number;
  /** Workers that do not keep the process alive (default false). */
  daemon?: boolean;
  /** Wall clock for timing, ms. */
  now?: () => number;
  /** See {@link WorkerOptions.yieldEveryMs}. */
  yieldEveryMs?: number;
}

function unrefTimer(callback: () => void, delayMs: number): () => void {
  const handle = setTimeout(callback, delayMs);
  handle.unref();
  return () => clearTimeout(handle);
}

/**
 * A backtest: the stream coordinator, the data upkeep and the session coordinator wired for a list of
 * symbols, a source, a window and a clock, supervised as one run. If any worker fails the run is `error`
 * with that worker's message and the others are stopped; a run that reaches the end of the window stops
 * itself with `session.ended` true. Stopped, it can be started again and continues where it was.
 */
export class Backtest implements Serializable {
  /** Market time of the run. */
  readonly clock: Clock;
  /** Released minutes, from the stream to the upkeep. */
  readonly queue: BoundedQueue<MinuteBatch>;
  /** Releases bars as the clock allows. */
  readonly stream: BacktestStreamCoordinator;
  /** Stores released bars. */
  readonly upkeep: DataUpkeep;
  /** Drives the trading days. */
  readonly session: SessionCoordinator;
  /** The state being filled. */
  readonly sessionData: SessionData;
  readonly #symbols: readonly string[];
  readonly #startDate: IsoDate;
  readonly #endDate: IsoDate;
  readonly #control: ClockControl | null;
  #state: WorkerState = 'created';
  #error: Error | null = null;
  #done: Promise<void> = Promise.resolve();
  #version = 0;
  #cacheKey: [string, string] = ['', ''];
  #cacheValue: [Json, Json] = [null, null];

  constructor(options: BacktestOptions) {
    this.sessionData = options.sessionData;
    this.#symbols = [...new Set(options.symbols)].sort();
    this.#startDate = options.startDate;
    this.#endDate = options.endDate;
    const calendar = options.calendar ?? options.sessionData.calendar ?? new NyseCalendar();
    const scope = options.scope ?? 'regular';
    this.clock = options.clock ?? defaultClock(calendar, options, scope);
    this.#control = clockControl(this.clock);
    const common = {
      ...(options.daemon === undefined ? {} : { daemon: options.daemon }),
      ...(options.now === undefined ? {} : { now: options.now }),
    };
    const tuned = {
      ...common,
      ...(options.yieldEveryMs === undefined ? {} : { yieldEveryMs: options.yieldEveryMs }),
    };
    this.queue = new BoundedQueue<MinuteBatch>({
      capacity: options.queueCapacity ?? 64,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    this.stream = new BacktestStreamCoordinator({
      source: options.source,
      symbols: this.#symbols,
      startDate: options.startDate,
      endDate: options.endDate,
      clock: this.clock,
      queue: this.queue,
      scope,
      calendar,
      gated: true,
      ...tuned,
    });
    this.upkeep = new DataUpkeep({
      queue: this.queue,
      sessionData: options.sessionData,
      stream: this.stream,
      ...tuned,
    });
    this.session = new SessionCoordinator({
      sessionData: options.sessionData,
      symbols: this.#symbols,
      source: options.source,
      clock: this.clock,
      startDate: options.startDate,
      endDate: options.endDate,
      stream: this.stream,
      upkeep: this.upkeep,
      scope,
      calendar,
      ...(options.historyDays === undefined ? {} : { historyDays: options.historyDays }),
      ...common,
    });
  }

  /** `created`, `running`, `paused`, `stopping`, `stopped` (also after the window ended) or `error`. */
  get state(): WorkerState {
    return this.#state;
  }

  /** The failure of the last run (the first worker's error), or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** True once the whole window was replayed. */
  get ended(): boolean {
    return this.session.phase === 'ended';
  }

  /** The three workers, upstream first. */
  get workers(): readonly Worker[] {
    return [this.stream.worker, this.upkeep.worker, this.session.worker];
  }

  /** Starts the run, or continues a stopped one. */
  start(): void {
    if (this.#state === 'running' || this.#state === 'paused' || this.#state === 'stopping') {
      throw new WorkerStateError('backtest', 'start', this.#state, 'stop() it first');
    }
    for (const symbol of this.#symbols) this.sessionData.addSymbol(symbol);
    this.#error = null;
    this.#setState('running');
    if (this.#control?.paused === true) this.#control.resume();
    this.upkeep.start();
    this.stream.start();
    this.session.start();
    this.#done = this.#supervise();
  }

  /** Freezes the run at once: the clock (when it can pause) and every worker. */
  pause(): void {
    if (this.#state === 'paused') return;
    if (this.#state !== 'running') {
      throw new WorkerStateError('backtest', 'pause', this.#state, 'only a running backtest can pause');
    }
    this.#control?.pause();
    for (const w of this.workers) if (w.state === 'running') w.pause();
    this.#setState('paused');
  }

  /** Goes on from where it was paused. */
  resume(): void {
    if (this.#state === 'running') return;
    if (this.#state !== 'paused') {
      throw new WorkerStateError('backtest', 'resume', this.#state, 'only a paused backtest can resume');
    }
    for (const w of this.workers) if (w.state === 'paused') w.resume();
    this.#control?.resume();
    this.#setState('running');
  }

  /**
   * While paused: replays `minutes` more of market time and stays paused. The workers run again but wait
   * on the paused clock, so only the step decides how far they get (needs a clock that steps).
   */
  step(minutes = 1): void {
    if (this.#state !== 'paused') {
      throw new WorkerStateError('backtest', 'step', this.#state, 'pause() it first');
    }
    const control = this.#control;
    if (control?.step === undefined) {
      throw new WorkerStateError(
        'backtest',
        'step',
        this.#state,
        'its clock cannot step; use a BacktestClock',
      );
    }
    for (const w of this.workers) if (w.state === 'paused') w.resume();
    control.step(minutes);
    this.#version++;
  }

  /** Changes the replay speed from now on (needs a clock with speed, e.g. BacktestClock). */
  setSpeed(speed: Speed): void {
    if (this.#control === null) {
      throw new WorkerStateError(
        'backtest',
        'set the speed of',
        this.#state,
        'its clock has no speed; use a BacktestClock',
      );
    }
    this.#control.setSpeed(speed);
    this.#version++;
  }

  /** The replay speed, or null for a clock without one. */
  get speed(): Speed | null {
    return this.#control?.speed ?? null;
  }

  /** Stops every worker (the session first, so nothing waits on a stopped stream); resolves when all have. */
  async stop(): Promise<void> {
    if (this.#state === 'created') this.#setState('stopped');
    if (this.#state === 'running' || this.#state === 'paused') {
      this.#setState('stopping');
      await this.#stopAll();
    }
    await this.#done;
  }

  /** Resolves when the run has ended (window done, stopped, or failed); never rejects. */
  join(): Promise<void> {
    return this.#done;
  }

  /** `{ state, error, speed, backtest_window, threads }`; the same frozen object while nothing changed. */
  toJson(options?: ToJsonOptions): Json {
    const threads = this.threadsJson(options);
    const slot = options?.debug === true ? 1 : 0;
    const key = `${this.#version}|${String(this.speed)}`;
    const prev = this.#cacheValue[slot] as { threads?: Json } | null;
    if (this.#cacheKey[slot] === key && prev?.threads === threads) return this.#cacheValue[slot];
    const value = sealJson({
      state: this.#state,
      error: this.#error === null ? null : this.#error.message,
      speed: this.speed,
      backtest_window: { start_date: this.#startDate, end_date: this.#endDate },
      symbols: this.#symbols.length,
      threads,
    });
    this.#cacheKey[slot] = key;
    this.#cacheValue[slot] = value;
    return value;
  }

  #threadsCache: [Json[], Json[]] = [[], []];
  #threadsValue: [Json, Json] = [null, null];

  /** `{ session_coordinator, data_upkeep, stream_coordinator }`, as the system's `threads` part. */
  threadsJson(options?: ToJsonOptions): Json {
    const parts = [this.session.toJson(options), this.upkeep.toJson(options), this.stream.toJson(options)];
    const slot = options?.debug === true ? 1 : 0;
    const prev = this.#threadsCache[slot];
    if (prev.length === 3 && prev.every((p, i) => p === parts[i])) return this.#threadsValue[slot];
    const [session_coordinator, data_upkeep, stream_coordinator] = parts as [Json, Json, Json];
    const value = Object.freeze({ session_coordinator, data_upkeep, stream_coordinator });
    this.#threadsCache[slot] = parts;
    this.#threadsValue[slot] = value;
    return value;
  }

  async #stopAll(): Promise<void> {
    await this.session.stop();
    await this.stream.stop();
    await this.upkeep.stop();
  }

  async #supervise(): Promise<void> {
    const failures: (() => void)[] = [];
    const failed = new Promise<Worker>((resolve) => {
      for (const w of this.workers) {
        failures.push(w.onStateChange((state) => state === 'error' && resolve(w)));
      }
    });
    const first = await Promise.race([failed, this.session.join().then(() => null)]);
    if (first === null && this.session.phase === 'ended' && this.#state === 'running') {
      // The window is done: let the upkeep store the last minutes, then stop what is left.
      await Promise.race([this.upkeep.whenCaughtUp().catch(() => undefined), failed]);
    }
    for (const off of failures) off();
    await this.#stopAll();
    const broken = this.workers.find((w) => w.state === 'error');
    if (broken !== undefined) {
      const cause = broken.error;
      this.#error = new Error(`${broken.name}: ${cause?.message ?? 'failed'}`, { cause });
      this.#setState('error');
    } else {
      this.#setState('stopped');
    }
  }

  #setState(state: WorkerState): void {
    this.#state = state;
    this.#version++;
    this.sessionData.setSystem(state, 'backtest');
  }
}

function defaultClock(calendar: NyseCalendar, options: BacktestOptions, scope: ReplayScope): BacktestClock {
  const first = calendar.tradingDays(options.startDate, options.endDate)[0];
  const startMs =
    first === undefined ? nyMidnightMs(options.startDate) : (calendar.session(first)?.preMarketStartMs ?? 0);
  const setTimer: SetTimer | undefined = options.daemon === true ? unrefTimer : undefined;
  return new BacktestClock({
    startMs,
    speed: options.speed ?? 'max',
    windows: calendar.replayWindows(scope),
    ...(setTimer === undefined ? {} : { setTimer }),
  });
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
