import { setTimeout as sleep } from 'node:timers/promises';
import type { Json, Serializable, ToJsonOptions } from '@sys/core';
import { ChangeFeed, type Envelope, type FeedRead } from '@sys/diff-tracker';
import { type Bar, type BarSource, BarValidationError, barProblem } from '@sys/market-data';
import {
  type Clock,
  LiveClock,
  MARKET_TIME_ZONE,
  NyseCalendar,
  nyDateOf,
  parseSpeed,
  type Speed,
} from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { Backtest } from '@sys/threads';
import {
  ConfigError,
  isParsedConfig,
  parseConfig,
  type SessionConfig,
  type SessionConfigInput,
} from './config.js';
import { LiveInputError, SystemStateError } from './errors.js';
import { checkSymbols, openSource } from './sources.js';

/** Where the system is in its life. */
export type SystemState = 'stopped' | 'starting' | 'running' | 'paused' | 'stopping' | 'error';

/** Options of a SystemManager (injected for tests; defaults suit a real run). */
export interface SystemManagerOptions {
  /** Trading calendar (default a NyseCalendar). */
  calendar?: NyseCalendar;
  /** Market clock of backtests (default: a BacktestClock at the config's speed). */
  clock?: Clock;
  /** Wall clock in ms for uptime (default Date.now). */
  wallNow?: () => number;
  /** Workers that do not keep the process alive (default false). */
  daemon?: boolean;
}

/** Options of `toJson`. */
export interface SystemJsonOptions extends ToJsonOptions {
  /** The whole state; resets this consumer's position to it. */
  complete?: boolean;
  /** Whose position to diff against (default `default`). */
  consumer?: string;
}

/** Progress of a run, for progress lines. */
export interface SystemProgress {
  readonly state: SystemState;
  readonly marketTimeMs: number | null;
  readonly barsReleased: number;
  readonly barsPerSecond: number;
  readonly ended: boolean;
}

const THREAD_NAMES = ['session_coordinator', 'data_upkeep', 'stream_coordinator'] as const;
const IDLE_THREADS: Json = Object.freeze(
  Object.fromEntries(
    THREAD_NAMES.map((name) => [
      name,
      Object.freeze({
        thread_info: Object.freeze({ name, is_alive: false, daemon: false }),
        state: 'created',
      }),
    ]),
  ),
);

/**
 * Runs a trading session from a config and shows it as JSON: the whole state on request, then only what
 * changed since each consumer last asked. Lifecycle calls are safe at any time: start, stop and the rest
 * are serialised, repeated calls are no-ops, and a stop during a start waits for the start and undoes it.
 */
