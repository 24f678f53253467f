import { MINUTE_MS } from '@sys/market-time';

/**
 * Columnar one-minute or derived bars: six Float64 columns in one ArrayBuffer with amortised doubling —
 * 48 bytes per bar at full capacity, one allocation per table, no object per bar. Derived tables also keep
 * the minutes each bar covered and could have covered (two Uint16 columns, 4 more bytes). A table of one
 * session's minutes (`minuteOfMs`) keeps each start as its minute after an origin in a Uint16 column
 * instead (42 bytes a bar); `timeAt` gives every start back exactly.
 */
export class BarTable {
  #capacity = 0;
  /** Number of bars held. */
  length = 0;
  times: Float64Array = EMPTY64;
  open: Float64Array = EMPTY64;
  high: Float64Array = EMPTY64;
  low: Float64Array = EMPTY64;
  close: Float64Array = EMPTY64;
  volume: Float64Array = EMPTY64;
  /** Minutes with a 1m bar inside each derived bar (empty for 1m tables). */
  minutes: Uint16Array = EMPTY16;
  /** Minutes each derived bar could cover (its interval, cut at the close). */
  possible: Uint16Array = EMPTY16;
  /** Minute of each start after `originMs` (minute tables only; `times` is then unused). */
  minuteOffsets: Uint16Array = EMPTY16;
  /** Start of minute 0 of a minute table. */
  originMs = 0;
  readonly #derived: boolean;
  readonly #compact: boolean;

  /**
   * `initialCapacity` 0 allocates nothing until the first bar. `minuteOfMs` makes a minute table: starts
   * are whole minutes in [originMs, originMs + 65,535 min), as one session's are.
   */
  constructor(derived = false, initialCapacity = 0, minuteOfMs = false) {
    this.#derived = derived;
    this.#compact = minuteOfMs && !derived;
    if (initialCapacity > 0) this.#allocate(initialCapacity);
  }

  /** Start of bar `i` (epoch ms). */
  timeAt(i: number): number {
    return this.#compact
      ? this.originMs + (this.minuteOffsets[i] as number) * MINUTE_MS
      : (this.times[i] as number);
  }

  /** Sets the start of bar `i` (epoch ms; on a minute table a whole minute after the origin). */
  setTime(i: number, t: number): void {
    if (this.#compact) this.minuteOffsets[i] = (t - this.originMs) / MINUTE_MS;
    else this.times[i] = t;
  }

  /** Appends one bar. */
  push(t: number, o: number, h: number, l: number, c: number, v: number, minutes = 0, possible = 0): void {
    if (this.length === this.#capacity) this.#allocate(Math.max(16, this.#capacity * 2));
    const i = this.length++;
    this.setTime(i, t);
    this.open[i] = o;
    this.high[i] = h;
    this.low[i] = l;
    this.close[i] = c;
    this.volume[i] = v;
    if (this.#derived) {
      this.minutes[i] = minutes;
      this.possible[i] = possible;
    }
  }

  /** Makes room for `n` more bars at once (one allocation for a batch). */
  reserve(n: number): void {
    const need = this.length + n;
    if (need > this.#capacity) this.#allocate(Math.max(need, this.#capacity * 2));
  }

  /** Forgets the first `n` bars (the oldest), keeping the rest in order. */
  dropFirst(n: number): void {
    const k = Math.min(Math.max(0, n), this.length);
    if (k === 0) return;
    for (const col of [this.times, this.open, this.high, this.low, this.close, this.volume]) {
      col.copyWithin(0, k, this.length);
    }
    this.minuteOffsets.copyWithin(0, k, this.length);
    if (this.#derived) {
      this.minutes.copyWithin(0, k, this.length);
      this.possible.copyWithin(0, k, this.length);
    }
    this.length -= k;
  }

  /** Forgets every bar, keeping the memory for the next day; a minute table counts from `originMs` now. */
  clear(originMs = this.originMs): void {
    this.length = 0;
    this.originMs = originMs;
  }

  /** Bytes held by the columns (capacity, not length). */
  get sizeBytes(): number {
    return this.#capacity * this.#rowBytes();
  }

  #rowBytes(): number {
    return this.#derived ? 52 : this.#compact ? 42 : 48;
  }

  #allocate(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * this.#rowBytes());
    // A minute table has no Float64 time column: its five price and volume columns come first.
    const olds = this.#compact
      ? [this.open, this.high, this.low, this.close, this.volume]
      : [this.times, this.open, this.high, this.low, this.close, this.volume];
    const cols = olds.map((old, k) => {
      const col = new Float64Array(buffer, k * 8 * capacity, capacity);
      col.set(old.subarray(0, this.length));
      return col;
    });
    if (this.#compact) {
      [this.open, this.high, this.low, this.close, this.volume] = cols as [
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
      ];
      const offsets = new Uint16Array(buffer, 40 * capacity, capacity);
      offsets.set(this.minuteOffsets.subarray(0, this.length));
      this.minuteOffsets = offsets;
    } else {
      [this.times, this.open, this.high, this.low, this.close, this.volume] = cols as [
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
        Float64Array,
      ];
    }
    if (this.#derived) {
      const minutes = new Uint16Array(buffer, 48 * capacity, capacity);
      const possible = new Uint16Array(buffer, 50 * capacity, capacity);
      minutes.set(this.minutes.subarray(0, this.length));
      possible.set(this.possible.subarray(0, this.length));
      this.minutes = minutes;
      this.possible = possible;
    }
    this.#capacity = capacity;
  }
}

const EMPTY64 = new Float64Array(0);
const EMPTY16 = new Uint16Array(0);
