import type { Json, Serializable, ToJsonOptions } from '@sys/core';
import { type Bar, BarValidationError, barLabel, barProblem } from '@sys/market-data';
import {
  formatNyTime,
  type IsoDate,
  MINUTE_MS,
  nyDateOf,
  nyMidnightMs,
  type SessionWindow,
} from '@sys/market-time';
import { BarTable } from './bar-table.js';
import { DerivedSeries } from './derived.js';
import { SessionDayError } from './errors.js';

/** A bar interval shown on the wire. */
export type Interval = '1m' | '5m' | '15m' | '30m' | '1h';
/** Every interval, shortest first. */
export const INTERVALS: readonly Interval[] = Object.freeze(['1m', '5m', '15m', '30m', '1h']);
/** The derived intervals and their length in minutes. */
export const DERIVED_INTERVALS: readonly (readonly [Interval, number])[] = Object.freeze([
  ['5m', 5],
  ['15m', 15],
  ['30m', 30],
  ['1h', 60],
]);

const BAR_COLUMNS: Json = Object.freeze(['timestamp', 'open', 'high', 'low', 'close', 'volume']);
const DERIVED_COLUMNS: Json = Object.freeze([
  'timestamp',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'minutes',
  'possible_minutes',
]);
const NO_GAPS: Json = Object.freeze([]);

/** A gap in the regular session: the first missing minute and how many minutes are missing. */
export interface Gap {
  readonly startMs: number;
  readonly minutes: number;
}

/** Options of a SymbolSessionData. */
export interface SymbolSessionOptions {
  /** Wall clock for the performance figures (ms, monotonic); default performance.now. */
  now?: () => number;
  /** Called after anything that can change this symbol's JSON (SessionData uses it to skip unchanged reads). */
  onChange?: () => void;
}

/** Rows of one table turned into frozen JSON rows once each, then shared by every later toJson. */
class RowCache {
  rows: Json[] = [];
  data: Json = NO_GAPS;
  table: Json = null;
}

/**
 * One symbol's state for one trading day: regular-session 1m bars and the four derived intervals in
 * columnar typed arrays, pre- and post-market bars kept apart, the session figures (volume, high, low,
 * VWAP by typical price) over the regular session only, quality and gaps, and historical bars of earlier
 * days. `toJson` gives back the same frozen objects while a part has not changed.
 */
export class SymbolSessionData implements Serializable {
  /** The symbol. */
  readonly symbol: string;
  readonly #now: () => number;
  #window: SessionWindow | null = null;
  // A full regular session is 390 minutes: sized so a normal day never grows (48 bytes per bar).
  readonly #regular = new BarTable(false, 390);
  readonly #extended = new BarTable(false);
  #preMarketBars = 0;
  #postMarketBars = 0;
  readonly #derived = DERIVED_INTERVALS.map(([, m]) => new DerivedSeries(m));
  #folded = 0;
  #lastStartMs = Number.NEGATIVE_INFINITY;
  #clockMs = Number.NEGATIVE_INFINITY;
  #sumVolume = 0;
  #sumTypicalVolume = 0;
  #high = Number.NEGATIVE_INFINITY;
  #low = Number.POSITIVE_INFINITY;
  #gaps: Gap[] = [];
  #expectedNextMs = 0;
  readonly #history = new BarTable(false);
  /** Bar counts per interval of each history day, in date order (days are appended in order). */
  readonly #historyDays = new Map<IsoDate, Record<Interval, number>>();
  #lastUpdateMs = 0;
  #totalUpdates = 0;
  /** Bumped on every change of bars or figures; keys the JSON caches. */
  #version = 0;
  #historyVersion = 0;
  #coreVersion = -1;
  #coreElapsed = -1;
  #debugVersion = -1;
  #core: Record<string, Json> | null = null;
  #debugParts: Json[] = [];
  #debug: Json = null;
  #historyJson: Json = null;
  #historyJsonVersion = -1;
  #performanceJson: Json = null;
  #performanceUpdates = -1;
  readonly #rowCaches: RowCache[] = INTERVALS.map(() => new RowCache());
  #formingKey: string[] = INTERVALS.map(() => '');

