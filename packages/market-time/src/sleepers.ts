import { waitFor } from '@sys/core';
import { InvalidTimeError } from './errors.js';

interface Sleeper {
  readonly targetMs: number;
  readonly resolve: () => void;
}

/**
 * The pending `sleepUntil` calls of one clock, kept in target order (ties in call order) so they always
 * resolve in time order.
 */
export class SleeperQueue {
  readonly #items: Sleeper[] = [];

  /** Adds a sleeper; `onAbort` runs after an abort removed it (so the clock can re-arm its timer). */
  add(targetMs: number, signal: AbortSignal | undefined, onAbort: () => void): Promise<void> {
    if (typeof targetMs !== 'number' || !Number.isFinite(targetMs)) {
      return Promise.reject(new InvalidTimeError(targetMs, 'sleepUntil needs finite epoch milliseconds'));
    }
    return waitFor<void>((resolve) => {
      const sleeper: Sleeper = { targetMs, resolve };
      // Binary search for the first item with a later target: equal targets stay in call order.
      let lo = 0;
      let hi = this.#items.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.#items[mid] as Sleeper).targetMs <= targetMs) lo = mid + 1;
        else hi = mid;
      }
      this.#items.splice(lo, 0, sleeper);
      // Aborted: leave the queue, then let the clock re-arm for whoever is first now.
      return () => {
        const i = this.#items.indexOf(sleeper);
        if (i !== -1) this.#items.splice(i, 1);
        onAbort();
      };
    }, signal);
  }

  /** The earliest target, or undefined when nobody sleeps. */
  peekMs(): number | undefined {
    return this.#items[0]?.targetMs;
  }

  /** Resolves the earliest sleeper. */
  resolveNext(): void {
    const sleeper = this.#items.shift();
    sleeper?.resolve();
  }

  /** Resolves, in time order, every sleeper whose target is at or before `nowMs`. */
  resolveThrough(nowMs: number): void {
    for (let head = this.peekMs(); head !== undefined && head <= nowMs; head = this.peekMs())
      this.resolveNext();
  }

  /** How many sleepers are pending. */
  get size(): number {
    return this.#items.length;
  }
}
