import {
  isAlive,
  type Json,
  JsonMemo,
  type LifecycleTrigger,
  type Serializable,
  type ToJsonOptions,
  transition,
} from '@sys/core';
import type { Speed } from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { SessionApplier, type SessionTarget, type TimingStats } from './apply.js';
import { RunStoppedError } from './errors.js';
import type { ReadAheadStats } from './read-ahead.js';
import type { RunEvent, RunProgress, RunState } from './run.js';
import type {
  DataUpkeepFields,
  RunJson,
  SessionCoordinatorFields,
  StreamCoordinatorFields,
  ThreadsJson,
  WorkerJson,
} from './wire.js';

/** The names of the three roles, as the plan's workers were called. */
export const ROLE_NAMES = ['session_coordinator', 'data_upkeep', 'stream_coordinator'] as const;

/** One of {@link ROLE_NAMES}. */
export type RoleName = (typeof ROLE_NAMES)[number];

/** A JSON object under construction. */
export type JsonFields = Record<string, Json>;

/** One role as the JSON shows it: its own fields, and with debug its timing and queues. */
export interface RoleSpec<F> {
  readonly fields: F;
  readonly timing: TimingStats;
  readonly queues?: { readonly read_ahead?: ReadAheadStats };
}

/** The three roles' parts, typed by the wire format. */
export type RoleSpecs = {
  readonly session_coordinator: RoleSpec<SessionCoordinatorFields>;
  readonly data_upkeep: RoleSpec<DataUpkeepFields>;
  readonly stream_coordinator: RoleSpec<StreamCoordinatorFields>;
};

/**
 * What Backtest and LiveRun share: the lifecycle (by the kernel's one transition table), the stop signal,
 * `join`, the event listeners, and the JSON — the run's summary and the three roles as views of its
 * counters, each the same frozen object while the run's version has not moved. A failure is reported by
 * the role whose work failed (`failedRole` when it was thrown).
 */
export abstract class RunBase implements Serializable<RunJson> {
  /** `backtest` or `live`. */
  abstract readonly mode: 'backtest' | 'live';
  /** The replay speed, or null for a run paced by the wall clock. */
  abstract readonly speed: Speed | null;
  /** The state being filled. */
  readonly sessionData: SessionData;
  /** The counters and the one apply path. */
  readonly applier: SessionApplier;
  /** Monotonic wall clock for timing, ms. */
  protected readonly now: () => number;
  /** The role whose work is under way, so a failure is shown there. */
  protected failedRole: RoleName | null = null;
  readonly #name: string;
  readonly #daemon: boolean;
  readonly #listeners = new Set<(event: RunEvent) => void>();
  readonly #threads = new JsonMemo<ThreadsJson>();
  readonly #json = new JsonMemo<RunJson>();
  #state: RunState = 'created';
  #error: Error | null = null;
  #errorRole: RoleName | null = null;
  #stateVersion = 0;
  #controller: AbortController | null = null;
  #done: Promise<void> = Promise.resolve();
  #keepAlive: ReturnType<typeof setInterval> | null = null;

  constructor(name: string, options: { sessionData: SessionData; daemon?: boolean; now?: () => number }) {
    this.#name = name;
    this.#daemon = options.daemon === true;
    this.sessionData = options.sessionData;
    this.now = options.now ?? (() => performance.now());
    this.applier = new SessionApplier(options.sessionData as SessionTarget, { now: this.now });
  }

  /** Where the run is in its life. */
  get state(): RunState {
    return this.#state;
  }

  /** Why the run failed (`role: message`, the cause kept), or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** True once the whole window was replayed (never, live). */
  get ended(): boolean {
    return this.applier.phase === 'ended';
  }

  /** Grows whenever anything its JSON shows changed. */
  get version(): number {
    return this.applier.version + this.#stateVersion + this.extraVersion();
  }

  /** Market time now, epoch ms; null before the first event. Moved only by the run's events. */
  abstract marketNowMs(): number | null;

  /** Stops the run before its next event; resolves once it has. A run never started just stops. */
  stop(): Promise<void> {
    const before = this.#state;
    this.move('stop');
    if (before === 'running' || before === 'paused') this.#controller?.abort(new RunStoppedError(this.#name));
    return this.#done;
  }