export class SystemManager implements Serializable {
  readonly config: SessionConfig;
  readonly #options: SystemManagerOptions;
  readonly #calendar: NyseCalendar;
  readonly #wallNow: () => number;
  readonly #feed: ChangeFeed;
  #state: SystemState = 'stopped';
  #error: Error | null = null;
  #sessionData: SessionData;
  #backtest: Backtest | null = null;
  #source: BarSource | null = null;
  #liveClock: Clock | null = null;
  #liveTimer: NodeJS.Timeout | null = null;
  #startedWallMs: number | null = null;
  #runs = 0;
  #lifecycle: Promise<unknown> = Promise.resolve();
  #pending: 'pause' | 'resume' | null = null;
  #done: Promise<void> = Promise.resolve();
  #version = 0;
  #managerCache: [string, Json][] = [
    ['', null],
    ['', null],
  ];
  #topCache: [Json[], Json][] = [
    [[], null],
    [[], null],
  ];
  #rate = { wallMs: 0, bars: 0, perSecond: 0 };

  constructor(config: SessionConfig | SessionConfigInput, options: SystemManagerOptions = {}) {
    this.config = isParsedConfig(config) ? config : parseConfig(config);
    this.#options = options;
    this.#calendar = options.calendar ?? new NyseCalendar();
    this.#wallNow = options.wallNow ?? Date.now;
    this.#sessionData = new SessionData({ calendar: this.#calendar });
    this.#sessionData.setSystem('stopped', this.config.mode);
    const feed = this.config.feed;
    this.#feed = new ChangeFeed((o) => this.state_json(o), {
      ...(feed.max_retained_bytes_per_consumer === undefined
        ? {}
        : { maxRetainedBytesPerConsumer: feed.max_retained_bytes_per_consumer }),
      ...(feed.max_consumers === undefined ? {} : { maxConsumers: feed.max_consumers }),
    });
  }

  /** Where the system is in its life. */
  get state(): SystemState {
    return this.#state;
  }

  /** Why the last run failed or the last start was refused, or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** The session state being filled (for embedding programs and tests). */
  get sessionData(): SessionData {
    return this.#sessionData;
  }

  /** The change feed behind `toJson` (consumer stats, epochs). */
  get feed(): ChangeFeed {
    return this.#feed;
  }

  /**
   * Starts a run: opens the source, checks every symbol is in it, then starts the workers. Any problem is
   * thrown before a worker starts (the state goes back to `stopped`). Starting a running system does nothing;
   * starting a finished one starts a new run (a new epoch for every consumer).
   */
  start(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'running' || this.#state === 'paused') return;
      this.#setState('starting');
      let source: BarSource | null = null;
      try {
        if (this.config.mode === 'live') {
          this.#startLive();
        } else {
          source = await openSource(this.config, this.#calendar);
          await checkSymbols(this.config, source);
          this.#startBacktest(source);
        }
      } catch (e) {
        await closeSource(source);
        this.#source = null;
        this.#error = e instanceof Error ? e : new Error(String(e));
        this.#setState('stopped');
        throw e;
      }
      this.#error = null;
      this.#setState('running');
      const pending = this.#pending;
      this.#pending = null;
      if (pending === 'pause') this.pause();
    });
  }

  /** Freezes market time and the workers at once; a second pause does nothing. */
  pause(): void {
    if (this.#state === 'paused') return;
    if (this.#state === 'starting') {
      this.#pending = 'pause';
      return;
    }
    if (this.#state !== 'running') throw new SystemStateError('pause', this.#state, 'start the system first');
    this.#backtest?.pause();
    this.#setState('paused');
  }

  /** Goes on from a pause; resuming a running system does nothing. */
  resume(): void {
    if (this.#state === 'running') return;
    if (this.#state === 'starting') {
      this.#pending = null;
      return;
    }
    if (this.#state !== 'paused')
      throw new SystemStateError('resume', this.#state, 'only a paused system resumes');
    this.#backtest?.resume();
    this.#setState('running');
  }

  /** Changes the replay speed at once (a number > 0 = market ms per wall ms, or `max`). */
  setSpeed(speed: Speed | string): void {
    const parsed = parseSpeed(speed);
    (this.config as { speed: Speed }).speed = parsed;
    if (this.#backtest !== null && this.#backtest.speed !== null) this.#backtest.setSpeed(parsed);
    this.#version++;
  }

  /** While paused, replays `minutes` more of market time, then stays paused. */
  step(minutes = 1): void {
    if (!Number.isInteger(minutes) || minutes < 1) {
      throw new SystemStateError('step', this.#state, `minutes must be a whole number >= 1, got ${minutes}`);
    }
    const bt = this.#backtest;
    if (this.#state !== 'paused' || bt === null) {
      throw new SystemStateError('step', this.#state, 'pause the backtest first (system pause)');
    }
    bt.step(minutes);
    this.#version++;
  }

  /** Stops the run and every worker; stopping a stopped system does nothing. */
  stop(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'stopped' || this.#state === 'error') return;
      this.#setState('stopping');
      await this.#teardown();
      this.#setState('stopped');
    });
  }

  /** Resolves when the run has finished (window replayed, or stopped); rejects with the run's error. */
  async done(): Promise<void> {
    await this.#lifecycle.catch(() => undefined);
    await this.#done;
    if (this.#state === 'error' && this.#error !== null) throw this.#error;
  }

  /** Progress of the run: market time, bars released and bars per wall second. */
  progress(): SystemProgress {
    const bt = this.#backtest;
    const bars = bt?.stream.barsReleased ?? 0;
    const now = this.#wallNow();
    const r = this.#rate;
    if (now - r.wallMs >= 500) {
      r.perSecond = r.wallMs === 0 ? 0 : ((bars - r.bars) * 1000) / (now - r.wallMs);
      r.wallMs = now;
      r.bars = bars;
    }
    return {
      state: this.#state,
      marketTimeMs: this.#marketNowMs(),
      barsReleased: bars,
      barsPerSecond: Math.round(r.perSecond),
      ended: bt?.ended ?? false,
    };
  }

  /**
   * The state as JSON for one consumer. Diff by default: only what changed since this consumer's last
   * call (its first call is complete; nothing changed gives `{}`), with `_metadata` saying what it is.
   */
  toJson(options: SystemJsonOptions = {}): Json {
    const debug = options.debug === true;
    const r = this.read(options.consumer ?? 'default', { complete: options.complete === true, debug });
    const e = r.envelope;
    const complete = e.t === 'snapshot';
    const marketMs = this.#marketNowMs();
    const metadata: Record<string, Json> = {
      generated_at: marketMs === null ? null : new Date(marketMs).toISOString(),
      complete,
      debug,
      diff_mode: !complete,
      changed_paths: r.changedPaths as Json,
      removed_paths: r.removedPaths as Json,
      epoch: e.epoch,
      seq: complete ? e.seq : e.to,
    };
    if (e.t === 'snapshot') metadata.reason = e.reason;
    else metadata.from_seq = e.from;
    return { ...(r.view as Record<string, Json>), _metadata: metadata };
  }

  /** One consumer's numbered envelope (snapshot or RFC 6902 delta) plus the partial view. */
  read(consumer: string, options: { complete?: boolean; debug?: boolean } = {}): FeedRead {
    return this.#feed.read(consumer, options);
  }

  /**
   * Envelopes for one consumer: a snapshot first, then a delta whenever something changed, checked every
   * `intervalMs`, until the run is over (after a last read) or `signal` aborts.
   */
  async *subscribe(
    consumer: string,
    options: { debug?: boolean; intervalMs?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<Envelope> {
    const intervalMs = options.intervalMs ?? 1000;
    const { signal } = options;
    while (signal?.aborted !== true) {
      const over = this.#state === 'stopped' || this.#state === 'error';
      const { envelope } = this.read(consumer, { debug: options.debug === true });
      if (envelope.t === 'snapshot' || envelope.ops.length > 0) yield envelope;
      if (over) return;
      try {
        await sleep(intervalMs, undefined, { signal, ref: this.#options.daemon !== true });
      } catch {
        return;
      }
    }
  }

  /** Live mode: takes one bar pushed in by the embedding program (the same validation and state). */
  ingest(bar: Bar): void {
    if (this.config.mode !== 'live')
      throw new SystemStateError('ingest bars', `in ${this.config.mode} mode`, 'use mode "live"');
    if (this.#state !== 'running' && this.#state !== 'paused') {
      throw new SystemStateError('ingest bars', this.#state, 'start the system first');
    }
    if (!this.config.symbols.includes(bar.symbol)) {
      throw new ConfigError([
        { path: 'symbols', message: `bar for "${bar.symbol}", which is not in the config's symbols` },
      ]);
    }
    this.#sessionData.ingest(bar);
    this.#sessionData.foldDerived();
  }

  /** Live mode: reads bars as NDJSON lines (`{symbol, timestamp|start_ms, open, high, low, close, volume}`). */
  async ingestNdjson(lines: AsyncIterable<string>, sourceName = 'stdin'): Promise<number> {
    let n = 0;
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      this.ingest(barFromJsonLine(text, `${sourceName}:${line}`));
      n++;
    }
    return n;
  }

  /** The complete state (no metadata): what every consumer's envelopes rebuild. */
  state_json(options: ToJsonOptions = {}): Json {
    const debug = options.debug === true;
    const face = debug ? 1 : 0;
    const parts = [
      this.#managerJson(debug),
      this.#backtest?.threadsJson({ debug }) ?? IDLE_THREADS,
      this.#sessionData.toJson({ debug }),
    ];
    const cache = this.#topCache[face] as [Json[], Json];
    if (cache[1] === null || cache[0].some((p, i) => p !== parts[i])) {
      const [system_manager, threads, session_data] = parts as [Json, Json, Json];
      this.#topCache[face] = [parts, Object.freeze({ system_manager, threads, session_data })];
    }
    return (this.#topCache[face] as [Json[], Json])[1];
  }

  #startBacktest(source: BarSource): void {
    const w = this.config.backtest;
    if (w === undefined) throw new ConfigError([{ path: 'backtest', message: 'a backtest needs a window' }]);
    if (this.#runs > 0) {
      this.#feed.restart();
      this.#sessionData = new SessionData({ calendar: this.#calendar });
    }
    this.#runs++;
    this.#source = source;
    const bt = new Backtest({
      symbols: this.config.symbols,
      source,
      startDate: w.start_date,
      endDate: w.end_date,
      sessionData: this.#sessionData,
      speed: this.config.speed,
      calendar: this.#calendar,
      scope: this.config.sessions,
      historyDays: this.config.historical_days,
      ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
      ...(this.#options.daemon === undefined ? {} : { daemon: this.#options.daemon }),
    });
    this.#backtest = bt;
    this.#startedWallMs = this.#wallNow();
    bt.start();
    this.#done = bt.join().then(() => this.#finished(bt));
  }

  /** A run ended on its own (window replayed or a worker failed). */
  async #finished(bt: Backtest): Promise<void> {
    if (this.#backtest !== bt) return;
    await this.#serial(async () => {
      if (this.#backtest !== bt || this.#state === 'stopping' || this.#state === 'stopped') return;
      await closeSource(this.#source);
      this.#source = null;
      if (bt.error !== null) {
        this.#error = bt.error;
        this.#setState('error');
      } else {
        this.#setState('stopped');
      }
    });
  }

  #startLive(): void {
    if (this.#runs > 0) {
      this.#feed.restart();
      this.#sessionData = new SessionData({ calendar: this.#calendar });
    }
    this.#runs++;
    const clock = this.#options.clock ?? new LiveClock();
    this.#liveClock = clock;
    for (const s of this.config.symbols) this.#sessionData.addSymbol(s);
    const window = this.#calendar.session(nyDateOf(clock.nowMs()));
    if (window !== null) this.#sessionData.startDay(window);
    else this.#sessionData.setSession({ date: nyDateOf(clock.nowMs()), active: false, ended: false });
    const tick = () => {
      const now = clock.nowMs();
      const w = this.#sessionData.window;
      this.#sessionData.advanceTo(Math.floor(now / 1000) * 1000);
      if (w !== null) {
        this.#sessionData.setSession({
          active: now >= w.regularOpenMs && now < w.regularCloseMs,
          ended: now >= w.postMarketEndMs,
        });
      }
    };
    tick();
    this.#liveTimer = setInterval(tick, 1000);
    if (this.#options.daemon === true) this.#liveTimer.unref();
    this.#startedWallMs = this.#wallNow();
    this.#done = new Promise<void>((resolve) => {
      this.#resolveLive = resolve;
    });
  }

  #resolveLive: (() => void) | null = null;

  async #teardown(): Promise<void> {
    const bt = this.#backtest;
    if (bt !== null) await bt.stop();
    await closeSource(this.#source);
    this.#source = null;
    if (this.#liveTimer !== null) clearInterval(this.#liveTimer);
    this.#liveTimer = null;
    this.#resolveLive?.();
    this.#resolveLive = null;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#lifecycle.then(op, op);
    this.#lifecycle = next.catch(() => undefined);
    return next;
  }

  #setState(state: SystemState): void {
    this.#state = state;
    this.#version++;
    this.#sessionData.setSystem(state, this.config.mode);
  }

  #marketNowMs(): number | null {
    if (this.#backtest !== null) return this.#backtest.clock.nowMs();
    if (this.#liveClock !== null) return this.#liveClock.nowMs();
    return null;
  }

  #memory = { second: Number.NaN, mb: 0 };

  /** Resident memory in MB, read at most once per wall-clock second so the figure does not churn deltas. */
  #memoryMb(): number {
    const second = Math.floor(this.#wallNow() / 1000);
    if (second !== this.#memory.second) {
      this.#memory = { second, mb: Math.round(process.memoryUsage().rss / 1024 / 102.4) / 10 };
    }
    return this.#memory.mb;
  }

  #managerJson(debug: boolean): Json {
    const w = this.config.backtest;
    const uptime =
      this.#startedWallMs === null ? null : Math.floor((this.#wallNow() - this.#startedWallMs) / 1000);
    const memory = debug ? this.#memoryMb() : 0;
    const key = `${this.#version}|${this.#state}|${debug ? `${uptime}|${memory}` : ''}`;
    const slot = this.#managerCache[debug ? 1 : 0] as [string, Json];
    if (slot[0] === key && slot[1] !== null) return slot[1];
    const json: Record<string, Json> = {
      state: this.#state,
      mode: this.config.mode,
      timezone: MARKET_TIME_ZONE,
      backtest_window:
        w === undefined ? null : Object.freeze({ start_date: w.start_date, end_date: w.end_date }),
      speed: this.config.speed,
      symbols: this.config.symbols.length,
      last_error: this.#error === null ? null : this.#error.message,
    };
    if (debug) json.performance = Object.freeze({ uptime_seconds: uptime, memory_usage_mb: memory });
    const value = Object.freeze(json);
    this.#managerCache[debug ? 1 : 0] = [key, value];
    return value;
  }
}

async function closeSource(source: BarSource | null): Promise<void> {
  if (source !== null && typeof source.close === 'function') await source.close();
}

/** One NDJSON line to a bar; the bar rules are checked by the session (the one validation). */
export function barFromJsonLine(text: string, where: string): Bar {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new LiveInputError(where, `not JSON: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new LiveInputError(where, 'expected an object');
  const r = o as Record<string, unknown>;
  let startMs: number;
  if (typeof r.start_ms === 'number') startMs = r.start_ms;
  else if (typeof r.timestamp === 'string') {
    if (!/[zZ]|[+-]\d\d:?\d\d$/.test(r.timestamp))
      throw new LiveInputError(where, 'timestamp needs a Z or an offset');
    startMs = Date.parse(r.timestamp);
  } else throw new LiveInputError(where, 'needs "timestamp" (ISO 8601 with offset) or "start_ms"');
  const num = (k: string): number => {
    const v = r[k];
    if (typeof v !== 'number')
      throw new LiveInputError(where, `"${k}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof r.symbol !== 'string') throw new LiveInputError(where, '"symbol" must be a string');
  const bar: Bar = {
    symbol: r.symbol,
    startMs,
    open: num('open'),
    high: num('high'),
    low: num('low'),
    close: num('close'),
    volume: num('volume'),
  };
  const problem = barProblem(bar);
  if (problem !== undefined) throw new BarValidationError(where, problem[0], problem[1]);
  return bar;
}
