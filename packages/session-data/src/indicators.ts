import { JsonMemo, sealJson } from '@sys/core';
import { createIndicator, type Indicator, type IndicatorSpec, resolveIndicatorSpec } from '@sys/indicators';
import { formatNyTime } from '@sys/market-time';
import { IndicatorDeclarationError } from './errors.js';
import type { Interval } from './symbol-session.js';
import type { IndicatorRowJson, IndicatorSeriesJson, IndicatorStateJson, IndicatorsJson } from './wire.js';

/** An indicator declared for a symbol: the indicator's spec and the interval of the bars that feed it. */
export interface SessionIndicatorSpec extends IndicatorSpec {
  readonly interval: Interval;
}

const INTERVAL_INDEX: Readonly<Record<Interval, number>> = { '1m': 0, '5m': 1, '15m': 2, '30m': 3, '1h': 4 };

/** The key of a declared indicator on the wire: the indicator's key and the interval, `ema_20_5m`. */
export function sessionIndicatorKey(spec: SessionIndicatorSpec): string {
  return `${resolveIndicatorSpec(spec).key}_${spec.interval}`;
}

/** One declared indicator: the indicator, its state JSON, and today's series (one row per closed bar fed). */
class Entry {
  readonly key: string;
  readonly interval: Interval;
  readonly indicator: Indicator;
  readonly columns: readonly string[];
  /** Bumped when the indicator changes without a bar (a session-anchored one at a new day). */
  epoch = 0;
  times = new Float64Array(0);
  values = new Float64Array(0);
  rows = 0;
  readonly stateJson = new JsonMemo<IndicatorStateJson>();
  rowJson: IndicatorRowJson[] = [];
  readonly dataJson = new JsonMemo<readonly IndicatorRowJson[]>({ partsSealed: true });
  readonly tableJson = new JsonMemo<IndicatorSeriesJson>({ partsSealed: true });

  constructor(spec: SessionIndicatorSpec) {
    const resolved = resolveIndicatorSpec(spec);
    this.key = `${resolved.key}_${spec.interval}`;
    this.interval = spec.interval;
    this.indicator = createIndicator(resolved);
    this.columns = sealJson(['timestamp', ...this.indicator.outputs]) as readonly string[];
  }

  /** Keeps today's row after a bar was fed. */
  record(startMs: number): void {
    const out = this.indicator.out;
    const width = out.length;
    if (this.rows === this.times.length) {
      const cap = Math.max(16, this.rows * 2);
      const times = new Float64Array(cap);
      times.set(this.times);
      const values = new Float64Array(cap * width);
      values.set(this.values);
      this.times = times;
      this.values = values;
    }
    this.times[this.rows] = startMs;
    // A plain loop: TypedArray#set is a builtin call that costs more than copying one to three numbers.
    const values = this.values;
    const at = this.rows * width;
    for (let j = 0; j < width; j++) values[at + j] = out[j] as number;
    this.rows++;
  }

  state(): IndicatorStateJson {
    const ind = this.indicator;
    return this.stateJson.get(undefined, [ind.count, this.epoch], () => ({
      ...ind.toJson(),
      as_of: ind.count === 0 ? null : formatNyTime(ind.lastStartMs),
    }));
  }

  series(): IndicatorSeriesJson {
    const width = this.indicator.out.length;
    for (let i = this.rowJson.length; i < this.rows; i++) {
      const row: (string | number | null)[] = [formatNyTime(this.times[i] as number)];
      for (let j = 0; j < width; j++) {
        const v = this.values[i * width + j] as number;
        row.push(Number.isNaN(v) ? null : v);
      }
      this.rowJson.push(sealJson(row) as IndicatorRowJson);
    }
    const data = this.dataJson.get(undefined, this.rowJson.length, () => this.rowJson.slice());
    return this.tableJson.get(undefined, [data], () => ({
      interval: this.interval,
      label: 'start',
      closed: 'left',
      columns: this.columns,
      data,
    }));
  }