  /** Resolves when the run is over (window done, stopped or failed); never rejects. */
  join(): Promise<void> {
    return this.#done;
  }

  /** Calls `listener` after each event is applied, synchronously (see {@link Run.onEvent}). */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Progress now. */
  progress(): RunProgress {
    return {
      state: this.#state,
      marketTimeMs: this.marketNowMs(),
      barsApplied: this.applier.barsIngested,
      ended: this.ended,
    };
  }

  /** `{ state, error, speed, …summary, threads }`; the same frozen object while unchanged. */
  toJson(options?: ToJsonOptions): RunJson {
    return this.#json.get(options, this.version, () => ({
      state: this.#state,
      error: this.#error?.message ?? null,
      speed: this.speed,
      ...this.summary(),
      threads: this.threadsJson(options),
    }));
  }

  /** `{ session_coordinator, data_upkeep, stream_coordinator }`, the system's `threads` part. */
  threadsJson(options?: ToJsonOptions): ThreadsJson {
    return this.#threads.get(options, this.version, (debug) => {
      const roles = this.roles();
      return {
        session_coordinator: this.#roleJson('session_coordinator', roles.session_coordinator, debug),
        data_upkeep: this.#roleJson('data_upkeep', roles.data_upkeep, debug),
        stream_coordinator: this.#roleJson('stream_coordinator', roles.stream_coordinator, debug),
      };
    });
  }

  /** Version parts of the subclass (speed, read-ahead, …), added to the applier's and the lifecycle's. */
  protected extraVersion(): number {
    return 0;
  }

  /** The top-level fields of `toJson` besides state, error, speed and threads. */
  protected abstract summary(): Pick<RunJson, 'backtest_window' | 'symbols'>;

  /** The three roles' own fields, timing and queues now. */
  protected abstract roles(): RoleSpecs;

  /** Moves the lifecycle by the kernel's table (a refused trigger throws LifecycleError). */
  protected move(trigger: LifecycleTrigger): RunState {
    const next = transition(this.#state, trigger, `the ${this.#name}`);
    if (next !== this.#state) {
      this.#state = next;
      this.#stateVersion++;
    }
    return next;
  }

  /** Starts `body` with a fresh stop signal; its end (or failure) ends the run. */
  protected launch(body: (signal: AbortSignal) => Promise<void>): void {
    this.move('start');
    this.move('started');
    this.#error = null;
    this.#errorRole = null;
    this.failedRole = null;
    const controller = new AbortController();
    this.#controller = controller;
    if (!this.#daemon) this.#keepAlive = setInterval(() => {}, 2 ** 30);
    this.#done = this.#execute(body, controller.signal);
  }

  /** Tells the listeners an event was applied. */
  protected emit(event: RunEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async #execute(body: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
    let failure: Error | null = null;
    try {
      await null; // launch() returns before any of the body runs
      await body(signal);
    } catch (error) {
      // A stop aborts waits with our own reason: that is a clean stop, anything else is a failure.
      if (!(signal.aborted && error === signal.reason)) {
        const cause = error instanceof Error ? error : new Error(String(error));
        const role = this.failedRole ?? 'session_coordinator';
        this.#errorRole = role;
        failure = new Error(`${role}: ${cause.message}`, { cause });
      }
    }
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    this.#error = failure;
    this.move(failure === null ? 'stopped' : 'fail');
  }

  #roleJson<F>(name: RoleName, role: RoleSpec<F>, debug: boolean): WorkerJson<F> {
    const cause = name === this.#errorRole ? (this.#error?.cause as Error | undefined) : undefined;
    const code = (cause as { code?: unknown } | undefined)?.code;
    const out: JsonFields = {
      thread_info: { name, is_alive: isAlive(this.#state), daemon: this.#daemon },
      state: this.#state,
      error:
        cause === undefined
          ? null
          : { name: cause.name, code: typeof code === 'string' ? code : null, message: cause.message },
      ...(role.fields as JsonFields),
    };
    if (debug) {
      out.performance = { ...role.timing };
      const ra = role.queues?.read_ahead;
      out.queues = ra === undefined ? {} : { read_ahead: { ...ra } };
    }
    return out as WorkerJson<F>;
  }
}
