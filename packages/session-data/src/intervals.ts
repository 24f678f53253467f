// The bar intervals, in one place for the session (its derived series) and the indicators (their headers
// and day rows), which both number them by position in INTERVALS: 0 = 1m, 1 … 4 = the derived ones.

/** A bar interval shown on the wire. */
export type Interval = '1m' | '5m' | '15m' | '30m' | '1h';
/** Every interval, shortest first. */
export const INTERVALS: readonly Interval[] = Object.freeze(['1m', '5m', '15m', '30m', '1h']);
/** The derived intervals and their length in minutes (INTERVALS after 1m, in the same order). */
export const DERIVED_INTERVALS: readonly (readonly [Interval, number])[] = Object.freeze([
  ['5m', 5],
  ['15m', 15],
  ['30m', 30],
  ['1h', 60],
]);
/** Minutes of each interval, by its index in INTERVALS. */
export const INTERVAL_MINUTES: readonly number[] = Object.freeze([1, ...DERIVED_INTERVALS.map(([, m]) => m)]);
