import { JsonMemo, sealJson } from '@sys/core';
import {
  createIndicator,
  type Indicator,
  type IndicatorSpec,
  resolveIndicatorSpec,
  STATE_COUNT,
  STATE_LAST_START_MS,
  STATE_OUT,
  type StepKernel,
} from '@sys/indicators';
import { formatNyTime } from '@sys/market-time';
import { IndicatorDeclarationError } from './errors.js';
import type { Interval } from './symbol-session.js';
import type { IndicatorRowJson, IndicatorSeriesJson, IndicatorStateJson, IndicatorsJson } from './wire.js';

/** An indicator declared for a symbol: the indicator's spec and the interval of the bars that feed it. */
export interface SessionIndicatorSpec extends IndicatorSpec {
  readonly interval: Interval;
}

const INTERVAL_INDEX: Readonly<Record<Interval, number>> = { '1m': 0, '5m': 1, '15m': 2, '30m': 3, '1h': 4 };
/** Minutes of each interval, by its index. */
const INTERVAL_MINUTES: readonly number[] = [1, 5, 15, 30, 60];

/** The key of a declared indicator on the wire: the indicator's key and the interval, `ema_20_5m`. */
export function sessionIndicatorKey(spec: SessionIndicatorSpec): string {
  return `${resolveIndicatorSpec(spec).key}_${spec.interval}`;
}

/** The day's rows of one interval's indicators: `[startMs, outputs of each entry …]` per closed bar fed, appended in place. */
class Rows {
  /** Doubles per row: the start, then every output of the interval's indicators. */
  width = 1;
  data = new Float64Array(0);
  count = 0;

  /** Room for one more row (more than the day's bars never come, see `empty`; this is the fallback). */
  reserve(): void {
    if ((this.count + 1) * this.width <= this.data.length) return;
    const data = new Float64Array(Math.max(16, this.count * 2) * this.width);
    data.set(this.data.subarray(0, this.count * this.width));
    this.data = data;
  }

  /** No rows, with room for `capacity` (a day's bars of the interval), so the day never grows the array. */
  empty(capacity: number): void {
    this.count = 0;
    if (capacity * this.width > this.data.length) this.data = new Float64Array(capacity * this.width);
  }
}

/** One declared indicator: the indicator, its state JSON, and its columns in its interval's day rows. */
class Entry {
  readonly key: string;
  readonly interval: Interval;
  readonly indicator: Indicator;
  readonly columns: readonly string[];
  /** The day rows of the interval, and where this indicator's outputs start in a row. */
  readonly rows: Rows;
  readonly column: number;
  /** Bumped when the indicator changes without a bar (a session-anchored one at a new day). */
  epoch = 0;
  readonly stateJson = new JsonMemo<IndicatorStateJson>();
  rowJson: IndicatorRowJson[] = [];
  readonly dataJson = new JsonMemo<readonly IndicatorRowJson[]>({ partsSealed: true });
  readonly tableJson = new JsonMemo<IndicatorSeriesJson>({ partsSealed: true });

  constructor(spec: SessionIndicatorSpec, rows: Rows) {
    const resolved = resolveIndicatorSpec(spec);
    this.key = `${resolved.key}_${spec.interval}`;
    this.interval = spec.interval;
    this.indicator = createIndicator(resolved);
    this.columns = sealJson(['timestamp', ...this.indicator.outputs]) as readonly string[];
    this.rows = rows;
    this.column = rows.width;
    rows.width += this.indicator.outputs.length;
  }

  state(): IndicatorStateJson {
    const ind = this.indicator;
    return this.stateJson.get(undefined, [ind.count, this.epoch], () => ({
      ...ind.toJson(),
      as_of: ind.count === 0 ? null : formatNyTime(ind.lastStartMs),
    }));
  }

  series(): IndicatorSeriesJson {
    const outputs = this.indicator.outputs.length;
    const { width, data, count } = this.rows;
    for (let i = this.rowJson.length; i < count; i++) {
      const row: (string | number | null)[] = [formatNyTime(data[i * width] as number)];
      for (let j = 0; j < outputs; j++) {
        const v = data[i * width + this.column + j] as number;
        row.push(Number.isNaN(v) ? null : v);
      }
      this.rowJson.push(sealJson(row) as IndicatorRowJson);
    }
    const rows = this.dataJson.get(undefined, this.rowJson.length, () => this.rowJson.slice());
    return this.tableJson.get(undefined, [rows], () => ({
      interval: this.interval,
      label: 'start',
      closed: 'left',
      columns: this.columns,
      data: rows,
    }));
  }

  /** A new trading day: session-anchored indicators start afresh, today's series is empty. */
  newDay(): void {
    if (this.indicator.name === 'vwap_bands') this.epoch++;
    this.indicator.newSession();
    this.rowJson = [];
    this.dataJson.invalidate();
    this.tableJson.invalidate();
  }
}

