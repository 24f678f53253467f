import { arr, num, obj, str } from './json.js';

/** The bar intervals `current_bars` holds, in the order the chart offers them. */
export const INTERVALS = ['1m', '5m', '15m', '30m', '1h'] as const;
/** One of INTERVALS. */
export type Interval = (typeof INTERVALS)[number];

const INTERVAL_MINUTES: Record<Interval, number> = { '1m': 1, '5m': 5, '15m': 15, '30m': 30, '1h': 60 };
/** Derived tables are anchored at the regular open (`anchor: "09:30"`). */
const ANCHOR_SECONDS = 9.5 * 3600;

/** One bar for the chart: `time` is New York wall time written as if it were UTC, in seconds. */
export interface ChartBar {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** Seconds since midnight of a `HH:MM:SS` label, or null when it is not one. */
export function secondsOfDay(label: string): number | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})$/.exec(label);
  if (m === null) return null;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/**
 * The chart time of a bar of `date` labelled `label`: New York wall time as a UTC timestamp, so the time
 * axis reads the exchange's clock whatever the viewer's zone (the chart library draws UTC).
 */
export function chartTime(date: string, label: string): number | null {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const s = secondsOfDay(label);
  if (d === null || s === null) return null;
  return Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) / 1000 + s;
}

/** Reads one row of a bar table by its `columns` (a table states its own contract). */
export function barOfRow(columns: readonly unknown[], row: unknown, date: string): ChartBar | null {
  const cells = arr(row);
  const cell = (name: string) => cells[columns.indexOf(name)];
  const label = str(cell('timestamp'));
  const time = label === null ? null : chartTime(date, label);
  const open = num(cell('open'));
  const high = num(cell('high'));
  const low = num(cell('low'));
  const close = num(cell('close'));
  const volume = num(cell('volume'));
  if (time === null || open === null || high === null || low === null || close === null) return null;
  return { time, open, high, low, close, volume: volume ?? 0 };
}

/** A bar table of `current_bars` as the chart needs it. */
export interface BarTable {
  readonly columns: readonly unknown[];
  readonly rows: readonly unknown[];
  /** The bucket still forming (derived tables), or null. */
  readonly forming: unknown;
}

/** The bars of `table`'s rows from index `from` on; a row that does not read as a bar is left out. */
export function barsOf(table: BarTable, date: string, from = 0): ChartBar[] {
  const out: ChartBar[] = [];
  for (let i = from; i < table.rows.length; i++) {
    const bar = barOfRow(table.columns, table.rows[i], date);
    if (bar !== null) out.push(bar);
  }
  return out;
}

/** The table of `interval` in a symbol's `current_bars`, or undefined (no debug face, or not yet). */
export function barTable(symbol: unknown, interval: Interval): BarTable | undefined {
  const table = obj(obj(obj(symbol)?.current_bars)?.[interval]);
  if (table === undefined) return undefined;
  return { columns: arr(table.columns), rows: arr(table.data), forming: table.forming ?? null };
}

/** The chart time of the bucket of `interval` that holds the minute starting at `time`. */
export function bucketTime(time: number, interval: Interval): number {
  const size = INTERVAL_MINUTES[interval] * 60;
  const day = Math.floor(time / 86_400) * 86_400;
  const sinceAnchor = time - day - ANCHOR_SECONDS;
  return day + ANCHOR_SECONDS + Math.floor(sinceAnchor / size) * size;
}

/**
 * The session VWAP as a line, one point per bucket of `interval`: Σ(typical price × volume) ÷ Σ volume over
 * the 1m bars up to the end of that bucket (so the last point is the state's `vwap`). Keeps its sums, so
 * feeding it the new 1m rows costs only them.
 */
export class VwapLine {
  #sumPv = 0;
  #sumV = 0;
  /** How many 1m rows were taken. */
  taken = 0;

  constructor(readonly interval: Interval) {}

  /** Takes 1m bars in order; returns the points they moved (a bucket's point is rewritten as it fills). */
  take(bars: readonly ChartBar[]): { time: number; value: number }[] {
    const points: { time: number; value: number }[] = [];
    for (const bar of bars) {
      this.taken++;
      this.#sumPv += ((bar.high + bar.low + bar.close) / 3) * bar.volume;
      this.#sumV += bar.volume;
      if (this.#sumV === 0) continue;
      const point = { time: bucketTime(bar.time, this.interval), value: this.#sumPv / this.#sumV };
      const last = points[points.length - 1];
      if (last !== undefined && last.time === point.time) points[points.length - 1] = point;
      else points.push(point);
    }
    return points;
  }
}
