import type { Json, Serializable, ToJsonOptions } from '@sys/core';
import type { Bar } from '@sys/market-data';
import type { SessionData } from '@sys/session-data';
import { UpstreamFailedError } from './errors.js';
import type { BoundedQueue } from './queue.js';
import { nyStamp } from './scope.js';
import type { MinuteBatch, ReleaseProgress } from './stream.js';
import { Worker, type WorkerContext, type WorkerState } from './worker.js';

/** The part of SessionData the upkeep writes to. */
export type UpkeepTarget = Pick<SessionData, 'ingestMany' | 'foldDerived' | 'advanceTo'>;

/** Options of a {@link DataUpkeep}. */
export interface DataUpkeepOptions {
  /** Released minutes to take in (the stream coordinator's queue). */
  queue: BoundedQueue<MinuteBatch>;
  /** Where they go. */
  sessionData: UpkeepTarget;
  /** The stream feeding the queue, to report lag against; without it lag counts only what is queued. */
  stream?: ReleaseProgress;
  /**
   * Queued minutes are taken together while the batch holds fewer bars than this (default 2048): bigger
   * batches fold less often, smaller ones hold the event loop for less time.
   */
  maxBarsPerBatch?: number;
  /** Worker name; default `data_upkeep`. */
  name?: string;
  /** See {@link WorkerOptions.daemon}. */
  daemon?: boolean;
  /** Wall clock for timing, ms. */
  now?: () => number;
  /** See {@link WorkerOptions.yieldEveryMs}. */
  yieldEveryMs?: number;
}

/**
 * Takes released bars into SessionData: ingests each batch of minutes, folds the derived intervals and
 * moves market time on (quality, gaps, forming buckets); reports how far it lags behind the stream. A stop
 * leaves untaken minutes in the queue for the next run; nothing taken is ever dropped.
 */
export class DataUpkeep implements Serializable {
  /** The lifecycle (state, error, timing) of this worker. */
  readonly worker: Worker;
  readonly #queue: BoundedQueue<MinuteBatch>;
  readonly #target: UpkeepTarget;
  readonly #stream: ReleaseProgress | undefined;
  readonly #maxBars: number;
  #barsIngested = 0;
  #minutesIngested = 0;
  #barsFolded = 0;
  #ingestedThroughMs: number | null = null;
  /** Queue items fully stored: with the queue's `dequeued` it tells whether a taken item is still in flight. */
  #minutesDone = 0;
  #caughtUpWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(options: DataUpkeepOptions) {
    this.#queue = options.queue;
    this.#target = options.sessionData;
    this.#stream = options.stream;
    this.#maxBars = Math.max(1, options.maxBarsPerBatch ?? 2048);
    this.worker = new Worker(
      {
        name: options.name ?? 'data_upkeep',
        ...(options.daemon === undefined ? {} : { daemon: options.daemon }),
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(options.yieldEveryMs === undefined ? {} : { yieldEveryMs: options.yieldEveryMs }),
      },
      (ctx) => this.#run(ctx),
    );
    this.worker.onStateChange((state) => {
      if (state !== 'error') return;
      const failure = this.worker.error;
      const waiters = this.#caughtUpWaiters;
      this.#caughtUpWaiters = [];
      for (const w of waiters) {
        w.reject(new UpstreamFailedError(`${this.worker.name} failed: ${failure?.message}`, failure));
      }
    });
  }

  /** Bars taken into SessionData so far. */
  get barsIngested(): number {
    return this.#barsIngested;
  }

  /** The worker's state. */
  get state(): WorkerState {
    return this.worker.state;
  }

  /** True when nothing is queued and every minute taken out is in SessionData (this is the queue's one consumer). */
  get caughtUp(): boolean {
    return this.#queue.depth === 0 && this.#queue.dequeued === this.#minutesDone;
  }

  /** Starts (or continues with what is queued). */
  start(): void {
    this.worker.start();
  }

  /** Pauses after the current batch. */
  pause(): void {
    this.worker.pause();
  }

  /** Goes on. */
  resume(): void {
    this.worker.resume();
  }

  /** Stops after the current batch; resolves when it has. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Resolves when the current run has ended. */
  join(): Promise<void> {
    return this.worker.join();
  }

  /** Resolves once the queue is empty and the last batch is in SessionData. */
  whenCaughtUp(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.caughtUp) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#caughtUpWaiters = this.#caughtUpWaiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#caughtUpWaiters.push(waiter);
    });
  }

  /** `thread_info`, `state`, `error`, ingest counts and lag; with debug `performance` and `queues`. */
  toJson(options?: ToJsonOptions): Json {
    const stream = this.#stream;
    return this.worker.toJson(
      options,
      `${stream?.version}|${this.#queue.version}`,
      () => {
        const lagBars = stream === undefined ? null : stream.barsReleased - this.#barsIngested;
        const through = stream?.releasedThroughMs ?? null;
        const lagMs =
          through === null ? 0 : this.#ingestedThroughMs === null ? null : through - this.#ingestedThroughMs;
        return {
          bars_ingested: this.#barsIngested,
          minutes_ingested: this.#minutesIngested,
          bars_folded: this.#barsFolded,
          market_time: nyStamp(this.#ingestedThroughMs),
          lag: { bars: lagBars, market_ms: lagMs, minutes_queued: this.#queue.depth },
        };
      },
      { released: this.#queue },
    );
  }

  async #run(ctx: WorkerContext): Promise<void> {
    for (;;) {
      await ctx.checkpoint();
      this.#notifyIfCaughtUp();
      const first = await this.#queue.take(ctx.signal);
      // From here to the end of the batch there is no await: a taken minute is always stored.
      const t0 = ctx.now();
      const batch = [first];
      for (let n = first.bars.length; n < this.#maxBars && this.#queue.depth > 0; ) {
        const next = this.#queue.takeUpTo(1)[0] as MinuteBatch;
        batch.push(next);
        n += next.bars.length;
      }
      let bars: readonly Bar[];
      if (batch.length === 1) {
        bars = first.bars;
      } else {
        const all: Bar[] = [];
        for (const m of batch) for (const bar of m.bars) all.push(bar);
        bars = all;
      }
      this.#target.ingestMany(bars);
      this.#barsFolded += this.#target.foldDerived();
      const last = batch[batch.length - 1] as MinuteBatch;
      this.#target.advanceTo(last.visibleMs);
      this.#ingestedThroughMs = last.visibleMs;
      this.#minutesDone += batch.length;
      this.#barsIngested += bars.length;
      this.#minutesIngested += batch.length;
      ctx.recordBatch(bars.length, ctx.now() - t0);
      this.#notifyIfCaughtUp();
    }
  }

  #notifyIfCaughtUp(): void {
    if (!this.caughtUp || this.#caughtUpWaiters.length === 0) return;
    const waiters = this.#caughtUpWaiters;
    this.#caughtUpWaiters = [];
    for (const w of waiters) w.resolve();
  }
}
