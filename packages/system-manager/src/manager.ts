import { setTimeout as sleep } from 'node:timers/promises';
import {
  ArgumentError,
  type Json,
  JsonMemo,
  type LifecycleState,
  type Serializable,
  type ToJsonOptions,
  transition,
} from '@sys/core';
import { ChangeFeed, type Envelope, type FeedRead } from '@sys/diff-tracker';
import type { Bar, BarSource } from '@sys/market-data';
import { barFromJsonLine } from '@sys/market-data/ndjson';
import { type Clock, MARKET_TIME_ZONE, NyseCalendar, parseSpeed, type Speed } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { LiveRun, ROLE_NAMES, type Run, type RunEvent, type ThreadsJson } from '@sys/threads';
import {
  ConfigError,
  indicatorsOf,
  isParsedConfig,
  parseConfig,
  type SessionConfig,
  type SessionConfigInput,
} from './config.js';
import { SystemStateError } from './errors.js';
import { createRun } from './runs.js';
import type { SystemJson, SystemManagerJson } from './wire.js';

/** Longest wait Node's timers take (2^31-1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Where the system is in its life (the kernel's lifecycle, from `stopped`). */
export type SystemState = Exclude<LifecycleState, 'created'>;

/** Options of a SystemManager (injected for tests; defaults suit a real run). */
export interface SystemManagerOptions {
  /** Trading calendar (default a NyseCalendar). */
  calendar?: NyseCalendar;
  /** Market clock of live runs (default the wall clock). */
  clock?: Clock;
  /** Wall clock in ms for uptime (default Date.now). */
  wallNow?: () => number;
  /** Runs that do not keep the process alive (default false). */
  daemon?: boolean;
  /**
   * Bars from this source instead of the one the config names (an embedding program's own, or bars made
   * ahead of time for a benchmark). The manager does not close it.
   */
  source?: BarSource;
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

const IDLE_THREADS = Object.freeze(
  Object.fromEntries(
    ROLE_NAMES.map((name) => [
      name,
      Object.freeze({
        thread_info: Object.freeze({ name, is_alive: false, daemon: false }),
        state: 'created',
      }),
    ]),
  ),
) as ThreadsJson;

/**
 * Runs a trading session from a config and shows it as JSON: the whole state on request, then only what
 * changed since each consumer last asked. It holds one {@link Run} at a time (a backtest or a live run) and
 * is the only writer of the system's state. Lifecycle calls are safe at any time: start and stop are
 * serialised, repeated calls are no-ops, and a stop during a start waits for the start and undoes it. A
 * new start after a run is over keeps this manager and its consumers: a new run, a new epoch, `seq` going on.
 */
export class SystemManager implements Serializable {
  readonly #options: SystemManagerOptions;
  readonly #calendar: NyseCalendar;
  readonly #wallNow: () => number;
  readonly #feed: ChangeFeed;
  readonly #listeners = new Set<(event: RunEvent) => void>();
  #config: SessionConfig;
  #speed: Speed;
  #state: SystemState = 'stopped';
  #error: Error | null = null;
  #sessionData: SessionData;
  #run: Run | null = null;
  #source: BarSource | null = null;
  #startedWallMs: number | null = null;
  #lifecycle: Promise<unknown> = Promise.resolve();
  #pending: 'pause' | null = null;
  #done: Promise<void> = Promise.resolve();
  #version = 0;
  readonly #managerMemo = new JsonMemo<SystemManagerJson>();
  readonly #topMemo = new JsonMemo<SystemJson>();
  #rate = { wallMs: 0, bars: 0, perSecond: 0 };

