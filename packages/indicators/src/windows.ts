/**
 * The two windows every rolling indicator is made of, kept inside an indicator's state (a Float64Array) at
 * offset `b`: a running sum over the last `n` values (a ring) and the rolling maximum or minimum (a
 * monotonic deque). Both are O(1) per value (the deque amortised). Plain functions over the array, so a
 * kernel inlines them and touches no object.
 */

/** Doubles a ring sum of `n` values takes: n, next slot, values held, Σ, then the ring. */
export function ringSize(n: number): number {
  return 4 + n;
}

/** Lays out an empty ring sum of `n` values at `b`. */
export function ringInit(s: Float64Array, b: number, n: number): void {
  s[b] = n;
  ringClear(s, b);
}

/** Empties the ring sum at `b`. */
export function ringClear(s: Float64Array, b: number): void {
  s[b + 1] = 0;
  s[b + 2] = 0;
  s[b + 3] = 0;
}

/** True once the ring at `b` holds its `n` values. */
export function ringFull(s: Float64Array, b: number): boolean {
  return s[b + 2] === s[b];
}

/** Σ of the values in the ring at `b`. */
export function ringSum(s: Float64Array, b: number): number {
  return s[b + 3] as number;
}

/** Adds `x` to the ring at `b`, dropping the oldest once it is full. The sum is exact up to rounding of one add and one subtract per value. */
export function ringPush(s: Float64Array, b: number, x: number): void {
  // Slots and sizes are small whole numbers: read as int32 (`| 0`) so the index arithmetic stays integer.
  const n = (s[b] as number) | 0;
  let at = (s[b + 1] as number) | 0;
  if (s[b + 2] === n) s[b + 3] = (s[b + 3] as number) - (s[b + 4 + at] as number);
  else s[b + 2] = (s[b + 2] as number) + 1;
  s[b + 4 + at] = x;
  s[b + 3] = (s[b + 3] as number) + x;
  if (++at === n) at = 0;
  s[b + 1] = at;
}

/** Doubles a rolling extreme over `n` values takes: n, max flag, head, size, count, then values and indexes. */
export function extremeSize(n: number): number {
  return 5 + 2 * n;
}

/** Lays out an empty rolling maximum (`max`) or minimum over `n` values at `b`. */
export function extremeInit(s: Float64Array, b: number, n: number, max: boolean): void {
  s[b] = n;
  s[b + 1] = max ? 1 : 0;
  extremeClear(s, b);
}

/** Empties the rolling extreme at `b`. */
export function extremeClear(s: Float64Array, b: number): void {
  s[b + 2] = 0;
  s[b + 3] = 0;
  s[b + 4] = 0;
}

/** Adds `x` as the newest value of the rolling extreme at `b`; returns the extreme of the window ending with it. */
export function extremePush(s: Float64Array, b: number, x: number): number {
  // Slots and sizes are small whole numbers: read as int32 (`| 0`) so the index arithmetic stays integer.
  const cap = (s[b] as number) | 0;
  const max = s[b + 1] === 1;
  const values = b + 5;
  const index = values + cap;
  let head = (s[b + 2] as number) | 0;
  let size = (s[b + 3] as number) | 0;
  const i = s[b + 4] as number;
  s[b + 4] = i + 1;
  // Drop the front once it left the window, then every back candidate that `x` beats.
  if (size > 0 && (s[index + head] as number) <= i - cap) {
    if (++head === cap) head = 0;
    size--;
  }
  while (size > 0) {
    let back = head + size - 1;
    if (back >= cap) back -= cap;
    const v = s[values + back] as number;
    if (max ? v > x : v < x) break;
    size--;
  }
  let at = head + size;
  if (at >= cap) at -= cap;
  s[values + at] = x;
  s[index + at] = i;
  s[b + 2] = head;
  s[b + 3] = size + 1;
  return s[values + head] as number;
}
