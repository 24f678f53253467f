import type { ReplayWindow } from './calendar.js';
import { ClockStateError, InvalidTimeError } from './errors.js';
import { MINUTE_MS } from './ny-time.js';
import { SleeperQueue } from './sleepers.js';
import { parseSpeed, type Speed } from './speed.js';

/** Market time for everything that must not read the wall clock directly: live, backtest or a test's hand. */
export interface Clock {
  /** Market time now, epoch ms. */
  nowMs(): number;
  /** Resolves when market time reaches `marketMs` (at once if it has); rejects with `signal.reason` if aborted. */
  sleepUntil(marketMs: number, signal?: AbortSignal): Promise<void>;
}

/** Starts a one-shot timer and returns the function that cancels it (`setTimeout` by default). */
export type SetTimer = (callback: () => void, delayMs: number) => () => void;

/** Gives the replayed window containing `fromMs`, or else the next one after it; null when there are no more. */
export type ReplayWindows = (fromMs: number) => ReplayWindow | null;

// setTimeout fires at once for delays past 2^31-1 ms; longer waits re-arm when the timer fires.
const MAX_TIMER_MS = 2_147_483_647;

function defaultSetTimer(callback: () => void, delayMs: number): () => void {
  const handle = setTimeout(callback, delayMs);
  return () => clearTimeout(handle);
}

function checkMs(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidTimeError(value, `${what} must be finite epoch milliseconds`);
  }
  return value;
}

/** A clock moved only by hand, for tests: time stands still until `advanceTo` / `advanceBy`. */
export class ManualClock implements Clock {
  #nowMs: number;
  readonly #sleepers = new SleeperQueue();

  constructor(startMs: number) {
    this.#nowMs = checkMs(startMs, 'startMs');
  }

  /** Market time now, epoch ms. */
  nowMs(): number {
    return this.#nowMs;
  }

  /** Resolves once `advanceTo`/`advanceBy` reach `marketMs` (at once if already reached). */
  sleepUntil(marketMs: number, signal?: AbortSignal): Promise<void> {
    const promise = this.#sleepers.add(marketMs, signal, () => {});
    this.#sleepers.resolveThrough(this.#nowMs);
    return promise;
  }

  /** Moves time to `ms` (never backwards) and resolves the sleepers it passes, earliest first. */
  advanceTo(ms: number): void {
    checkMs(ms, 'advanceTo');
    if (ms < this.#nowMs) {
      throw new ClockStateError(
        `cannot move a clock backwards from ${this.#nowMs} to ${ms}; time only advances`,
      );
    }
    this.#nowMs = ms;
    this.#sleepers.resolveThrough(ms);
  }

  /** Moves time forward by `ms` (≥ 0). */
  advanceBy(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new InvalidTimeError(ms, 'advanceBy needs a finite duration ≥ 0 ms');
    }
    this.advanceTo(this.#nowMs + ms);
  }
}

/** Wall-clock market time for live trading: `Date.now()` and real timers (both injectable). */
export class LiveClock implements Clock {
  readonly #now: () => number;
  readonly #setTimer: SetTimer;
  readonly #sleepers = new SleeperQueue();
  #cancelTimer: (() => void) | null = null;

  constructor(options: { now?: () => number; setTimer?: SetTimer } = {}) {
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? defaultSetTimer;
  }

  /** Wall-clock time now, epoch ms. */
  nowMs(): number {
    return this.#now();
  }

  /** Resolves when the wall clock reaches `marketMs`. */
  sleepUntil(marketMs: number, signal?: AbortSignal): Promise<void> {
    const promise = this.#sleepers.add(marketMs, signal, () => this.#schedule());
    this.#schedule();
    return promise;
  }

