import type { Json, Serializable, ToJsonOptions } from '@sys/core';
import type { Bar, BarSource } from '@sys/market-data';
import {
  type Clock,
  type IsoDate,
  MINUTE_MS,
  NyseCalendar,
  nyDateOf,
  type ReplayScope,
  type Speed,
  visibleFromMs,
} from '@sys/market-time';
import { clockControl } from './clock-control.js';
import { StreamOrderError, UpstreamFailedError } from './errors.js';
import { MinHeap } from './heap.js';
import { BoundedQueue } from './queue.js';
import { nyStamp, ScopeFilter } from './scope.js';
import { Worker, type WorkerContext, type WorkerState } from './worker.js';

/** The bars of one minute, released together once the clock reached `visibleMs`. */
export interface MinuteBatch {
  /** Start of the minute the bars cover, epoch ms. */
  readonly startMs: number;
  /** When they became visible: the end of that minute. */
  readonly visibleMs: number;
  /** The minute's bars, by symbol. */
  readonly bars: readonly Bar[];
}

/** What a consumer of released bars can ask the stream about its progress. */
export interface ReleaseProgress {
  /** Bars released so far (all runs). */
  readonly barsReleased: number;
  /** When the last released minute became visible, epoch ms; null before the first. */
  readonly releasedThroughMs: number | null;
  /** Grows whenever those change. */
  readonly version: number;
}

/** How a session coordinator holds the stream to one session at a time. */
export interface ReleaseGate {
  /** Lets the stream release bars that start before `limitMs` (a limit only ever rises). */
  allowThrough(limitMs: number): void;
  /** Resolves once every bar starting before `limitMs` was released (or the stream ran out). */
  whenReleasedThrough(limitMs: number, signal?: AbortSignal): Promise<void>;
}

/** Options of a {@link BacktestStreamCoordinator}. */
export interface StreamCoordinatorOptions {
  /** Where bars come from; read once per symbol, as separate time-ordered streams. */
  source: BarSource;
  /** The symbols to replay. */
  symbols: readonly string[];
  /** First New York date, inclusive. */
  startDate: IsoDate;
  /** Last New York date, inclusive. */
  endDate: IsoDate;
  /** Market time: a bar is released when this clock reaches the end of its minute. */
  clock: Clock;
  /** Where released minutes go; a full queue makes the stream wait. Default: a queue of 64 minutes. */
  queue?: BoundedQueue<MinuteBatch>;
  /** Sessions whose bars are released: `regular` (default, 09:30–16:00) or `extended` (04:00–20:00). */
  scope?: ReplayScope;
  /** Trading calendar for the scope; default a new NyseCalendar. */
  calendar?: NyseCalendar;
  /**
   * Hold every bar until {@link ReleaseGate.allowThrough} lets it through (a session coordinator opens one
   * session at a time). Default false: released as the clock allows.
   */
  gated?: boolean;
  /** Worker name; default `stream_coordinator`. */
  name?: string;
  /** See {@link WorkerOptions.daemon}. */
  daemon?: boolean;
  /** Wall clock for timing, ms. */
  now?: () => number;
  /** See {@link WorkerOptions.yieldEveryMs}. */
  yieldEveryMs?: number;
}

/** One symbol's stream and the bar it shows next. */
interface Cursor {
  readonly symbol: string;
  readonly iterator: AsyncIterator<Bar>;
  /** The next bar to release (undefined once the stream is done). */
  bar: Bar | undefined;
  lastStartMs: number;
  /** Bars starting at or before this were released by an earlier run. */
  readonly skipThroughMs: number;
}

/** Cursors read between two checkpoints. */
const ADVANCE_GROUP = 8;

function before(a: Cursor, b: Cursor): boolean {
  const x = a.bar;
  const y = b.bar;
  if (x === undefined || y === undefined) return y === undefined && x !== undefined;
  return x.startMs < y.startMs || (x.startMs === y.startMs && a.symbol < b.symbol);
}

interface ThroughWaiter {
  readonly limitMs: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Replays the symbols' bar streams in time order: a k-way merge over one stream per symbol (a min-heap on
 * start time, then symbol), releasing each minute's bars together when the clock reaches the end of that
 * minute (no look-ahead), into a bounded queue. Speed, pause and `max` come from the clock. Stopped and
 * started again, it continues after the last minute it released: every bar is released exactly once.
 */
export class BacktestStreamCoordinator implements ReleaseProgress, ReleaseGate, Serializable {
  /** The queue released minutes go to. */
  readonly queue: BoundedQueue<MinuteBatch>;
  /** The lifecycle (state, error, timing) of this worker. */
  readonly worker: Worker;
  readonly #source: BarSource;
  readonly #symbols: readonly string[];
  readonly #startDate: IsoDate;
  readonly #endDate: IsoDate;
  readonly #clock: Clock;
  readonly #scope: ReplayScope;
  readonly #filter: ScopeFilter;
  #limitMs: number;
  #limitWaiters: (() => void)[] = [];
  #throughWaiters: ThroughWaiter[] = [];
  /** Every bar starting before this was released (the head of the merge); -Infinity until known. */
  #doneThroughMs = Number.NEGATIVE_INFINITY;
  /** Start of the last released minute: a restart skips bars at or before it. */
  #lastMinuteMs = Number.NEGATIVE_INFINITY;
  #barsReleased = 0;
  #batchesReleased = 0;
  #barsOutsideScope = 0;
  #releasedThroughMs: number | null = null;
  #barsPerSecond = 0;
  #runBars = 0;
  #exhausted = false;

