/**
 * The two windows every rolling indicator is made of: a running sum over the last `n` values (a ring) and
 * the rolling maximum or minimum (a monotonic deque). Both are O(1) per value (the deque amortised).
 */

/** The sum and mean of the last `n` values pushed. The sum is exact up to rounding of one add and one subtract per value. */
export class RingSum {
  readonly n: number;
  readonly #ring: Float64Array;
  #at = 0;
  #filled = 0;
  /** Σ of the values in the window. */
  sum = 0;

  constructor(n: number) {
    this.n = n;
    this.#ring = new Float64Array(n);
  }

  /** True once `n` values are in the window. */
  get full(): boolean {
    return this.#filled === this.n;
  }

  /** The mean of the window (of the values so far before it is full). */
  get mean(): number {
    return this.sum / this.#filled;
  }

  /** Adds `x`, dropping the oldest once the window is full. */
  push(x: number): void {
    const ring = this.#ring;
    if (this.#filled === this.n) this.sum -= ring[this.#at] as number;
    else this.#filled++;
    ring[this.#at] = x;
    this.sum += x;
    if (++this.#at === this.n) this.#at = 0;
  }

  /** Empties the window. */
  clear(): void {
    this.#at = 0;
    this.#filled = 0;
    this.sum = 0;
  }
}

/** The largest (or smallest) of the last `n` values: a deque of candidates, newest at the back. */
export class RollingExtreme {
  readonly n: number;
  readonly #max: boolean;
  readonly #values: Float64Array;
  readonly #index: Float64Array;
  #head = 0;
  #size = 0;
  #count = 0;

  constructor(n: number, max: boolean) {
    this.n = n;
    this.#max = max;
    this.#values = new Float64Array(n);
    this.#index = new Float64Array(n);
  }

  /** Adds `x` as the newest value; returns the extreme of the window ending with it. */
  push(x: number): number {
    const cap = this.n;
    const values = this.#values;
    const index = this.#index;
    const i = this.#count++;
    // Drop the front once it left the window, then every back candidate that `x` beats.
    if (this.#size > 0 && (index[this.#head] as number) <= i - cap) {
      if (++this.#head === cap) this.#head = 0;
      this.#size--;
    }
    while (this.#size > 0) {
      let back = this.#head + this.#size - 1;
      if (back >= cap) back -= cap;
      const v = values[back] as number;
      if (this.#max ? v > x : v < x) break;
      this.#size--;
    }
    let at = this.#head + this.#size;
    if (at >= cap) at -= cap;
    values[at] = x;
    index[at] = i;
    this.#size++;
    return values[this.#head] as number;
  }

  /** Empties the window. */
  clear(): void {
    this.#head = 0;
    this.#size = 0;
    this.#count = 0;
  }
}