  constructor(config: SessionConfig | SessionConfigInput, options: SystemManagerOptions = {}) {
    this.#config = isParsedConfig(config) ? config : parseConfig(config);
    this.#speed = this.#config.speed;
    this.#options = options;
    this.#calendar = options.calendar ?? new NyseCalendar();
    this.#wallNow = options.wallNow ?? Date.now;
    this.#sessionData = this.#newSessionData();
    const feed = this.#config.feed;
    this.#feed = new ChangeFeed((o) => this.stateJson(o), {
      ...(feed.max_retained_bytes_per_consumer === undefined
        ? {}
        : { maxRetainedBytesPerConsumer: feed.max_retained_bytes_per_consumer }),
      ...(feed.max_consumers === undefined ? {} : { maxConsumers: feed.max_consumers }),
    });
  }

  /** The config of the current (or last) run. */
  get config(): SessionConfig {
    return this.#config;
  }

  /** The replay speed (the config's until `setSpeed` changes it). */
  get speed(): Speed {
    return this.#speed;
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

  /** The current (or last) run, or null before the first start. */
  get run(): Run | null {
    return this.#run;
  }

  /**
   * Calls `listener` after each event a run applies (a minute ended, the open, the close, a new day),
   * synchronously and before the next, for this run and every later one: read a delta there to see every
   * market minute. Returns the function that removes it.
   */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The change feed behind `toJson` (consumer stats, epochs). */
  get feed(): ChangeFeed {
    return this.#feed;
  }

  /**
   * Starts a run — of `config` when given (the system must not be running), else of the current config:
   * opens the source, checks every symbol is in it, then starts. Any problem is thrown before the run
   * starts (the state goes back to `stopped`). Starting a running system does nothing; starting after a run
   * is over starts a new run, and every consumer's next read is a snapshot with reason `epoch_changed`.
   */
  start(config?: SessionConfig | SessionConfigInput): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'running' || this.#state === 'paused') {
        if (config === undefined) return;
        throw new SystemStateError('start a new session', this.#state, '`stop` it first');
      }
      const next =
        config === undefined ? this.#config : isParsedConfig(config) ? config : parseConfig(config);
      this.#setState('starting');
      try {
        this.#config = next;
        if (config !== undefined) this.#speed = next.speed;
        if (this.#run !== null) {
          // A new run of the same manager: consumers keep their names; the feed says it is a new epoch.
          this.#feed.restart();
          this.#sessionData = this.#newSessionData();
        }
        const made = await createRun(next, {
          sessionData: this.#sessionData,
          calendar: this.#calendar,
          speed: this.#speed,
          ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
          ...(this.#options.daemon === undefined ? {} : { daemon: this.#options.daemon }),
          ...(this.#options.source === undefined ? {} : { source: this.#options.source }),
        });
        this.#run = made.run;
        this.#source = made.source;
        made.run.onEvent((event) => {
          for (const listener of this.#listeners) listener(event);
        });
      } catch (e) {
        this.#error = e instanceof Error ? e : new Error(String(e));
        this.#setState('stopped');
        throw e;
      }
      const run = this.#run;
      this.#error = null;
      this.#startedWallMs = this.#wallNow();
      run.start();
      this.#done = run.join().then(() => this.#finished(run));
      this.#setState('running');
      const pending = this.#pending;
      this.#pending = null;
      if (pending === 'pause') this.pause();
    });
  }

  /** Holds the run before its next event; a second pause does nothing. */
  pause(): void {
    if (this.#state === 'starting') {
      this.#pending = 'pause';
      return;
    }
    if (this.#state === 'paused') return;
    this.#check('pause', 'start the system first');
    this.#run?.pause();
    this.#setState('paused');
  }

  /** Goes on from a pause; resuming a running system does nothing. */
  resume(): void {
    if (this.#state === 'starting') {
      this.#pending = null;
      return;
    }
    if (this.#state === 'running') return;
    this.#check('resume', 'only a paused system resumes');
    this.#run?.resume();
    this.#setState('running');
  }

  /** Changes the replay speed at once (a number > 0 = market ms per wall ms, or `max`). */
  setSpeed(speed: Speed | string): void {
    const parsed = parseSpeed(speed);
    const run = this.#run;
    // A live run has no speed (null): it follows the wall clock; the field is kept for the next backtest.
    if (run !== null && run.speed !== null) run.setSpeed(parsed);
    this.#speed = parsed;
    this.#version++;
  }

  /** While paused, replays `minutes` more of market time; resolves once they are applied, still paused. */
  async step(minutes = 1): Promise<void> {
    if (!Number.isInteger(minutes) || minutes < 1) {
      throw new SystemStateError('step', this.#state, `minutes must be a whole number >= 1, got ${minutes}`);
    }
    const run = this.#run;
    if (this.#state !== 'paused' || run === null) {
      throw new SystemStateError('step', this.#state, 'pause the backtest first (system pause)');
    }
    await run.step(minutes);
    this.#version++;
  }

  /** Stops the run; stopping a stopped system does nothing. Market time stays where the run was. */
  stop(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'stopped' || this.#state === 'error') return;
      this.#setState('stopping');
      await this.#run?.stop();
      await this.#closeSource();
      this.#setState('stopped');
    });
  }

  /** Resolves when the run has finished (window replayed, or stopped); rejects with the run's error. */
  async done(): Promise<void> {
    await this.#lifecycle.catch(() => undefined);
    await this.#done;
    if (this.#state === 'error' && this.#error !== null) throw this.#error;
  }

  /** Progress of the run: market time, bars applied and bars per wall second. */
  progress(): SystemProgress {
    const p = this.#run?.progress();
    const bars = p?.barsApplied ?? 0;
    const now = this.#wallNow();
    const r = this.#rate;
    if (now - r.wallMs >= 500) {
      r.perSecond = r.wallMs === 0 ? 0 : ((bars - r.bars) * 1000) / (now - r.wallMs);
      r.wallMs = now;
      r.bars = bars;
    }
    return {
      state: this.#state,
      marketTimeMs: p?.marketTimeMs ?? null,
      barsReleased: bars,
      barsPerSecond: Math.round(r.perSecond),
      ended: p?.ended ?? false,
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
    const marketMs = this.#run?.marketNowMs() ?? null;
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
    // Node's timers cannot wait longer than 2^31-1 ms: past it they fire at once, in a busy loop.
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
      throw new ArgumentError('intervalMs', intervalMs, `a whole number of ms from 1 to ${MAX_TIMER_MS}`);
    }
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

  /** Live mode: takes one bar pushed in by the embedding program (checked at once, applied when due). */
  ingest(bar: Bar, where?: string): void {
    const run = this.#run;
    if (!(run instanceof LiveRun)) {
      throw new SystemStateError('ingest bars', `in ${this.#config.mode} mode`, 'use mode "live"');
    }
    if (this.#state !== 'running' && this.#state !== 'paused') {
      throw new SystemStateError('ingest bars', this.#state, 'start the system first');
    }
    if (!this.#config.symbols.includes(bar.symbol)) {
      const at = where === undefined ? '' : ` (${where})`;
      throw new ConfigError([
        { path: 'symbols', message: `bar for "${bar.symbol}"${at}, which is not in the config's symbols` },
      ]);
    }
    run.push(bar, where);
  }

  /** Live mode: reads bars as NDJSON lines (`{symbol, timestamp|start_ms, open, high, low, close, volume}`). */
  async ingestNdjson(lines: AsyncIterable<string>, sourceName = 'stdin'): Promise<number> {
    let n = 0;
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      const where = `${sourceName}:${line}`;
      this.ingest(barFromJsonLine(text, where), where);
      n++;
    }
    return n;
  }

  /** The complete state (no metadata): what every consumer's envelopes rebuild. */
  stateJson(options: ToJsonOptions = {}): SystemJson {
    const debug = options.debug === true;
    const system_manager = this.#managerJson(debug);
    const threads = this.#run?.threadsJson({ debug }) ?? IDLE_THREADS;
    const session_data = this.#sessionData.toJson({ debug });
    return this.#topMemo.get(options, [system_manager, threads, session_data], () => ({
      system_manager,
      threads,
      session_data,
    }));
  }

  /** A run ended on its own (window replayed or a failure). */
  async #finished(run: Run): Promise<void> {
    await this.#serial(async () => {
      if (this.#run !== run || this.#state === 'stopping' || this.#state === 'stopped') return;
      await this.#closeSource();
      if (run.error !== null) {
        this.#error = run.error;
        this.#setState('error');
      } else {
        this.#setState('stopped');
      }
    });
  }

  async #closeSource(): Promise<void> {
    const source = this.#source;
    this.#source = null;
    if (source !== null && typeof source.close === 'function') await source.close();
  }

  /** Refuses what the kernel's lifecycle table refuses, as a SystemStateError with the hint. */
  #check(action: 'pause' | 'resume', hint: string): void {
    try {
      transition(this.#state, action, 'the system');
    } catch {
      throw new SystemStateError(action, this.#state, hint);
    }
  }

  #newSessionData(): SessionData {
    const config = this.#config;
    const sd = new SessionData({
      calendar: this.#calendar,
      indicators: (symbol) => indicatorsOf(config, symbol),
    });
    sd.setSystem(this.#state, this.#config.mode);
    return sd;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#lifecycle.then(op, op);
    this.#lifecycle = next.catch(() => undefined);
    return next;
  }

  /** The one place the system's state is written: here and in `session_data.system`. */
  #setState(state: SystemState): void {
    this.#state = state;
    this.#version++;
    this.#sessionData.setSystem(state, this.#config.mode);
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

  #managerJson(debug: boolean): SystemManagerJson {
    const uptime =
      this.#startedWallMs === null ? null : Math.floor((this.#wallNow() - this.#startedWallMs) / 1000);
    const memory = debug ? this.#memoryMb() : 0;
    return this.#managerMemo.get({ debug }, debug ? [this.#version, uptime, memory] : this.#version, () => {
      const w = this.#config.backtest;
      const json: { -readonly [K in keyof SystemManagerJson]: SystemManagerJson[K] } = {
        state: this.#state,
        mode: this.#config.mode,
        timezone: MARKET_TIME_ZONE,
        backtest_window: w === undefined ? null : { start_date: w.start_date, end_date: w.end_date },
        speed: this.#speed,
        symbols: this.#config.symbols.length,
        last_error: this.#error === null ? null : this.#error.message,
      };
      if (debug) json.performance = { uptime_seconds: uptime, memory_usage_mb: memory };
      return json;
    });
  }
}