/** The indicators fed by one interval: their kernels and where each one's state starts, stepped in one loop. */
class Group {
  readonly entries: Entry[] = [];
  readonly rows = new Rows();
  kernels: StepKernel[] = [];
  /** Where each indicator's state starts in the symbol's state array. */
  ats = new Int32Array(0);
  /** Where each output copied into a row sits in the state array, in row order. */
  outs = new Int32Array(0);
  /** The last bar the group took: its indicators are made together and fed the same bars. */
  lastStartMs = Number.NEGATIVE_INFINITY;
}

/**
 * The indicators declared for one symbol, grouped by the interval that feeds them. Fed only closed bars:
 * each 1m bar as it is stored, each derived bar once its bucket is finished (never the forming one), and
 * the regular-session bars of earlier days at a history load — each bar at most once, as an interval's
 * indicators skip a bar not later than the last they took (so a day already replayed, loaded again as
 * history, changes nothing).
 *
 * For speed at hundreds of symbols, every indicator's state lives in one Float64Array per symbol (an
 * interval's indicators side by side) and a bar steps them by their kernels, touching no indicator object;
 * today's values are appended as one row per bar to the interval's rows, turned into JSON only when read.
 */
export class SymbolIndicators {
  readonly #entries: Entry[] = [];
  /** The groups by interval, in the order of INTERVALS. */
  readonly #groups: Group[] = [new Group(), new Group(), new Group(), new Group(), new Group()];
  /** Every indicator's state. */
  readonly #state: Float64Array;
  readonly #json = new JsonMemo<IndicatorsJson>({ partsSealed: true });
  readonly #seriesJson = new JsonMemo<{ readonly [key: string]: IndicatorSeriesJson }>({ partsSealed: true });

  constructor(symbol: string, specs: readonly SessionIndicatorSpec[]) {
    const keys = new Set<string>();
    for (const spec of specs) {
      const g = this.#groups[INTERVAL_INDEX[spec.interval]] as Group;
      const e = new Entry(spec, g.rows);
      if (keys.has(e.key)) throw new IndicatorDeclarationError(symbol, e.key);
      keys.add(e.key);
      this.#entries.push(e);
      g.entries.push(e);
    }
    let size = 0;
    for (const e of this.#entries) size += e.indicator.stateSize;
    this.#state = new Float64Array(size);
    let at = 0;
    for (const g of this.#groups) {
      const outs: number[] = [];
      const ats: number[] = [];
      for (const e of g.entries) {
        const ind = e.indicator;
        ind.moveTo(this.#state, at);
        ats.push(at);
        for (let j = 0; j < ind.outputs.length; j++) outs.push(at + STATE_OUT + j);
        at += ind.stateSize;
      }
      g.kernels = g.entries.map((e) => e.indicator.kernel);
      g.ats = Int32Array.from(ats);
      g.outs = Int32Array.from(outs);
    }
  }

  /** True when some indicator is fed by the interval at `index` (0 = 1m, 1 … 4 = 5m … 1h). */
  feeds(index: number): boolean {
    return (this.#groups[index] as Group).entries.length > 0;
  }

  /**
   * Feeds one closed bar of interval `index` to its indicators (unless they have seen it already). `today`
   * bars are kept in the day's rows; history bars only move the indicators on.
   */
  feed(
    index: number,
    startMs: number,
    _open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    today: boolean,
  ): void {
    const g = this.#groups[index] as Group;
    if (startMs <= g.lastStartMs) return;
    g.lastStartMs = startMs;
    const s = this.#state;
    const kernels = g.kernels;
    const ats = g.ats;
    for (let i = 0; i < kernels.length; i++) {
      const at = ats[i] as number;
      s[at + STATE_COUNT] = (s[at + STATE_COUNT] as number) + 1;
      s[at + STATE_LAST_START_MS] = startMs;
      (kernels[i] as StepKernel)(s, at, high, low, close, volume);
    }
    if (!today) return;
    const rows = g.rows;
    rows.reserve();
    const data = rows.data;
    const outs = g.outs;
    let w = rows.count * rows.width;
    data[w++] = startMs;
    for (let j = 0; j < outs.length; j++) data[w + j] = s[outs[j] as number] as number;
    rows.count++;
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

  /**
   * A new trading day of `regularMinutes` regular minutes: session-anchored indicators afresh, today's
   * series emptied, with room for the day's bars of each fed interval made now rather than bar by bar.
   */
  newDay(regularMinutes: number): void {
    for (const e of this.#entries) e.newDay();
    this.#groups.forEach((g, i) => {
      g.rows.empty(g.entries.length === 0 ? 0 : Math.ceil(regularMinutes / (INTERVAL_MINUTES[i] as number)));
    });
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
