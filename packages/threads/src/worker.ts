import { type Json, type JsonObject, sealJson, type ToJsonOptions } from '@sys/core';
import { WorkerStateError, WorkerStoppedError } from './errors.js';
import type { QueueStatsSource } from './queue.js';

/** Where a worker is in its life: `created → running ⇄ paused → stopping → stopped`, or `error`. */
export type WorkerState = 'created' | 'running' | 'paused' | 'stopping' | 'stopped' | 'error';

/** What a worker's body gets from the {@link Worker} that runs it. */
export interface WorkerContext {
  /** Aborted (with a {@link WorkerStoppedError}) when `stop()` is called: pass it to every wait. */
  readonly signal: AbortSignal;
  /**
   * Call between batches: yields to the event loop (setImmediate) so timers and input are served, waits
   * while the worker is paused, and throws the stop reason once a stop was asked for.
   */
  checkpoint(): Promise<void>;
  /** Waits while paused and throws once stopping, without yielding to the event loop when running. */
  whilePaused(): Promise<void>;
  /**
   * Yields to the event loop if this run has worked `yieldEveryMs` since the last yield; ignores pause and
   * stop, for the middle of a step that must finish whole.
   */
  breathe(): Promise<void>;
  /** Records one batch of `items` that took `durationMs` of work (waits excluded). */
  recordBatch(items: number, durationMs: number): void;
  /** Marks the worker's own fields as changed, so its next `toJson` is rebuilt. */
  changed(): void;
  /** The worker's wall clock, ms. */
  now(): number;
  /** Wall ms this run has spent running (pauses excluded). */
  activeMs(): number;
}

/** The work a {@link Worker} runs: returns when done, or throws; a stop arrives through `ctx`. */
export type WorkerBody = (ctx: WorkerContext) => Promise<void>;

/** Options of a {@link Worker}. */
export interface WorkerOptions {
  /** Name shown in `thread_info`, e.g. `stream_coordinator`. */
  name: string;
  /**
   * A daemon worker does not keep the process alive while it waits (it holds no lasting handle); a
   * non-daemon worker holds a ref'd handle while alive, so the process waits for it. Default false.
   */
  daemon?: boolean;
  /** Wall clock in ms for timing stats; default `performance.now`. */
  now?: () => number;
  /**
   * Yield to the event loop at a checkpoint only once this many wall ms of work passed since the last
   * yield. Default 0: yield after every batch (a 500-symbol run at max keeps event-loop delay p99 near
   * 12 ms this way, against ~35 ms at 4, for a few percent of throughput).
   */
  yieldEveryMs?: number;
}

/** Per-batch timing of a worker, snake_case as on the wire. */
export interface TimingStats {
  batches: number;
  items: number;
  last_batch_ms: number;
  avg_batch_ms: number;
  max_batch_ms: number;
}

/** A JSON object under construction: plain, mutable, sealed before it is handed out. */
export type JsonFields = Record<string, Json>;

const KEEP_ALIVE_MS = 2 ** 30;

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The lifecycle every sys worker has, used by composition: a worker class owns one `Worker` and hands it
 * its body. Runs on the event loop, so a body must await `ctx.checkpoint()` between batches.
 */
export class Worker {
  /** Name shown in `thread_info`. */
  readonly name: string;
  /** Whether the worker lets the process exit while it is alive. */
  readonly daemon: boolean;
  readonly #body: WorkerBody;
  readonly #now: () => number;
  readonly #yieldEveryMs: number;
  #state: WorkerState = 'created';
  #error: Error | null = null;
  #version = 0;
  #controller: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();
  #resumeWaiters: (() => void)[] = [];
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  #lastYieldMs = 0;
  #runStartMs = 0;
  #pausedMs = 0;
  #pausedSinceMs: number | null = null;
  #batches = 0;
  #items = 0;
  #lastBatchMs = 0;
  #totalBatchMs = 0;
  #maxBatchMs = 0;
  readonly #listeners = new Set<(state: WorkerState) => void>();
  // toJson cache: one slot per debug flag, keyed by everything the answer depends on.
  readonly #cacheKey: [string, string] = ['', ''];
  readonly #cacheValue: [Json, Json] = [null, null];
  #threadInfo: [JsonObject | null, JsonObject | null] = [null, null];