  /** A new trading day: session-anchored indicators start afresh, today's series is empty. */
  newDay(): void {
    if (this.indicator.name === 'vwap_bands') this.epoch++;
    this.indicator.newSession();
    this.rows = 0;
    this.rowJson = [];
    this.dataJson.invalidate();
    this.tableJson.invalidate();
  }
}

/**
 * The indicators declared for one symbol, grouped by the interval that feeds them. Fed only closed bars:
 * each 1m bar as it is stored, each derived bar once its bucket is finished (never the forming one), and
 * the regular-session bars of earlier days at a history load — each bar at most once, as an indicator skips
 * a bar not later than the last it took (so a day already replayed, loaded again as history, changes nothing).
 */
export class SymbolIndicators {
  readonly #entries: Entry[] = [];
  /** The entries fed by each interval, in the order of INTERVALS. */
  readonly #byInterval: Entry[][] = [[], [], [], [], []];
  /** The bar handed to the indicators, rewritten for each one (no object per bar). */
  readonly #bar = { startMs: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  readonly #json = new JsonMemo<IndicatorsJson>({ partsSealed: true });
  readonly #seriesJson = new JsonMemo<{ readonly [key: string]: IndicatorSeriesJson }>({ partsSealed: true });

  constructor(symbol: string, specs: readonly SessionIndicatorSpec[]) {
    const keys = new Set<string>();
    for (const spec of specs) {
      const e = new Entry(spec);
      if (keys.has(e.key)) throw new IndicatorDeclarationError(symbol, e.key);
      keys.add(e.key);
      this.#entries.push(e);
      (this.#byInterval[INTERVAL_INDEX[spec.interval]] as Entry[]).push(e);
    }
  }

  /** True when some indicator is fed by the interval at `index` (0 = 1m, 1 … 4 = 5m … 1h). */
  feeds(index: number): boolean {
    return (this.#byInterval[index] as Entry[]).length > 0;
  }

  /**
   * Feeds one closed bar of interval `index` to its indicators (those that have not seen it yet). `today`
   * bars are kept in the day's series; history bars only move the indicators on.
   */
  feed(
    index: number,
    startMs: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    today: boolean,
  ): void {
    const list = this.#byInterval[index] as Entry[];
    const bar = this.#bar;
    bar.startMs = startMs;
    bar.open = open;
    bar.high = high;
    bar.low = low;
    bar.close = close;
    bar.volume = volume;
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as Entry;
      const ind = e.indicator;
      if (startMs <= ind.lastStartMs) continue;
      ind.update(bar);
      if (today) e.record(startMs);
    }
  }

  /**
   * A history day starting at `openMs` is about to be fed: session-anchored indicators that have not seen
   * it yet start afresh (one that has, because the day was replayed, is left as it is).
   */
  historyDay(openMs: number): void {
    for (const e of this.#entries) {
      if (e.indicator.lastStartMs >= openMs) continue;
      if (e.indicator.name === 'vwap_bands') e.epoch++;
      e.indicator.newSession();
    }
  }

  /** A new trading day: session-anchored indicators afresh, today's series emptied. */
  newDay(): void {
    for (const e of this.#entries) e.newDay();
  }

  /** `indicators`: `{ key: { value, ready, as_of } }`; an unchanged indicator keeps its object. */
  json(): IndicatorsJson {
    const parts = this.#entries.map((e) => e.state());
    return this.#json.get(undefined, parts, () => {
      const out: Record<string, IndicatorStateJson> = {};
      this.#entries.forEach((e, i) => {
        out[e.key] = parts[i] as IndicatorStateJson;
      });
      return out;
    });
  }

  /** `indicator_series` (debug): today's values per closed bar, columnar like `current_bars`. */
  seriesJson(): { readonly [key: string]: IndicatorSeriesJson } {
    const parts = this.#entries.map((e) => e.series());
    return this.#seriesJson.get(undefined, parts, () => {
      const out: Record<string, IndicatorSeriesJson> = {};
      this.#entries.forEach((e, i) => {
        out[e.key] = parts[i] as IndicatorSeriesJson;
      });
      return out;
    });
  }
}
