import { MINUTE_MS } from '@sys/market-time';
import type { BarTable } from './bar-table.js';

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

/** One derived bar read back from the 1m rows it covers (what `FormingBar` is for the forming one). */
export type DerivedBar = FormingBar;

const EMPTY16 = new Uint16Array(0);

/**
 * One derived interval (5m, 15m, 30m, 1h) built from regular-session 1m bars: buckets anchored at the
 * open, left-closed, labelled by their start, cut at the close. The bucket still forming is kept apart and
 * becomes a finished bar only once market time reaches its end.
 *
 * A bucket's 1m bars are consecutive rows of the 1m table (rows are in time order and every one falls in
 * exactly one bucket), so a derived bar is kept as the range of rows it covers — two Uint16 per bar — and
 * its figures are read from those rows when shown: open of the first, close of the last, the extremes, and
 * the volumes summed in row order (the same additions a running fold makes, so the same doubles). Folding a
 * 1m bar is then one comparison with the forming bucket's end.
 */
export class DerivedSeries {
  readonly intervalMinutes: number;
  readonly #spanMs: number;
  #table: BarTable | null = null;
  #openMs = 0;
  #closeMs = 0;
  /** Row ranges of the finished bars: [from0, to0, from1, to1, …]. */
  #rows: Uint16Array = EMPTY16;
  #length = 0;
  /** First row of the forming bucket, or -1 when none is forming (it runs to the rows folded so far). */
  #formingFrom = -1;
  /** End of the forming bucket's full span (a later 1m bar starts the next); -Infinity when none forms. */
  formingEndMs = Number.NEGATIVE_INFINITY;
  /** Market time at which the forming bucket is finished; +Infinity when none is forming. */
  settleAtMs = Number.POSITIVE_INFINITY;

  constructor(intervalMinutes: number) {
    this.intervalMinutes = intervalMinutes;
    this.#spanMs = intervalMinutes * MINUTE_MS;
  }

  /** Finished bars held. */
  get length(): number {
    return this.#length;
  }

  /** Bytes held by the row ranges (capacity, not length). */
  get sizeBytes(): number {
    return this.#rows.byteLength;
  }

  /** Starts a new day over `table` (the day's regular 1m rows) with its regular session [openMs, closeMs). */
  reset(table: BarTable, openMs: number, closeMs: number): void {
    this.#table = table;
    this.#openMs = openMs;
    this.#closeMs = closeMs;
    this.#length = 0;
    this.#formingFrom = -1;
    this.formingEndMs = Number.NEGATIVE_INFINITY;
    this.settleAtMs = Number.POSITIVE_INFINITY;
    // Room for the whole session's buckets so a day never grows: 78 5m bars on a full day.
    const need = 2 * Math.max(1, Math.ceil((closeMs - openMs) / this.#spanMs));
    if (this.#rows.length < need) this.#rows = new Uint16Array(need);
  }

  /** Folds the table's rows [from, to), the next in time order after those folded before. */
  fold(from: number, to: number): void {
    const table = this.#table as BarTable;
    let end = this.formingEndMs;
    for (let i = from; i < to; i++) {
      const t = table.timeAt(i);
      if (t < end) continue;
      // A bar past the forming bucket: that bucket is complete, and this bar starts the next.
      if (this.#formingFrom !== -1) this.#push(this.#formingFrom, i);
      const start = this.#openMs + Math.floor((t - this.#openMs) / this.#spanMs) * this.#spanMs;
      end = start + this.#spanMs;
      this.#formingFrom = i;
      this.settleAtMs = Math.min(end, this.#closeMs);
    }
    this.formingEndMs = end;
  }

  /**
   * Finishes the forming bar, over the rows up to `folded`, if market time `nowMs` has reached its end (cut at
   * the close); true if it did.
   */
  settle(nowMs: number, folded: number): boolean {
    if (nowMs < this.settleAtMs) return false;
    this.#push(this.#formingFrom, folded);
    this.#formingFrom = -1;
    this.formingEndMs = Number.NEGATIVE_INFINITY;
    this.settleAtMs = Number.POSITIVE_INFINITY;
    return true;
  }

  /** Finished bar `k` (0 ≤ k < length). */
  bar(k: number): DerivedBar {
    const rows = this.#rows;
    return this.#read(rows[2 * k] as number, rows[2 * k + 1] as number);
  }

  /** The forming bar over the rows up to `folded`, or null. */
  forming(folded: number): FormingBar | null {
    return this.#formingFrom === -1 ? null : this.#read(this.#formingFrom, folded);
  }

  /** The bar over rows [from, to) of one bucket. */
  #read(from: number, to: number): DerivedBar {
    const table = this.#table as BarTable;
    const { open, high, low, close, volume } = table;
    const startMs =
      this.#openMs + Math.floor((table.timeAt(from) - this.#openMs) / this.#spanMs) * this.#spanMs;
    let h = high[from] as number;
    let l = low[from] as number;
    let v = 0;
    for (let i = from; i < to; i++) {
      const hi = high[i] as number;
      const lo = low[i] as number;
      if (hi > h) h = hi;
      if (lo < l) l = lo;
      v += volume[i] as number;
    }
    const endMs = Math.min(startMs + this.#spanMs, this.#closeMs);
    return [
      startMs,
      open[from] as number,
      h,
      l,
      close[to - 1] as number,
      v,
      to - from,
      Math.round((endMs - startMs) / MINUTE_MS),
    ];
  }

  #push(from: number, to: number): void {
    if (2 * this.#length + 2 > this.#rows.length) {
      const grown = new Uint16Array(Math.max(16, this.#rows.length * 2));
      grown.set(this.#rows);
      this.#rows = grown;
    }
    this.#rows[2 * this.#length] = from;
    this.#rows[2 * this.#length + 1] = to;
    this.#length++;
  }
}