  constructor(options: StreamCoordinatorOptions) {
    this.#source = options.source;
    this.#symbols = [...new Set(options.symbols)].sort();
    this.#startDate = options.startDate;
    this.#endDate = options.endDate;
    this.#clock = options.clock;
    this.#scope = options.scope ?? 'regular';
    this.#limitMs = options.gated === true ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    this.#filter = new ScopeFilter(options.calendar ?? new NyseCalendar(), this.#scope);
    this.queue = options.queue ?? new BoundedQueue<MinuteBatch>({ capacity: 64 });
    this.worker = new Worker(
      {
        name: options.name ?? 'stream_coordinator',
        ...(options.daemon === undefined ? {} : { daemon: options.daemon }),
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.yieldEveryMs === undefined ? {} : { yieldEveryMs: options.yieldEveryMs }),
      },
      (ctx) => this.#run(ctx),
    );
    this.worker.onStateChange((state) => this.#onState(state));
  }

  /** Bars released so far (all runs). */
  get barsReleased(): number {
    return this.#barsReleased;
  }

  /** When the last released minute became visible, epoch ms; null before the first. */
  get releasedThroughMs(): number | null {
    return this.#releasedThroughMs;
  }

  /** Grows whenever the stream's state or progress changes. */
  get version(): number {
    return this.worker.version;
  }

  /** True once every stream ran out and the last minute was released. */
  get exhausted(): boolean {
    return this.#exhausted;
  }

  /** The worker's state. */
  get state(): WorkerState {
    return this.worker.state;
  }

  /** Starts (or, after a stop, continues after the last released minute). */
  start(): void {
    this.worker.start();
  }

  /** Stops releasing at the next minute boundary; the clock is not touched. */
  pause(): void {
    this.worker.pause();
  }

  /** Releases again (catching up at once on minutes the clock passed meanwhile). */
  resume(): void {
    this.worker.resume();
  }

  /** Stops; resolves when the worker has. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Resolves when the current run has ended. */
  join(): Promise<void> {
    return this.worker.join();
  }