  constructor(symbol: string, options: SymbolSessionOptions = {}) {
    this.symbol = symbol;
    this.#now = options.now ?? (() => performance.now());
    this.#onChange = options.onChange ?? null;
  }

  readonly #onChange: (() => void) | null;

  /** A change of bars or figures: new JSON on the next read, and the owner is told. */
  #touch(): void {
    this.#version++;
    this.#onChange?.();
  }

  /** The trading day held, or null before the first. */
  get window(): SessionWindow | null {
    return this.#window;
  }

  /** Regular-session 1m bars held. */
  get barCount(): number {
    return this.#regular.length;
  }

  /** New 1m bars not yet folded into the derived intervals. */
  get barsUpdated(): number {
    return this.#regular.length - this.#folded;
  }

  /** Bytes held by the bar columns (capacity), for memory figures. */
  get sizeBytes(): number {
    return (
      this.#regular.sizeBytes +
      this.#extended.sizeBytes +
      this.#history.sizeBytes +
      this.#derived.reduce((n, d) => n + d.finished.sizeBytes, 0)
    );
  }

  /** Starts a trading day: session bars, figures, gaps and derived bars start afresh; history is kept. */
  reset(window: SessionWindow | null): void {
    this.#window = window;
    this.#regular.clear();
    this.#extended.clear();
    this.#preMarketBars = 0;
    this.#postMarketBars = 0;
    for (const d of this.#derived) d.reset(window?.regularOpenMs ?? 0, window?.regularCloseMs ?? 0);
    this.#folded = 0;
    this.#lastStartMs = Number.NEGATIVE_INFINITY;
    this.#clockMs = Number.NEGATIVE_INFINITY;
    this.#sumVolume = 0;
    this.#sumTypicalVolume = 0;
    this.#high = Number.NEGATIVE_INFINITY;
    this.#low = Number.POSITIVE_INFINITY;
    this.#gaps = [];
    this.#expectedNextMs = window?.regularOpenMs ?? 0;
    for (const c of this.#rowCaches) {
      c.rows = [];
      c.data = NO_GAPS;
      c.table = null;
    }
    this.#formingKey = INTERVALS.map(() => '');
    this.#touch();
  }

  /**
   * Takes one released 1m bar of this day. Validated first (the one bar validation of @sys/market-data,
   * times strictly increasing); a bad bar throws and changes nothing.
   */
  ingest(bar: Bar): void {
    const t0 = this.#now();
    this.#check(bar, this.#lastStartMs);
    this.#appendAll([bar], t0);
  }

  /** Takes a batch of 1m bars in time order: all are validated before any is stored. */
  ingestMany(bars: readonly Bar[]): void {
    if (bars.length === 0) return;
    const t0 = this.#now();
    this.checkMany(bars);
    this.#appendAll(bars, t0);
  }

  /** Validates a batch as ingestMany would, storing nothing; throws on the first bad bar. */
  checkMany(bars: readonly Bar[]): void {
    let last = this.#lastStartMs;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      this.#check(bar, last);
      last = bar.startMs;
    }
  }

  /** Stores a batch that checkMany has just accepted (SessionData checks every symbol before storing any). */
  ingestChecked(bars: readonly Bar[]): void {
    if (bars.length > 0) this.#appendAll(bars, this.#now());
  }

  #appendAll(bars: readonly Bar[], t0: number): void {
    // The hot path of every replay: one loop writing straight into the columns, figures kept in locals.
    const w = this.#window as SessionWindow;
    const openMs = w.regularOpenMs;
    const closeMs = w.regularCloseMs;
    const r = this.#regular;
    r.reserve(bars.length);
    const { times, open, high, low, close, volume } = r;
    let n = r.length;
    let sumVolume = this.#sumVolume;
    let sumTypicalVolume = this.#sumTypicalVolume;
    let hi = this.#high;
    let lo = this.#low;
    let expectedNextMs = this.#expectedNextMs;
    for (let i = 0; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      const t = bar.startMs;
      if (t < openMs || t >= closeMs) {
        this.#appendExtended(bar, t < openMs);
        continue;
      }
      const h = bar.high;
      const l = bar.low;
      const c = bar.close;
      const v = bar.volume;
      times[n] = t;
      open[n] = bar.open;
      high[n] = h;
      low[n] = l;
      close[n] = c;
      volume[n] = v;
      n++;
      sumVolume += v;
      sumTypicalVolume += ((h + l + c) / 3) * v;
      if (h > hi) hi = h;
      if (l < lo) lo = l;
      if (t > expectedNextMs) {
        this.#gaps.push({ startMs: expectedNextMs, minutes: Math.round((t - expectedNextMs) / MINUTE_MS) });
      }
      expectedNextMs = t + MINUTE_MS;
    }
    r.length = n;
    this.#sumVolume = sumVolume;
    this.#sumTypicalVolume = sumTypicalVolume;
    this.#high = hi;
    this.#low = lo;
    this.#expectedNextMs = expectedNextMs;
    this.#lastStartMs = (bars[bars.length - 1] as Bar).startMs;
    this.#lastUpdateMs = this.#now() - t0;
    this.#totalUpdates += bars.length;
    this.#touch();
  }

  #appendExtended(bar: Bar, preMarket: boolean): void {
    this.#extended.push(bar.startMs, bar.open, bar.high, bar.low, bar.close, bar.volume);
    if (preMarket) this.#preMarketBars++;
    else this.#postMarketBars++;
  }

  /** Folds the pending 1m bars into 5m/15m/30m/1h and finishes buckets whose time is over. Returns bars folded. */
  foldDerived(): number {
    const r = this.#regular;
    const n = r.length - this.#folded;
    if (n > 0) {
      for (const d of this.#derived) d.addRange(r, this.#folded, r.length);
      this.#folded = r.length;
    }
    const settled = this.#settle();
    if (n > 0 || settled) this.#touch();
    return n;
  }

  /** Market time now: moves quality and the forming buckets on even when no bar arrives. */
  advanceTo(marketMs: number): void {
    if (marketMs <= this.#clockMs) return;
    this.#clockMs = marketMs;
    // Pending bars must be folded before their bucket may finish, so settle only when none are pending.
    if (this.#folded === this.#regular.length && this.#settle()) this.#touch();
    else this.#onChange?.(); // quality and the trailing gap follow market time
  }

  #settle(): boolean {
    const now = this.#effectiveNowMs();
    let any = false;
    for (const d of this.#derived) if (d.settle(now)) any = true;
    return any;
  }

  /** Loads 1m bars of earlier trading days (kept apart from the session; derived counts per day). */
  loadHistorical(bars: readonly Bar[], sessionOf: (date: IsoDate) => SessionWindow | null): void {
    let last =
      this.#history.length > 0 ? (this.#history.times[this.#history.length - 1] as number) : undefined;
    for (const bar of bars) {
      this.#validate(bar, last ?? Number.NEGATIVE_INFINITY);
      last = bar.startMs;
    }
    const byDay = new Map<IsoDate, Bar[]>();
    for (const bar of bars) {
      this.#history.push(bar.startMs, bar.open, bar.high, bar.low, bar.close, bar.volume);
      const day = nyDateOf(bar.startMs);
      const list = byDay.get(day);
      if (list === undefined) byDay.set(day, [bar]);
      else list.push(bar);
    }
    for (const [day, dayBars] of byDay) {
      const w = sessionOf(day);
      if (w === null) continue;
      const series = DERIVED_INTERVALS.map(([, m]) => new DerivedSeries(m));
      for (const s of series) s.reset(w.regularOpenMs, w.regularCloseMs);
      const table = new BarTable(false);
      for (const b of dayBars) {
        if (b.startMs < w.regularOpenMs || b.startMs >= w.regularCloseMs) continue;
        table.push(b.startMs, b.open, b.high, b.low, b.close, b.volume);
      }
      const regular = table.length;
      for (const s of series) s.addRange(table, 0, regular);
      const counts: Record<Interval, number> = this.#historyDays.get(day) ?? {
        '1m': 0,
        '5m': 0,
        '15m': 0,
        '30m': 0,
        '1h': 0,
      };
      counts['1m'] += regular;
      series.forEach((s, i) => {
        s.settle(w.regularCloseMs);
        const iv = (DERIVED_INTERVALS[i] as readonly [Interval, number])[0];
        counts[iv] += s.finished.length;
      });
      this.#historyDays.set(day, counts);
    }
    this.#historyVersion++;
    this.#touch();
  }

  /**
   * Forgets history before `keepFromDate` (New York date), so a long backtest that loads the previous day
   * every day holds only the days it asked for.
   */
  trimHistory(keepFromDate: IsoDate): void {
    const h = this.#history;
    const fromMs = nyMidnightMs(keepFromDate);
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((h.times[mid] as number) < fromMs) lo = mid + 1;
      else hi = mid;
    }
    let removedDays = false;
    for (const day of this.#historyDays.keys()) {
      if (day < keepFromDate) {
        this.#historyDays.delete(day);
        removedDays = true;
      }
    }
    if (lo === 0 && !removedDays) return;
    h.dropFirst(lo);
    this.#historyVersion++;
    this.#touch();
  }

  /** Regular-session gaps so far, including a trailing one up to market time. */
  gaps(): Gap[] {
    const out = this.#gaps.slice();
    const w = this.#window;
    if (w === null) return out;
    const end = Math.min(this.#elapsedEndMs(), w.regularCloseMs);
    if (end > this.#expectedNextMs) {
      out.push({
        startMs: this.#expectedNextMs,
        minutes: Math.round((end - this.#expectedNextMs) / MINUTE_MS),
      });
    }
    return out;
  }

  /** 1m bars present ÷ regular minutes elapsed × 100; null before the open or without a trading day. */
  quality(): number | null {
    const elapsed = this.#elapsedMinutes();
    if (elapsed <= 0) return null;
    return (this.#regular.length / elapsed) * 100;
  }

  /** The complete state now; unchanged parts are the same frozen objects as last time. */
  toJson(options: ToJsonOptions = {}): Json {
    const core = this.#coreJson();
    if (options.debug !== true) return core;
    // Every debug part changes only with the version (bars, folds, history, updates), and the core is the
    // same object while unchanged: nothing new to build.
    if (this.#debugVersion === this.#version && this.#debugParts[0] === core) return this.#debug;
    this.#debugVersion = this.#version;
    const bars = this.#barsJson();
    const history = this.#historyJsonPart();
    const performance = this.#performancePart();
    const parts = this.#debugParts;
    if (parts[0] !== core || parts[1] !== bars || parts[2] !== history || parts[3] !== performance) {
      this.#debugParts = [core, bars, history, performance];
      this.#debug = Object.freeze({
        ...(core as Record<string, Json>),
        current_bars: bars,
        historical_summary: history,
        performance,
      });
    }
    return this.#debug;
  }

  #check(bar: Bar, previousStartMs: number): void {
    this.#validate(bar, previousStartMs);
    const w = this.#window;
    if (w === null) throw new SessionDayError(barLabel(bar.symbol, bar.startMs), 'no trading day started');
    if (bar.startMs < w.preMarketStartMs || bar.startMs >= w.postMarketEndMs) {
      throw new SessionDayError(
        barLabel(bar.symbol, bar.startMs),
        `the bar is outside the trading day ${w.date} (${formatNyTime(w.preMarketStartMs)}–${formatNyTime(w.postMarketEndMs)} New York)`,
      );
    }
  }

  /** The bar rules of @sys/market-data and the symbol; not the day (history spans other days). */
  #validate(bar: Bar, previousStartMs: number): void {
    const problem = barProblem(
      bar,
      previousStartMs === Number.NEGATIVE_INFINITY ? undefined : previousStartMs,
    );
    if (problem !== undefined)
      throw new BarValidationError(barLabel(bar.symbol, bar.startMs), problem[0], problem[1]);
    if (bar.symbol !== this.symbol) {
      throw new SessionDayError(
        barLabel(bar.symbol, bar.startMs),
        `bar of ${bar.symbol} given to ${this.symbol}`,
      );
    }
  }

  /** Market time as far as this symbol knows: the clock, or the end of the last bar seen (it was visible). */
  #effectiveNowMs(): number {
    const lastEnd = this.#lastStartMs + MINUTE_MS;
    return Math.max(lastEnd, this.#clockMs);
  }

  #elapsedEndMs(): number {
    const w = this.#window;
    if (w === null) return 0;
    const now = this.#effectiveNowMs();
    const minutes = Math.floor((now - w.regularOpenMs) / MINUTE_MS);
    return w.regularOpenMs + Math.max(0, minutes) * MINUTE_MS;
  }

  #elapsedMinutes(): number {
    const w = this.#window;
    if (w === null) return 0;
    const end = Math.min(this.#elapsedEndMs(), w.regularCloseMs);
    return Math.max(0, Math.round((end - w.regularOpenMs) / MINUTE_MS));
  }

  readonly #parts = new Map<string, { key: string; value: Json }>();

  /** A small frozen part, rebuilt only when its key changes, so diffs skip it by reference. */
  #part(name: string, key: string, build: () => Json): Json {
    const cached = this.#parts.get(name);
    if (cached !== undefined && cached.key === key) return cached.value;
    const value = build();
    this.#parts.set(name, { key, value });
    return value;
  }

  #coreJson(): Json {
    const elapsed = this.#elapsedMinutes();
    if (this.#coreVersion === this.#version && this.#coreElapsed === elapsed && this.#core !== null) {
      return this.#core;
    }
    const r = this.#regular;
    const n = r.length;
    const d = this.#derived;
    const countsKey = `${n}|${d.map((s) => s.finished.length).join('|')}`;
    const firstMs = n > 0 ? (r.times[0] as number) : null;
    const lastMs = n > 0 ? (r.times[n - 1] as number) : null;
    const gaps = this.gaps();
    const lastGap = gaps[gaps.length - 1];
    const core: Record<string, Json> = {
      symbol: this.symbol,
      date: this.#window?.date ?? null,
      open: n > 0 ? (r.open[0] as number) : null,
      close: n > 0 ? (r.close[n - 1] as number) : null,
      volume: this.#sumVolume,
      high: n > 0 ? this.#high : null,
      low: n > 0 ? this.#low : null,
      vwap: this.#sumVolume > 0 ? this.#sumTypicalVolume / this.#sumVolume : null,
      bar_counts: this.#part('bar_counts', countsKey, () => {
        const counts: Record<string, Json> = { '1m': n };
        DERIVED_INTERVALS.forEach(([iv], i) => {
          counts[iv] = (d[i] as DerivedSeries).finished.length;
        });
        return Object.freeze(counts);
      }),
      bar_quality: this.quality(),
      gaps: this.#part('gaps', `${gaps.length}|${lastGap?.startMs}|${lastGap?.minutes}`, () =>
        gaps.length === 0
          ? NO_GAPS
          : Object.freeze(
              gaps.map((g) => Object.freeze({ start: formatNyTime(g.startMs), minutes: g.minutes })),
            ),
      ),
      bars_updated: this.barsUpdated,
      time_range: this.#part('time_range', `${firstMs}|${lastMs}`, () =>
        Object.freeze({
          first_bar: firstMs === null ? null : formatNyTime(firstMs),
          last_bar: lastMs === null ? null : formatNyTime(lastMs),
        }),
      ),
      extended_hours: this.#part('extended_hours', `${this.#preMarketBars}|${this.#postMarketBars}`, () =>
        Object.freeze({ pre_market_bars: this.#preMarketBars, post_market_bars: this.#postMarketBars }),
      ),
    };
    this.#core = Object.freeze(core);
    this.#coreVersion = this.#version;
    this.#coreElapsed = elapsed;
    return this.#core;
  }

  #barsJson(): Json {
    const tables: Json[] = [this.#tableJson(0, this.#regular, null)];
    DERIVED_INTERVALS.forEach((_, i) => {
      const d = this.#derived[i] as DerivedSeries;
      tables.push(this.#tableJson(i + 1, d.finished, d));
    });
    const prev = this.#barsCache;
    if (prev !== null && tables.every((t, i) => prev.tables[i] === t)) return prev.json;
    const json: Record<string, Json> = {};
    INTERVALS.forEach((iv, i) => {
      json[iv] = tables[i] as Json;
    });
    this.#barsCache = { tables, json: Object.freeze(json) };
    return this.#barsCache.json;
  }

  #barsCache: { tables: Json[]; json: Json } | null = null;

  #tableJson(slot: number, table: BarTable, series: DerivedSeries | null): Json {
    const cache = this.#rowCaches[slot] as RowCache;
    const forming = series?.forming() ?? null;
    const formingKey = forming === null ? '' : forming.join(',');
    if (cache.table !== null && cache.rows.length === table.length && this.#formingKey[slot] === formingKey) {
      return cache.table;
    }
    for (let i = cache.rows.length; i < table.length; i++) {
      const row: Json[] = [
        formatNyTime(table.times[i] as number),
        table.open[i] as number,
        table.high[i] as number,
        table.low[i] as number,
        table.close[i] as number,
        table.volume[i] as number,
      ];
      if (series !== null) row.push(table.minutes[i] as number, table.possible[i] as number);
      cache.rows.push(Object.freeze(row));
    }
    if ((cache.data as Json[]).length !== cache.rows.length) {
      cache.data = Object.freeze(cache.rows.slice());
    }
    const interval = INTERVALS[slot] as Interval;
    const contract: Record<string, Json> =
      series === null
        ? { interval, label: 'start', closed: 'left', columns: BAR_COLUMNS, data: cache.data }
        : {
            interval,
            label: 'start',
            closed: 'left',
            anchor: '09:30',
            cut_at_close: true,
            columns: DERIVED_COLUMNS,
            data: cache.data,
            forming:
              forming === null
                ? null
                : (Object.freeze([formatNyTime(forming[0] as number), ...forming.slice(1)]) as Json),
          };
    cache.table = Object.freeze(contract);
    this.#formingKey[slot] = formingKey;
    return cache.table;
  }

  #historyJsonPart(): Json {
    if (this.#historyJsonVersion === this.#historyVersion && this.#historyJson !== null)
      return this.#historyJson;
    const counts: Record<Interval, number> = { '1m': 0, '5m': 0, '15m': 0, '30m': 0, '1h': 0 };
    let start: IsoDate | null = null;
    let end: IsoDate | null = null;
    for (const [day, c] of this.#historyDays) {
      for (const iv of INTERVALS) counts[iv] += c[iv];
      if (start === null || day < start) start = day;
      if (end === null || day > end) end = day;
    }
    this.#historyJson = Object.freeze({
      loaded: this.#history.length > 0,
      bar_counts: Object.freeze(counts),
      date_range: Object.freeze({ start, end }),
    });
    this.#historyJsonVersion = this.#historyVersion;
    return this.#historyJson;
  }

  #performancePart(): Json {
    if (this.#performanceUpdates === this.#totalUpdates && this.#performanceJson !== null)
      return this.#performanceJson;
    this.#performanceJson = Object.freeze({
      last_update_ms: Math.round(this.#lastUpdateMs * 1000) / 1000,
      total_updates: this.#totalUpdates,
    });
    this.#performanceUpdates = this.#totalUpdates;
    return this.#performanceJson;
  }
}
