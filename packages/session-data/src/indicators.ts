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
import { INTERVAL_MINUTES, INTERVALS, type Interval } from './intervals.js';
import type { IndicatorRowJson, IndicatorSeriesJson, IndicatorStateJson, IndicatorsJson } from './wire.js';

/** An indicator declared for a symbol: the indicator's spec and the interval of the bars that feed it. */
export interface SessionIndicatorSpec extends IndicatorSpec {
  readonly interval: Interval;
}

/** The key of a declared indicator on the wire: the indicator's key and the interval, `ema_20_5m`. */
export function sessionIndicatorKey(spec: SessionIndicatorSpec): string {
  return `${resolveIndicatorSpec(spec).key}_${spec.interval}`;
}

// The symbol's state array starts with one header per interval (0 = 1m … 4 = 1h), then one program entry
// per indicator ([kernel index, at, outputs], grouped by interval), then every indicator's own state side by side.
// A bar of an interval so reads one array from its header on: no object is touched per bar.
const HEADER = 8;
/** Start of the last bar the interval's indicators took (they are made together and fed the same bars). */
const H_LAST_START_MS = 0;
/** Where the interval's program starts, and its number of indicators. */
const H_PROGRAM = 1;
const H_INDICATORS = 2;
/** The interval's day rows in the rows array: where they start, how many, the room, doubles per row. */
const H_ROWS_AT = 3;
const H_ROWS = 4;
const H_ROWS_ROOM = 5;
const H_ROW_WIDTH = 6;
const PROGRAM = 3;

/** One declared indicator: the indicator, its state JSON, and its columns in its interval's day rows. */
class Entry {
  readonly key: string;
  readonly interval: Interval;
  readonly index: number;
  readonly indicator: Indicator;
  readonly columns: readonly string[];
  /** Where this indicator's outputs start in a row of its interval (after the start). */
  column = 0;
  /** Bumped when the indicator changes without a bar (a session-anchored one at a new day). */
  epoch = 0;
  readonly stateJson = new JsonMemo<IndicatorStateJson>();
  rowJson: IndicatorRowJson[] = [];
  readonly dataJson = new JsonMemo<readonly IndicatorRowJson[]>({ partsSealed: true });
  readonly tableJson = new JsonMemo<IndicatorSeriesJson>({ partsSealed: true });

  constructor(spec: SessionIndicatorSpec) {
    const resolved = resolveIndicatorSpec(spec);
    this.key = `${resolved.key}_${spec.interval}`;
    this.interval = spec.interval;
    this.index = INTERVALS.indexOf(spec.interval);
    this.indicator = createIndicator(resolved);
    this.columns = sealJson(['timestamp', ...this.indicator.outputs]) as readonly string[];
  }

  state(): IndicatorStateJson {
    const ind = this.indicator;
    return this.stateJson.get(undefined, [ind.count, this.epoch], () => ({
      ...ind.toJson(),
      as_of: ind.count === 0 ? null : formatNyTime(ind.lastStartMs),
    }));
  }