  /** The clock's speed, or null when the clock has none (manual, live). */
  get speed(): Speed | null {
    return clockControl(this.#clock)?.speed ?? null;
  }

  /** Lets the stream release bars that start before `limitMs`; lowering it is ignored. */
  allowThrough(limitMs: number): void {
    if (!(limitMs > this.#limitMs)) return;
    this.#limitMs = limitMs;
    const waiters = this.#limitWaiters;
    this.#limitWaiters = [];
    for (const wake of waiters) wake();
    this.worker.touch();
  }

  /** Resolves once every bar starting before `limitMs` was released; rejects if the stream fails first. */
  whenReleasedThrough(limitMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#doneThroughMs >= limitMs) return Promise.resolve();
    const failure = this.worker.error;
    if (this.worker.state === 'error' && failure !== null) return Promise.reject(this.#upstream(failure));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#throughWaiters = this.#throughWaiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: ThroughWaiter = {
        limitMs,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#throughWaiters.push(waiter);
    });
  }

  /** `thread_info`, `state`, `error`, progress; with debug `performance` and `queues`. */
  toJson(options?: ToJsonOptions): Json {
    const speed = this.speed;
    return this.worker.toJson(
      options,
      String(speed),
      () => ({
        speed,
        scope: this.#scope,
        start_date: this.#startDate,
        end_date: this.#endDate,
        symbols: this.#symbols.length,
        market_time: nyStamp(this.#releasedThroughMs),
        bars_released: this.#barsReleased,
        minutes_released: this.#batchesReleased,
        bars_outside_scope: this.#barsOutsideScope,
        bars_per_second: this.#barsPerSecond,
        exhausted: this.#exhausted,
      }),
      { released: this.queue },
    );
  }

  #upstream(failure: Error): UpstreamFailedError {
    return new UpstreamFailedError(`${this.worker.name} failed: ${failure.message}`, failure);
  }

  #onState(state: WorkerState): void {
    if (state !== 'error') return;
    const failure = this.worker.error;
    const waiters = this.#throughWaiters;
    this.#throughWaiters = [];
    for (const w of waiters) w.reject(this.#upstream(failure ?? new Error('unknown failure')));
  }

  #setDoneThrough(ms: number): void {
    this.#doneThroughMs = ms;
    if (this.#throughWaiters.length === 0) return;
    const still: ThroughWaiter[] = [];
    for (const w of this.#throughWaiters) {
      if (ms >= w.limitMs) w.resolve();
      else still.push(w);
    }
    this.#throughWaiters = still;
  }

  async #run(ctx: WorkerContext): Promise<void> {
    this.#runBars = 0;
    const heap = new MinHeap<Cursor>(before);
    const cursors: Cursor[] = [];
    try {
      // Continue after the last released minute: a stop may have come between two minutes.
      const resumeAfterMs = this.#lastMinuteMs;
      const fromDate = Number.isFinite(resumeAfterMs) ? nyDateOf(resumeAfterMs) : this.#startDate;
      for (const symbol of this.#symbols) {
        const stream = this.#source.streamBars({
          symbols: [symbol],
          startDate: fromDate,
          endDate: this.#endDate,
        });
        cursors.push({
          symbol,
          iterator: stream[Symbol.asyncIterator](),
          bar: undefined,
          lastStartMs: Number.NEGATIVE_INFINITY,
          skipThroughMs: resumeAfterMs,
        });
      }
      await this.#advanceAll(cursors, heap, ctx);
      const popped: Cursor[] = [];
      for (;;) {
        await ctx.checkpoint();
        const head = heap.peek()?.bar;
        if (head === undefined) break;
        const minuteMs = head.startMs;
        this.#setDoneThrough(minuteMs);
        if (minuteMs >= this.#limitMs) {
          await this.#waitForLimit(minuteMs, ctx.signal);
          continue;
        }
        const visibleMs = visibleFromMs(minuteMs, MINUTE_MS);
        if (this.#clock.nowMs() < visibleMs) {
          await this.#clock.sleepUntil(visibleMs, ctx.signal);
          await ctx.whilePaused(); // a pause that came during the sleep holds the release
        }
        const t0 = ctx.now();
        const bars: Bar[] = [];
        popped.length = 0;
        for (let c = heap.peek(); c?.bar !== undefined && c.bar.startMs === minuteMs; c = heap.peek()) {
          heap.pop();
          bars.push(c.bar);
          popped.push(c);
        }
        const t1 = ctx.now();
        await this.queue.put({ startMs: minuteMs, visibleMs, bars }, ctx.signal);
        // Released: from here on a restart starts after this minute.
        this.#lastMinuteMs = minuteMs;
        this.#barsReleased += bars.length;
        this.#runBars += bars.length;
        this.#batchesReleased++;
        this.#releasedThroughMs = visibleMs;
        const readMs = await this.#advanceAll(popped, heap, ctx);
        const activeMs = ctx.activeMs();
        this.#barsPerSecond = activeMs > 0 ? Math.round((this.#runBars * 1000) / activeMs) : 0;
        ctx.recordBatch(bars.length, t1 - t0 + readMs);
      }
      this.#exhausted = true;
      ctx.changed();
      this.#setDoneThrough(Number.POSITIVE_INFINITY);
    } finally {
      await Promise.allSettled(cursors.map((c) => c.iterator.return?.()));
    }
  }

  /**
   * Moves cursors to their next bars and back into the heap, in groups with a checkpoint between them: a
   * source may do a day's work on the first read of a day (the synthetic one does), and 500 of those in
   * one go would hold the event loop for a long time. Returns the ms spent reading (the yields excluded).
   */
  async #advanceAll(cursors: readonly Cursor[], heap: MinHeap<Cursor>, ctx: WorkerContext): Promise<number> {
    let readMs = 0;
    for (let i = 0; i < cursors.length; i += ADVANCE_GROUP) {
      if (i > 0) await ctx.checkpoint();
      const t0 = ctx.now();
      if (cursors.length === 1) {
        const only = cursors[0] as Cursor;
        await this.#advance(only);
        if (only.bar !== undefined) heap.push(only);
      } else {
        const group = cursors.slice(i, i + ADVANCE_GROUP);
        await Promise.all(group.map((c) => this.#advance(c)));
        for (const c of group) if (c.bar !== undefined) heap.push(c);
      }
      readMs += ctx.now() - t0;
    }
    return readMs;
  }

  /** Reads the cursor's next bar in scope, checking it belongs to the symbol and moves forward in time. */
  async #advance(c: Cursor): Promise<void> {
    for (;;) {
      const r = await c.iterator.next();
      if (r.done === true) {
        c.bar = undefined;
        return;
      }
      const bar = r.value;
      if (bar.symbol !== c.symbol) {
        throw new StreamOrderError(
          `the stream of ${c.symbol} yielded a bar of ${bar.symbol}; a source must honour the symbols of its query`,
        );
      }
      if (bar.startMs <= c.skipThroughMs) continue; // released by an earlier run
      if (bar.startMs <= c.lastStartMs) {
        throw new StreamOrderError(
          `${c.symbol}: a bar starting ${nyStamp(bar.startMs)} came after one starting ${nyStamp(c.lastStartMs)}; ` +
            'the source must yield each symbol in time order without duplicates',
        );
      }
      c.lastStartMs = bar.startMs;
      if (!this.#filter.contains(bar.startMs)) {
        this.#barsOutsideScope++;
        continue;
      }
      c.bar = bar;
      return;
    }
  }

  #waitForLimit(minuteMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const wake = () => {
        if (minuteMs < this.#limitMs) {
          signal.removeEventListener('abort', onAbort);
          resolve();
        } else {
          this.#limitWaiters.push(wake);
        }
      };
      this.#limitWaiters.push(wake);
    });
  }
}
