import { MINUTE_MS } from '@sys/market-time';
import { BarTable } from './bar-table.js';

/** The bucket still forming: its start, figures so far, minutes with a bar, and minutes possible. */
export type FormingBar = readonly [
  startMs: number,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  minutes: number,
  possible: number,
];

/**
 * One derived interval (5m, 15m, 30m, 1h) built from regular-session 1m bars: buckets anchored at the
 * open, left-closed, labelled by their start, cut at the close. The bucket still forming is kept apart and
 * becomes a finished bar only once market time reaches its end.
 */
export class DerivedSeries {
  readonly intervalMinutes: number;
  readonly finished: BarTable;
  #openMs = 0;
  #closeMs = 0;
  /** Bucket index of the forming bar, or -1 when none is forming. */
  #index = -1;
  #open = 0;
  #high = 0;
  #low = 0;
  #close = 0;
  #volume = 0;
  #minutes = 0;

  constructor(intervalMinutes: number) {
    this.intervalMinutes = intervalMinutes;
    // Room for a full regular session (390 minutes) so a normal day never reallocates.
    this.finished = new BarTable(true, Math.ceil(390 / intervalMinutes));
  }

  /** Starts a new day with its regular session [openMs, closeMs). */
  reset(openMs: number, closeMs: number): void {
    this.finished.clear();
    this.#openMs = openMs;
    this.#closeMs = closeMs;
    this.#index = -1;
  }

  /**
   * Folds rows [from, to) of a regular-session 1m table (in time order). One tight loop over the columns
   * with the forming bucket in locals: this runs for every bar of every symbol.
   */
  addRange(table: BarTable, from: number, to: number): void {
    const { times, open, high, low, close, volume } = table;
    const openMs = this.#openMs;
    const spanMs = this.intervalMinutes * MINUTE_MS;
    let index = this.#index;
    let o = this.#open;
    let h = this.#high;
    let l = this.#low;
    let c = this.#close;
    let v = this.#volume;
    let minutes = this.#minutes;
    // Bounds of the forming bucket: most bars fall inside it, so the division runs once per bucket.
    let lo0 = index === -1 ? 1 : openMs + index * spanMs;
    let hi0 = index === -1 ? 0 : lo0 + spanMs;
    for (let i = from; i < to; i++) {
      const t = times[i] as number;
      if (t < lo0 || t >= hi0) {
        if (index !== -1) this.#push(index, o, h, l, c, v, minutes);
        index = Math.floor((t - openMs) / spanMs);
        lo0 = openMs + index * spanMs;
        hi0 = lo0 + spanMs;
        o = open[i] as number;
        h = high[i] as number;
        l = low[i] as number;
        v = 0;
        minutes = 0;
      } else {
        const hi = high[i] as number;
        const lo = low[i] as number;
        if (hi > h) h = hi;
        if (lo < l) l = lo;
      }
      c = close[i] as number;
      v += volume[i] as number;
      minutes++;
    }
    this.#index = index;
    this.#open = o;
    this.#high = h;
    this.#low = l;
    this.#close = c;
    this.#volume = v;
    this.#minutes = minutes;
  }

  /** Finishes the forming bar if market time `nowMs` has reached its end (cut at the close); true if it did. */
  settle(nowMs: number): boolean {
    if (this.#index === -1 || nowMs < this.#endOf(this.#index)) return false;
    this.#finish();
    return true;
  }

  /** The forming bar, or null. */
  forming(): FormingBar | null {
    if (this.#index === -1) return null;
    const i = this.#index;
    return [
      this.#startOf(i),
      this.#open,
      this.#high,
      this.#low,
      this.#close,
      this.#volume,
      this.#minutes,
      this.#possibleOf(i),
    ];
  }

  #startOf(index: number): number {
    return this.#openMs + index * this.intervalMinutes * MINUTE_MS;
  }

  #endOf(index: number): number {
    return Math.min(this.#startOf(index) + this.intervalMinutes * MINUTE_MS, this.#closeMs);
  }

  #possibleOf(index: number): number {
    return Math.round((this.#endOf(index) - this.#startOf(index)) / MINUTE_MS);
  }

  #push(index: number, o: number, h: number, l: number, c: number, v: number, minutes: number): void {
    this.finished.push(this.#startOf(index), o, h, l, c, v, minutes, this.#possibleOf(index));
  }

  #finish(): void {
    this.#push(this.#index, this.#open, this.#high, this.#low, this.#close, this.#volume, this.#minutes);
    this.#index = -1;
  }
}