  #schedule(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    const now = this.#now();
    this.#sleepers.resolveThrough(now);
    const head = this.#sleepers.peekMs();
    if (head === undefined) return;
    // Timers can fire early or late; the callback re-checks the time instead of trusting the delay.
    this.#cancelTimer = this.#setTimer(
      () => {
        this.#cancelTimer = null;
        this.#schedule();
      },
      Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(head - now))),
    );
  }
}

/** Options of a {@link BacktestClock}. */
export interface BacktestClockOptions {
  /** Market time at the start, epoch ms. */
  startMs: number;
  /** Market ms per wall ms, or `'max'`; validated by {@link parseSpeed}. */
  speed: Speed;
  /**
   * The windows being replayed (e.g. `calendar.replayWindows('regular')`). Market time advances only inside
   * them; time between them is skipped instantly. Without it, time is one continuous window.
   */
  windows?: ReplayWindows;
  /** Monotonic wall clock in ms; default `performance.now`. */
  now?: () => number;
  /** Timer used to wake sleepers; default `setTimeout`. */
  setTimer?: SetTimer;
  /** Start paused (advance with `step` or `resume`). */
  paused?: boolean;
}

/**
 * Simulated market time for a backtest. Inside the replayed windows it advances at `speed` × wall time;
 * nights, weekends, holidays and unreplayed pre-/post-market cost no wall time at all. At `'max'` it never
 * waits: `sleepUntil(t)` moves market time to `t` and resolves at once. Pause, resume, step and speed
 * changes take effect immediately and re-arm the pending sleepers.
 *
 * Time that reaches the end of a window rests there (a bar ending at 16:00 is seen at 16:00) and jumps to
 * the next window only when it has to move on; a sleeper whose target lies in skipped time is woken as
 * time passes through, with the clock set to that target.
 */
export class BacktestClock implements Clock {
  readonly #windows: ReplayWindows | undefined;
  readonly #now: () => number;
  readonly #setTimer: SetTimer;
  readonly #sleepers = new SleeperQueue();
  #speed: Speed;
  #paused: boolean;
  /** Market time at the last anchor; exact (fractional) so repeated speed changes do not drift. */
  #anchorMarketMs: number;
  /** Wall time at the last anchor. */
  #anchorWallMs: number;
  #cancelTimer: (() => void) | null = null;
  // The last windows() answer and the query it came from: it answers every instant in [from, window end).
  #cachedFromMs = Number.NaN;
  #cachedWindow: ReplayWindow | null = null;

  constructor(options: BacktestClockOptions) {
    this.#speed = parseSpeed(options.speed);
    this.#anchorMarketMs = checkMs(options.startMs, 'startMs');
    this.#windows = options.windows;
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? defaultSetTimer;
    this.#paused = options.paused === true;
    this.#anchorWallMs = this.#now();
  }

  /** The current speed. */
  get speed(): Speed {
    return this.#speed;
  }