  /** The day's series from the interval's rows (`rows[at …]`, `count` rows of `width`). */
  series(rows: Float64Array, at: number, count: number, width: number): IndicatorSeriesJson {
    const outputs = this.indicator.outputs.length;
    for (let i = this.rowJson.length; i < count; i++) {
      const r = at + i * width;
      const row: (string | number | null)[] = [formatNyTime(rows[r] as number)];
      for (let j = 0; j < outputs; j++) {
        const v = rows[r + this.column + j] as number;
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
    if (this.indicator.newSession()) this.epoch++;
    this.rowJson = [];
    this.dataJson.invalidate();
    this.tableJson.invalidate();
  }
}

/**
 * The indicators declared for one symbol, grouped by the interval that feeds them. Fed only closed bars:
 * each 1m bar as it is stored, each derived bar once its bucket is finished (never the forming one), and
 * the regular-session bars of earlier days at a history load — each bar at most once, as an interval's
 * indicators skip a bar not later than the last they took (so a day already replayed, loaded again as
 * history, changes nothing).
 *
 * For speed at hundreds of symbols, everything a bar needs lives in one Float64Array per symbol (see
 * HEADER): the bar steps each indicator's state by its kernel, and today's values are appended as one row
 * per bar to the interval's part of one rows array, turned into JSON only when read.
 */
export class SymbolIndicators {
  readonly #entries: Entry[] = [];
  /** Headers, program and every indicator's state. */
  readonly #state: Float64Array;
  /** The day rows of every interval: `[startMs, outputs of each indicator …]` per closed bar fed. */
  #rows = new Float64Array(0);
  /** Each indicator's step, in program order. */
  readonly #kernels: StepKernel[] = [];
  /** Bit i set when some indicator is fed by interval i. */
  readonly #fed: number;
  readonly #json = new JsonMemo<IndicatorsJson>({ partsSealed: true });
  readonly #seriesJson = new JsonMemo<{ readonly [key: string]: IndicatorSeriesJson }>({ partsSealed: true });

  constructor(symbol: string, specs: readonly SessionIndicatorSpec[]) {
    const keys = new Set<string>();
    const entries: Entry[] = [];
    for (const spec of specs) {
      const e = new Entry(spec);
      if (keys.has(e.key)) throw new IndicatorDeclarationError(symbol, e.key);
      keys.add(e.key);
      entries.push(e);
    }
    // Grouped by interval (stable), so an interval's program and states are contiguous.
    this.#entries = entries;
    const ordered = [...entries].sort((a, b) => a.index - b.index);
    let size = 5 * HEADER + PROGRAM * ordered.length;
    for (const e of ordered) size += e.indicator.stateSize;
    const s = new Float64Array(size);
    this.#state = s;
    let fed = 0;
    let program = 5 * HEADER;
    let at = program + PROGRAM * ordered.length;
    for (let g = 0; g < 5; g++) {
      const h = g * HEADER;
      s[h + H_LAST_START_MS] = Number.NEGATIVE_INFINITY;
      s[h + H_PROGRAM] = program;
      let width = 1;
      for (const e of ordered) {
        if (e.index !== g) continue;
        const ind = e.indicator;
        ind.moveTo(s, at);
        s[program] = this.#kernels.length;
        this.#kernels.push(ind.kernel);
        s[program + 1] = at;
        s[program + 2] = ind.outputs.length;
        program += PROGRAM;
        at += ind.stateSize;
        e.column = width;
        width += ind.outputs.length;
        s[h + H_INDICATORS] = (s[h + H_INDICATORS] as number) + 1;
        fed |= 1 << g;
      }
      s[h + H_ROW_WIDTH] = width;
    }
    this.#fed = fed;
  }

  /** True when some indicator is fed by the interval at `index` (0 = 1m, 1 … 4 = 5m … 1h). */
  feeds(index: number): boolean {
    return (this.#fed & (1 << index)) !== 0;
  }

  /**
   * Feeds one closed bar of interval `index` to its indicators (unless they have seen it already). `today`
   * bars are kept in the day's rows; history bars only move the indicators on.
   */
  feed(
    index: number,
    startMs: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    today: boolean,
  ): void {
    const s = this.#state;
    const h = index * HEADER;
    if (startMs <= (s[h + H_LAST_START_MS] as number)) return;
    s[h + H_LAST_START_MS] = startMs;
    const first = (s[h + H_PROGRAM] as number) | 0;
    const end = first + PROGRAM * ((s[h + H_INDICATORS] as number) | 0);
    const kernels = this.#kernels;
    for (let p = first; p < end; p += PROGRAM) {
      const at = (s[p + 1] as number) | 0;
      s[at + STATE_COUNT] = (s[at + STATE_COUNT] as number) + 1;
      s[at + STATE_LAST_START_MS] = startMs;
      (kernels[(s[p] as number) | 0] as StepKernel)(s, at, high, low, close, volume);
    }
    if (!today) return;
    const count = (s[h + H_ROWS] as number) | 0;
    if (count === ((s[h + H_ROWS_ROOM] as number) | 0)) this.#makeRoom(index, Math.max(16, 2 * count));
    const rows = this.#rows;
    let w = ((s[h + H_ROWS_AT] as number) | 0) + count * ((s[h + H_ROW_WIDTH] as number) | 0);
    rows[w++] = startMs;
    for (let p = first; p < end; p += PROGRAM) {
      const out = ((s[p + 1] as number) | 0) + STATE_OUT;
      const n = (s[p + 2] as number) | 0;
      for (let j = 0; j < n; j++) rows[w++] = s[out + j] as number;
    }
    s[h + H_ROWS] = count + 1;
  }

  /** A new rows array with room for `room` rows of interval `index` (the others keep theirs), rows kept. */
  #makeRoom(index: number, room: number): void {
    const s = this.#state;
    let size = 0;
    for (let g = 0; g < 5; g++) {
      const h = g * HEADER;
      if (g === index) s[h + H_ROWS_ROOM] = room;
      size += (s[h + H_ROWS_ROOM] as number) * (s[h + H_ROW_WIDTH] as number);
    }
    const rows = new Float64Array(size);
    let at = 0;
    for (let g = 0; g < 5; g++) {
      const h = g * HEADER;
      const from = s[h + H_ROWS_AT] as number;
      const width = s[h + H_ROW_WIDTH] as number;
      rows.set(this.#rows.subarray(from, from + (s[h + H_ROWS] as number) * width), at);
      s[h + H_ROWS_AT] = at;
      at += (s[h + H_ROWS_ROOM] as number) * width;
    }
    this.#rows = rows;
  }

  /**
   * A history day starting at `openMs` is about to be fed: session-anchored indicators that have not seen
   * it yet start afresh (one that has, because the day was replayed, is left as it is).
   */
  historyDay(openMs: number): void {
    for (const e of this.#entries) {
      if (e.indicator.lastStartMs >= openMs) continue;
      if (e.indicator.newSession()) e.epoch++;
    }
  }

  /**
   * A new trading day of `regularMinutes` regular minutes: session-anchored indicators afresh, today's
   * series emptied, with room for the day's bars of each fed interval made now rather than bar by bar.
   */
  newDay(regularMinutes: number): void {
    for (const e of this.#entries) e.newDay();
    const s = this.#state;
    let size = 0;
    for (let g = 0; g < 5; g++) {
      const h = g * HEADER;
      s[h + H_ROWS] = 0;
      s[h + H_ROWS_AT] = size;
      s[h + H_ROWS_ROOM] = this.feeds(g) ? Math.ceil(regularMinutes / (INTERVAL_MINUTES[g] as number)) : 0;
      size += (s[h + H_ROWS_ROOM] as number) * (s[h + H_ROW_WIDTH] as number);
    }
    if (size > this.#rows.length) this.#rows = new Float64Array(size);
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
    const s = this.#state;
    const parts = this.#entries.map((e) => {
      const h = e.index * HEADER;
      return e.series(
        this.#rows,
        s[h + H_ROWS_AT] as number,
        s[h + H_ROWS] as number,
        s[h + H_ROW_WIDTH] as number,
      );
    });
    return this.#seriesJson.get(undefined, parts, () => {
      const out: Record<string, IndicatorSeriesJson> = {};
      this.#entries.forEach((e, i) => {
        out[e.key] = parts[i] as IndicatorSeriesJson;
      });
      return out;
    });
  }
}
