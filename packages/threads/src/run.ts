import {
  type Json,
  type LifecycleState,
  type LifecycleTrigger,
  type Serializable,
  type ToJsonOptions,
  transition,
} from '@sys/core';
import type { Speed } from '@sys/market-time';
import { RunStoppedError } from './errors.js';

/**
 * Where a run is in its life, by the kernel's one lifecycle table: `created → running ⇄ paused →
 * stopping → stopped`, or `error` (a run's start is synchronous, so `starting` passes at once).
 */
export type RunState = LifecycleState;

/** Progress of a run, for progress lines and status. */
export interface RunProgress {
  /** The run's state. */
  readonly state: RunState;
  /** Market time of the run, epoch ms; null before it started. */
  readonly marketTimeMs: number | null;
  /** Bars applied to the session so far. */
  readonly barsApplied: number;
  /** True once a backtest replayed its whole window (always false live). */
  readonly ended: boolean;
}

/**
 * A session being run: a {@link Backtest} replaying stored bars, or a {@link LiveRun} fed as bars arrive.
 * Both apply events to the session state through the same path; SystemManager holds one of them.
 */
export interface Run extends Serializable {
  /** `backtest` or `live`. */
  readonly mode: 'backtest' | 'live';
  /** Where the run is in its life. */
  readonly state: RunState;
  /** Why the run failed, or null. */
  readonly error: Error | null;
  /** True once the whole window was replayed. */
  readonly ended: boolean;
  /** The replay speed; null for a run paced by the wall clock. */
  readonly speed: Speed | null;
  /** Market time now, epoch ms; null before the run started. Never moves once the run is over. */
  marketNowMs(): number | null;
  /** Starts the run (or continues a stopped backtest where it was). */
  start(): void;
  /** Holds the run before its next event; nothing is applied until `resume` or `step`. */
  pause(): void;
  /** Goes on from a pause. */
  resume(): void;
  /** While paused: applies `minutes` more of market time; resolves once they are applied. */
  step(minutes?: number): Promise<void>;
  /** Changes the replay speed at once. */
  setSpeed(speed: Speed): void;
  /** Stops the run; resolves once it has. */
  stop(): Promise<void>;
  /** Resolves when the run is over (window done, stopped or failed); never rejects. */
  join(): Promise<void>;
  /** Progress now. */
  progress(): RunProgress;
  /** The system's `threads` part: the three roles as projections of the run's counters. */
  threadsJson(options?: ToJsonOptions): Json;
}

/**
 * The lifecycle plumbing both kinds of run share: state by the table above, the stop signal, the promise
 * `join` gives, and a handle that keeps the process alive while a non-daemon run is alive.
 */
export class RunLifecycle {
  readonly #name: string;
  readonly #daemon: boolean;
  readonly #onChange: (state: RunState) => void;
  #state: RunState = 'created';
  #error: Error | null = null;
  #controller: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();
  #keepAlive: ReturnType<typeof setInterval> | null = null;

  constructor(name: string, options: { daemon?: boolean; onChange: (state: RunState) => void }) {
    this.#name = name;
    this.#daemon = options.daemon === true;
    this.#onChange = options.onChange;
  }

  /** The state now. */
  get state(): RunState {
    return this.#state;
  }

  /** Why the last run failed, or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** Whether it lets the process exit while alive. */
  get daemon(): boolean {
    return this.#daemon;
  }

  /** Moves by the kernel's table (a refused trigger throws LifecycleError naming state and trigger). */
  move(trigger: LifecycleTrigger): RunState {
    const next = transition(this.#state, trigger, `the ${this.#name}`);
    if (next !== this.#state) {
      this.#state = next;
      this.#onChange(next);
    }
    return next;
  }

  /** Starts `body` with a fresh stop signal; its end (or failure) ends the run. */
  launch(body: (signal: AbortSignal) => Promise<void>): void {
    this.move('start');
    this.move('started');
    this.#error = null;
    const controller = new AbortController();
    this.#controller = controller;
    if (!this.#daemon) this.#keepAlive = setInterval(() => {}, 2 ** 30);
    this.#done = this.#execute(body, controller.signal);
  }

  /** Aborts the body's waits and resolves when it has ended; a run never started just stops. */
  stop(): Promise<void> {
    const before = this.#state;
    this.move('stop');
    if (before === 'running' || before === 'paused') this.#controller?.abort(new RunStoppedError(this.#name));
    return this.#done;
  }

  /** Resolves when the current body has ended; never rejects. */
  join(): Promise<void> {
    return this.#done;
  }

  async #execute(body: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
    let failure: Error | null = null;
    try {
      await null; // launch() returns before any of the body runs
      await body(signal);
    } catch (error) {
      // A stop aborts waits with our own reason: that is a clean stop, anything else is a failure.
      if (!(signal.aborted && error === signal.reason)) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    }
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    this.#error = failure;
    this.move(failure === null ? 'stopped' : 'fail');
  }
}