  /** Whether market time is frozen (until `resume`, or moved by `step`). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Market time now, epoch ms (whole milliseconds). */
  nowMs(): number {
    return Math.floor(this.#currentMs());
  }

  /** Resolves when market time reaches `marketMs`; at `'max'` moves time there and resolves at once. */
  sleepUntil(marketMs: number, signal?: AbortSignal): Promise<void> {
    const promise = this.#sleepers.add(marketMs, signal, () => this.#schedule());
    this.#schedule();
    return promise;
  }

  /** Changes the speed from now on; an invalid speed throws {@link InvalidSpeedError} and changes nothing. */
  setSpeed(speed: Speed): void {
    const next = parseSpeed(speed);
    this.#reanchor();
    this.#speed = next;
    this.#schedule();
  }

  /** Freezes market time; sleepers stay pending. */
  pause(): void {
    if (this.#paused) return;
    this.#reanchor();
    this.#paused = true;
    this.#schedule();
  }

  /** Lets market time run again from where it was paused. */
  resume(): void {
    if (!this.#paused) return;
    this.#anchorWallMs = this.#now();
    this.#paused = false;
    this.#schedule();
  }

  /** While paused: advances market time by `minutes` (default 1) of replayed time and wakes due sleepers. */
  step(minutes = 1): void {
    if (!this.#paused)
      throw new ClockStateError('step() works only while the clock is paused; call pause() first');
    if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0) {
      throw new InvalidTimeError(minutes, 'step needs a positive number of minutes');
    }
    this.#anchorMarketMs = this.#advance(this.#anchorMarketMs, minutes * MINUTE_MS);
    this.#sleepers.resolveThrough(this.#anchorMarketMs);
  }

  #currentMs(): number {
    if (this.#paused || this.#speed === 'max') return this.#anchorMarketMs;
    const wallMs = Math.max(0, this.#now() - this.#anchorWallMs);
    return this.#advance(this.#anchorMarketMs, wallMs * this.#speed);
  }

  #reanchor(): void {
    this.#anchorMarketMs = this.#currentMs();
    this.#anchorWallMs = this.#now();
  }

  /** Resolves due sleepers and arms one timer for the earliest of the rest. */
  #schedule(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    if (this.#paused) {
      this.#sleepers.resolveThrough(this.#anchorMarketMs); // a time already reached needs no running clock
      return;
    }
    for (let head = this.#sleepers.peekMs(); head !== undefined; head = this.#sleepers.peekMs()) {
      if (this.#speed === 'max') {
        if (head > this.#anchorMarketMs) this.#anchorMarketMs = head;
        this.#sleepers.resolveNext();
        continue;
      }
      const nowMs = this.#currentMs();
      if (head <= nowMs) {
        this.#sleepers.resolveNext();
        continue;
      }
      const replayedMs = this.#replayedBetween(nowMs, head);
      if (replayedMs <= 0) {
        // The target lies in skipped time that the clock is at the edge of: pass through it now.
        this.#anchorMarketMs = head;
        this.#anchorWallMs = this.#now();
        this.#sleepers.resolveNext();
        continue;
      }
      const delayMs = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(replayedMs / this.#speed)));
      this.#cancelTimer = this.#setTimer(() => {
        this.#cancelTimer = null;
        this.#schedule();
      }, delayMs);
      return;
    }
  }

  #windowAt(t: number): ReplayWindow | null {
    if (t >= this.#cachedFromMs && (this.#cachedWindow === null || t < this.#cachedWindow.endMs)) {
      return this.#cachedWindow;
    }
    const windows = this.#windows;
    const w = windows === undefined ? null : windows(t);
    if (w !== null && !(w.endMs > t && w.startMs < w.endMs)) {
      throw new ClockStateError(
        `windows(${t}) returned [${w.startMs}, ${w.endMs}); it must return the window containing or after ${t}`,
      );
    }
    this.#cachedFromMs = t;
    this.#cachedWindow = w;
    return w;
  }

  /** Where market time is after `budgetMs` of replayed time from `fromMs`; gaps cost nothing. */
  #advance(fromMs: number, budgetMs: number): number {
    if (this.#windows === undefined) return fromMs + budgetMs;
    let t = fromMs;
    let remaining = budgetMs;
    while (remaining > 0) {
      const w = this.#windowAt(t);
      if (w === null) return t; // nothing left to replay: time rests after the last window
      if (t < w.startMs) t = w.startMs;
      const room = w.endMs - t;
      if (remaining <= room) return t + remaining;
      remaining -= room;
      t = w.endMs;
    }
    return t;
  }

  /** Replayed (in-window) milliseconds between two instants: the market time that costs wall time. */
  #replayedBetween(fromMs: number, toMs: number): number {
    if (this.#windows === undefined) return toMs - fromMs;
    let total = 0;
    let t = fromMs;
    while (t < toMs) {
      const w = this.#windowAt(t);
      if (w === null || w.startMs >= toMs) break;
      total += Math.min(toMs, w.endMs) - Math.max(t, w.startMs);
      t = w.endMs;
    }
    return total;
  }
}