  constructor(options: WorkerOptions, body: WorkerBody) {
    this.name = options.name;
    this.daemon = options.daemon === true;
    this.#now = options.now ?? (() => performance.now());
    this.#yieldEveryMs = options.yieldEveryMs ?? 0;
    this.#body = body;
  }

  /** The current state. */
  get state(): WorkerState {
    return this.#state;
  }

  /** The error that ended the last run, kept until the next `start`; null otherwise. */
  get error(): Error | null {
    return this.#error;
  }

  /** True while running, paused or stopping. */
  get isAlive(): boolean {
    return this.#state === 'running' || this.#state === 'paused' || this.#state === 'stopping';
  }

  /** Grows on every change of state, fields or timing. */
  get version(): number {
    return this.#version;
  }

  /** Starts a run (from created, stopped or error); the body begins on a later turn of the event loop. */
  start(): void {
    if (this.isAlive) {
      throw new WorkerStateError(this.name, 'start', this.#state, 'stop() and join() it first');
    }
    const controller = new AbortController();
    this.#controller = controller;
    this.#error = null;
    this.#runStartMs = this.#now();
    this.#lastYieldMs = this.#runStartMs;
    this.#pausedMs = 0;
    this.#pausedSinceMs = null;
    if (!this.daemon) this.#keepAlive = setInterval(() => {}, KEEP_ALIVE_MS);
    this.#setState('running');
    this.#done = this.#execute(controller);
  }

  /** Pauses at the body's next checkpoint; no-op when already paused. */
  pause(): void {
    if (this.#state === 'paused') return;
    if (this.#state !== 'running') {
      throw new WorkerStateError(this.name, 'pause', this.#state, 'only a running worker can pause');
    }
    this.#pausedSinceMs = this.#now();
    this.#setState('paused');
  }

  /** Lets a paused worker go on; no-op when running. */
  resume(): void {
    if (this.#state === 'running') return;
    if (this.#state !== 'paused') {
      throw new WorkerStateError(this.name, 'resume', this.#state, 'only a paused worker can resume');
    }
    this.#endPause();
    this.#setState('running');
    this.#wakePaused();
  }

  /** Asks the body to stop (aborting its waits) and resolves when it has; a worker never started just stops. */
  stop(): Promise<void> {
    if (this.#state === 'created') {
      this.#setState('stopped');
      return Promise.resolve();
    }
    if (this.#state === 'running' || this.#state === 'paused') {
      this.#endPause();
      this.#setState('stopping');
      this.#controller?.abort(new WorkerStoppedError(this.name));
      this.#wakePaused();
    }
    return this.join();
  }

  /** Resolves when the current run has ended (stopped or error); never rejects: read `state` and `error`. */
  join(): Promise<void> {
    return this.#done;
  }

  /** Calls `listener` on every state change; returns the function that removes it. */
  onStateChange(listener: (state: WorkerState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Batch timing of all runs so far. */
  timing(): TimingStats {
    return {
      batches: this.#batches,
      items: this.#items,
      last_batch_ms: round3(this.#lastBatchMs),
      avg_batch_ms: this.#batches === 0 ? 0 : round3(this.#totalBatchMs / this.#batches),
      max_batch_ms: round3(this.#maxBatchMs),
    };
  }

  /** Marks the owner's fields as changed (for owners that change outside the body, e.g. a setter). */
  touch(): void {
    this.#version++;
  }

  /**
   * The worker's JSON: `thread_info`, `state`, `error`, the owner's `fields`, and with debug `performance`
   * and `queues`. Gives back the same frozen object while nothing in `key` (the owner's dependencies), the
   * worker or the queues changed.
   */
  toJson(
    options: ToJsonOptions | undefined,
    key: string,
    fields: () => JsonFields,
    queues: Readonly<Record<string, QueueStatsSource>> = {},
  ): Json {
    const debug = options?.debug === true;
    const slot = debug ? 1 : 0;
    let fullKey = `${this.#version}|${key}`;
    if (debug) for (const name in queues) fullKey += `|${queues[name]?.version}`;
    if (this.#cacheKey[slot] === fullKey) return this.#cacheValue[slot];
    const out: JsonFields = {
      thread_info: this.#threadInfoJson(),
      state: this.#state,
      error:
        this.#error === null
          ? null
          : {
              name: this.#error.name,
              code: errorCode(this.#error),
              message: this.#error.message,
            },
      ...fields(),
    };
    if (debug) {
      out.performance = { ...this.timing() };
      const q: JsonFields = {};
      for (const name in queues) {
        const queue = queues[name];
        if (queue !== undefined) q[name] = { ...queue.stats() };
      }
      out.queues = q;
    }
    const sealed = sealJson(out);
    this.#cacheKey[slot] = fullKey;
    this.#cacheValue[slot] = sealed;
    return sealed;
  }

  #threadInfoJson(): JsonObject {
    const alive = this.isAlive ? 1 : 0;
    let info = this.#threadInfo[alive];
    if (info === null || info === undefined) {
      info = sealJson({ name: this.name, is_alive: this.isAlive, daemon: this.daemon }) as JsonObject;
      this.#threadInfo[alive] = info;
    }
    return info;
  }

  async #execute(controller: AbortController): Promise<void> {
    const signal = controller.signal;
    const ctx: WorkerContext = {
      signal,
      checkpoint: () => this.#checkpoint(signal, true),
      whilePaused: () => this.#checkpoint(signal, false),
      breathe: async () => {
        if (this.#now() - this.#lastYieldMs < this.#yieldEveryMs) return;
        await this.#yield();
        this.#lastYieldMs = this.#now();
      },
      recordBatch: (items, durationMs) => {
        this.#batches++;
        this.#items += items;
        this.#lastBatchMs = durationMs;
        this.#totalBatchMs += durationMs;
        if (durationMs > this.#maxBatchMs) this.#maxBatchMs = durationMs;
        this.#version++;
      },
      changed: () => {
        this.#version++;
      },
      now: this.#now,
      activeMs: () => {
        const pausedNow = this.#pausedSinceMs === null ? 0 : this.#now() - this.#pausedSinceMs;
        return this.#now() - this.#runStartMs - this.#pausedMs - pausedNow;
      },
    };
    let failure: Error | null = null;
    try {
      await this.#yield(); // start() returns before any of the body runs
      await this.#body(ctx);
    } catch (error) {
      // A stop aborts waits with our own reason: that is a clean stop, anything else is a failure.
      if (!(signal.aborted && error === signal.reason)) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    }
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    this.#endPause();
    this.#error = failure;
    this.#setState(failure === null ? 'stopped' : 'error');
    this.#wakePaused();
  }

  async #checkpoint(signal: AbortSignal, mayYield: boolean): Promise<void> {
    if (signal.aborted) throw signal.reason;
    if (mayYield && this.#now() - this.#lastYieldMs >= this.#yieldEveryMs) {
      await this.#yield();
      this.#lastYieldMs = this.#now();
    }
    while (this.#state === 'paused') {
      await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
    }
    if (signal.aborted) throw signal.reason;
  }

  #yield(): Promise<void> {
    // Never unref'd, even for a daemon: libuv does not count an unref'd immediate when it decides how
    // long to block for I/O, so a daemon replay would crawl (one batch per unrelated wake-up) whenever
    // nothing else keeps the loop busy. An immediate is not a lasting handle: a daemon worker that is
    // waiting (on the clock or a queue) still holds nothing that keeps the process alive.
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  #endPause(): void {
    if (this.#pausedSinceMs !== null) this.#pausedMs += this.#now() - this.#pausedSinceMs;
    this.#pausedSinceMs = null;
  }

  #wakePaused(): void {
    const waiters = this.#resumeWaiters;
    this.#resumeWaiters = [];
    for (const wake of waiters) wake();
  }

  #setState(state: WorkerState): void {
    this.#state = state;
    this.#version++;
    for (const listener of this.#listeners) listener(state);
  }
}

function errorCode(error: Error): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}
