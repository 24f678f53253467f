import { waitFor } from '@sys/core';
import { MINUTE_MS, parseSpeed, type SetTimer, type Speed } from '@sys/market-time';
import { RunStateError } from './errors.js';

/** Options of a {@link Pacer}. */
export interface PacerOptions {
  /** Market ms per wall ms, or `'max'` (default). */
  speed?: Speed;
  /** Monotonic wall clock, ms; default `performance.now`. */
  now?: () => number;
  /**
   * At `max`, yield to the event loop once this many wall ms of work passed since the last yield (default
   * 4): timers and sockets are served while a long replay runs, at a cost of a few percent.
   */
  yieldEveryMs?: number;
  /** A timer that does not keep the process alive (for daemon runs). */
  unref?: boolean;
  /** Starts a one-shot timer and returns its cancel function; default `setTimeout` (tests move a fake wall). */
  setTimer?: SetTimer;
}

/**
 * The one pacing gate of a replay: speed, pause and step. The loop asks it before each event how much
 * replayed market time the event moves (a minute tick costs a minute; calendar boundaries cost nothing, so
 * nights, weekends and holidays are skipped, never waited for). At a speed the gate sleeps until that much
 * wall time has passed; at `max` it only yields to the event loop now and then; paused, it lets through only
 * what a `step` granted and what is due at the current instant.
 */
export class Pacer {
  readonly #now: () => number;
  readonly #yieldEveryMs: number;
  readonly #setTimer: SetTimer;
  #speed: Speed;
  #paused = false;
  /** Replayed market ms a step still grants while paused. */
  #budgetMs = 0;
  /** Wall time at which the market time replayed so far is due (at a speed). */
  #dueWallMs: number;
  #lastYieldMs: number;
  #wake: (() => void) | null = null;
  #stepWaiters: (() => void)[] = [];
  #version = 0;

  constructor(options: PacerOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#speed = parseSpeed(options.speed ?? 'max');
    this.#yieldEveryMs = options.yieldEveryMs ?? 4;
    const unref = options.unref === true;
    this.#setTimer =
      options.setTimer ??
      ((callback, delayMs) => {
        const handle = setTimeout(callback, delayMs);
        if (unref) handle.unref();
        return () => clearTimeout(handle);
      });
    this.#dueWallMs = this.#now();
    this.#lastYieldMs = this.#dueWallMs;
  }

  /** The replay speed. */
  get speed(): Speed {
    return this.#speed;
  }

  /** Grows with every change of speed or pause. */
  get version(): number {
    return this.#version;
  }

  /** Changes the speed from the next event on; an invalid speed throws and changes nothing. */
  setSpeed(speed: Speed): void {
    this.#speed = parseSpeed(speed);
    this.#dueWallMs = this.#now();
    this.#version++;
    this.#poke();
  }

  /** Holds the loop before its next event. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#version++;
    this.#poke();
  }

  /** Lets the loop go on; pacing restarts from now (a pause is not caught up). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#budgetMs = 0;
    this.#dueWallMs = this.#now();
    this.#version++;
    this.#poke();
    this.#settleSteps();
  }

  /**
   * While paused: lets `minutes` of replayed market time through, with every event on the way. Resolves
   * once the loop has applied them and waits again (or the run ended or stopped).
   */
  step(minutes: number): Promise<void> {
    if (!this.#paused) throw new RunStateError('step', 'running', 'pause it first');
    if (!Number.isInteger(minutes) || minutes < 1) {
      throw new RunStateError('step', 'paused', `minutes must be a whole number >= 1, got ${minutes}`);
    }
    this.#budgetMs += minutes * MINUTE_MS;
    const done = new Promise<void>((resolve) => this.#stepWaiters.push(resolve));
    this.#poke();
    return done;
  }

  /**
   * Waits until the loop may apply an event that moves `costMs` of replayed market time. `now` says the
   * event is due at the market instant already reached (a close right after the last minute): it passes
   * even while paused. Rejects with `signal.reason` when aborted.
   */
  async gate(costMs: number, now: boolean, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (this.#paused) {
        if (this.#budgetMs >= costMs && (this.#budgetMs > 0 || now)) {
          this.#budgetMs -= costMs;
          return;
        }
        // The step is used up: whoever asked for it sees its minutes applied.
        this.#settleSteps();
        await this.#sleep(null, signal);
        continue;
      }
      const speed = this.#speed;
      if (speed === 'max') {
        const t = this.#now();
        if (t - this.#lastYieldMs >= this.#yieldEveryMs) {
          await yieldToLoop();
          this.#lastYieldMs = this.#now();
          continue; // a pause or stop may have come during the yield
        }
        return;
      }
      const due = this.#dueWallMs + costMs / speed;
      const t = this.#now();
      if (due <= t) {
        // Behind (slow work, or a tick of no cost): never burst to catch up more than this event.
        this.#dueWallMs = Math.max(due, t - 1000);
        return;
      }
      await this.#sleep(due - t, signal);
      if (!this.#paused && this.#speed === speed && this.#now() >= due) {
        this.#dueWallMs = due;
        this.#lastYieldMs = this.#now();
        return;
      }
    }
  }

  /** The loop finished or stopped: nothing more will be applied, so no step waits any longer. */
  finish(): void {
    this.#settleSteps();
  }

  #settleSteps(): void {
    if (this.#stepWaiters.length === 0) return;
    const waiters = this.#stepWaiters;
    this.#stepWaiters = [];
    for (const w of waiters) w();
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Sleeps `ms` (null: until poked), waking early on any change of speed or pause, or on abort. */
  #sleep(ms: number | null, signal: AbortSignal): Promise<void> {
    return waitFor<void>((resolve) => {
      const cancel = ms === null ? undefined : this.#setTimer(wake, Math.ceil(ms));
      function wake(): void {
        cancel?.();
        resolve();
      }
      this.#wake = wake;
      return () => {
        cancel?.();
        if (this.#wake === wake) this.#wake = null;
      };
    }, signal);
  }
}

/** One turn of the event loop (not unref'd: see the note in the replay loop). */
export function yieldToLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
