import type { LifecycleState, Serializable, ToJsonOptions } from '@sys/core';
import type { Speed } from '@sys/market-time';
import type { RunJson, ThreadsJson } from './wire.js';

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

/** An event the run applied: what it was and the market instant it was applied at. */
export interface RunEvent {
  /** `day` (a trading day starts), `open`, `minute` (a minute ended: its bars applied), `close`, `day_end`. */
  readonly kind: 'day' | 'open' | 'minute' | 'close' | 'day_end';
  /** Market time of the event, epoch ms. */
  readonly atMs: number;
}

/**
 * A session being run: a {@link Backtest} replaying stored bars, or a {@link LiveRun} fed as bars arrive.
 * Both apply events to the session state through the same path; SystemManager holds one of them.
 */
export interface Run extends Serializable<RunJson> {
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
  threadsJson(options?: ToJsonOptions): ThreadsJson;
  /**
   * Calls `listener` after each event is applied, synchronously, before the next: a reader that wants
   * every minute (a delta per market minute) reads here. Returns the function that removes it.
   */
  onEvent(listener: (event: RunEvent) => void): () => void;
}
