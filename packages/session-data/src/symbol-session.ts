import { type Json, JsonMemo, type Serializable, sealJson, type ToJsonOptions } from '@sys/core';
import { type Bar, BarValidationError, barLabel, barProblem, validateBar } from '@sys/market-data';
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
import { type SessionIndicatorSpec, SymbolIndicators } from './indicators.js';
import { DERIVED_INTERVALS, INTERVALS, type Interval } from './intervals.js';
import type {
  BarColumnsJson,
  BarCountsJson,
  BarRowJson,
  CurrentBarsJson,
  DerivedBarColumnsJson,
  DerivedBarRowJson,
  DerivedBarTableJson,
  GapJson,
  HistoricalSummaryJson,
  MinuteBarTableJson,
  SymbolJson,
  SymbolPerformanceJson,
} from './wire.js';

const BAR_COLUMNS = sealJson(['timestamp', 'open', 'high', 'low', 'close', 'volume']) as BarColumnsJson;
const DERIVED_COLUMNS = sealJson([
  'timestamp',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'minutes',
  'possible_minutes',
]) as DerivedBarColumnsJson;
const NO_GAPS = sealJson([]) as readonly GapJson[];

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
  /** Indicators to keep for this symbol, fed by its closed bars (none by default). */
  indicators?: readonly SessionIndicatorSpec[];
}

/**
 * One table's JSON: its rows turned into sealed JSON rows once each (a table only grows during a day), the
 * `data` array over them, and the table with its contract.
 */
class TableJson<Row extends Json, Table extends Json> {
  rows: Row[] = [];
  // Every row is sealed when it is made, so a new `data` array costs its copy, not a check of each row.
  readonly data = new JsonMemo<readonly Row[]>({ partsSealed: true });
  readonly table = new JsonMemo<Table>({ partsSealed: true });

  /** A new day: the rows start afresh, and a memo keyed by a row count must not give back last day's. */
  clear(): void {
    this.rows = [];
    this.data.invalidate();
    this.table.invalidate();
  }

  /** `data` over the rows held: the same array until a row is appended. */
  dataJson(): readonly Row[] {
    return this.data.get(undefined, this.rows.length, () => this.rows.slice());
  }
}

/** The memos behind the debug parts of one symbol's JSON. */
class DebugMemos {
  readonly minuteTable = new TableJson<BarRowJson, MinuteBarTableJson>();
  readonly derivedTables = DERIVED_INTERVALS.map(
    () => new TableJson<DerivedBarRowJson, DerivedBarTableJson>(),
  );
  readonly barsJson = new JsonMemo<CurrentBarsJson>({ partsSealed: true });
  readonly historyJson = new JsonMemo<HistoricalSummaryJson>();
  readonly performanceJson = new JsonMemo<SymbolPerformanceJson>({ partsSealed: true });
}

/**
 * One symbol's state for one trading day: regular-session 1m bars and the four derived intervals in
 * columnar typed arrays, pre- and post-market bars kept apart, the session figures (volume, high, low,
 * VWAP by typical price) over the regular session only, quality and gaps, and historical bars of earlier
 * days. `toJson` gives back the same frozen objects while a part has not changed.
 */
export class SymbolSessionData implements Serializable<SymbolJson> {
  /** The symbol. */
  readonly symbol: string;
  readonly #now: () => number;
  #window: SessionWindow | null = null;
  // A full regular session is 390 minutes: sized so a normal day never grows (42 bytes per bar, the start
  // kept as its minute after the open).
  readonly #regular = new BarTable(false, 390, true);
  readonly #extended = new BarTable(false);
  #preMarketBars = 0;
  #postMarketBars = 0;
  readonly #derived = DERIVED_INTERVALS.map(([, m]) => new DerivedSeries(m));
  #folded = 0;
  /** The earliest market time at which a forming derived bucket is finished (+Infinity when none forms). */
  #settleAtMs = Number.POSITIVE_INFINITY;
  /**
   * A 1m bar before this time falls in every interval's forming bucket (the shortest one's end, as buckets
   * nest), so folding it changes no derived series; -Infinity when some interval has no bucket forming.
   */
  #foldEndMs = Number.NEGATIVE_INFINITY;
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
  #corrections = 0;
  /**
   * Bumped on every change of anything the JSON shows: bars, figures, history, and the regular minutes
   * elapsed (quality and the trailing gap follow market time by whole minutes). Keys the JSON of both faces.
   */
  #version = 0;
  /** The regular minutes elapsed that the current version was built for; -1 after any other change. */
  #elapsedShown = -1;
  #historyVersion = 0;
  // Every object inside the symbol's JSON is the answer of one of these memos, sealed when it was made, so
  // a rebuild checks only the figures (partsSealed): one symbol's new minute costs no walk of its parts.
  readonly #json = new JsonMemo<SymbolJson>({ partsSealed: true });
  readonly #barCountsJson = new JsonMemo<BarCountsJson>({ partsSealed: true });
  readonly #gapsJson = new JsonMemo<readonly GapJson[]>();
  readonly #timeRangeJson = new JsonMemo<SymbolJson['time_range']>({ partsSealed: true });
  readonly #extendedJson = new JsonMemo<SymbolJson['extended_hours']>({ partsSealed: true });
  /** The memos of the debug parts, made at the first debug read: most symbols are never read with debug. */
  #debugMemos: DebugMemos | null = null;
  /** The declared indicators, or null when none are (the ingest path then does nothing more). */
  readonly #indicators: SymbolIndicators | null;
  /** Regular 1m rows and finished derived bars already fed to the indicators. */
  #fedMinutes = 0;
  readonly #fedDerived = [0, 0, 0, 0];

  constructor(symbol: string, options: SymbolSessionOptions = {}) {
    this.symbol = symbol;
    this.#now = options.now ?? (() => performance.now());
    this.#onChange = options.onChange ?? null;
    const specs = options.indicators ?? [];
    this.#indicators = specs.length === 0 ? null : new SymbolIndicators(symbol, specs);
  }

  readonly #onChange: (() => void) | null;

  /** A change of bars or figures: new JSON on the next read, and the owner is told. */
  #touch(): void {
    this.#version++;
    this.#elapsedShown = -1;
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

  /** Bars of this day a feed corrected after they were stored (`bars_updated`). */
  get barsUpdated(): number {
    return this.#corrections;
  }

  /** Bytes held by the bar columns (capacity), for memory figures. */
  get sizeBytes(): number {
    return (
      this.#regular.sizeBytes +
      this.#extended.sizeBytes +
      this.#history.sizeBytes +
      this.#derived.reduce((n, d) => n + d.sizeBytes, 0)
    );
  }

  /** Starts a trading day: session bars, figures, gaps and derived bars start afresh; history is kept. */
  reset(window: SessionWindow | null): void {
    this.#window = window;
    this.#regular.clear(window?.regularOpenMs ?? 0);
    this.#extended.clear();
    this.#preMarketBars = 0;
    this.#postMarketBars = 0;
    for (const d of this.#derived)
      d.reset(this.#regular, window?.regularOpenMs ?? 0, window?.regularCloseMs ?? 0);
    this.#folded = 0;
    this.#corrections = 0;
    this.#settleAtMs = Number.POSITIVE_INFINITY;
    this.#foldEndMs = Number.NEGATIVE_INFINITY;
    this.#lastStartMs = Number.NEGATIVE_INFINITY;
    this.#clockMs = Number.NEGATIVE_INFINITY;
    this.#sumVolume = 0;
    this.#sumTypicalVolume = 0;
    this.#high = Number.NEGATIVE_INFINITY;
    this.#low = Number.POSITIVE_INFINITY;
    this.#gaps = [];
    this.#expectedNextMs = window?.regularOpenMs ?? 0;
    this.#indicators?.newDay(
      window === null ? 0 : Math.max(0, (window.regularCloseMs - window.regularOpenMs) / MINUTE_MS),
    );
    this.#fedMinutes = 0;
    this.#fedDerived.fill(0);
    if (this.#debugMemos !== null) {
      this.#debugMemos.minuteTable.clear();
      for (const t of this.#debugMemos.derivedTables) t.clear();
    }
    this.#touch();
  }

  /**
   * Takes one released 1m bar of this day. Validated first (the one bar validation of @sys/market-data,
   * times strictly increasing); a bad bar throws and changes nothing.
   */
  ingest(bar: Bar): void {
    const t0 = this.#now();
    this.#check(bar, this.#lastStartMs);
    this.#store(bar);
    this.#stored(1);
    this.#lastUpdateMs = this.#now() - t0;
  }

  /** Takes a batch of 1m bars in time order: all are validated before any is stored. */
  ingestMany(bars: readonly Bar[]): void {
    if (bars.length === 0) return;
    const t0 = this.#now();
    this.checkMany(bars);
    this.#appendAll(bars);
    this.#lastUpdateMs = this.#now() - t0;
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

  /** Validates one bar as ingest would, storing nothing; throws if it is bad. */
  checkBar(bar: Bar): void {
    this.#check(bar, this.#lastStartMs);
  }

  /**
   * Stores a batch that checkMany has just accepted (SessionData checks every symbol before storing any).
   * The caller times its whole batch and gives the time to `recordUpdateMs`.
   */
  ingestChecked(bars: readonly Bar[]): void {
    if (bars.length > 0) this.#appendAll(bars);
  }

  /** Stores one bar that checkBar has just accepted: the engine's per-minute path, one bar per symbol. */
  ingestCheckedBar(bar: Bar): void {
    this.#store(bar);
    this.#stored(1);
  }

  /** The wall time of the last ingest that gave this symbol bars (`performance.last_update_ms`). */
  recordUpdateMs(ms: number): void {
    this.#lastUpdateMs = ms;
  }

  /**
   * A feed's correction of a bar already stored: the bar of the same minute is replaced in place and the
   * session figures are summed again (derived bars read the 1m rows, so they follow). `same` when the stored
   * bar has exactly these values (a duplicate: nothing changes), `absent` when no bar of that minute is held.
   */
  correct(bar: Bar): 'updated' | 'same' | 'absent' {
    const w = this.#window;
    if (w === null) return 'absent';
    const regular = bar.startMs >= w.regularOpenMs && bar.startMs < w.regularCloseMs;
    const table = regular ? this.#regular : this.#extended;
    const i = findRow(table, bar.startMs);
    if (i < 0) return 'absent';
    if (
      table.open[i] === bar.open &&
      table.high[i] === bar.high &&
      table.low[i] === bar.low &&
      table.close[i] === bar.close &&
      table.volume[i] === bar.volume
    )
      return 'same';
    validateBar(bar, barLabel(bar.symbol, bar.startMs));
    table.open[i] = bar.open;
    table.high[i] = bar.high;
    table.low[i] = bar.low;
    table.close[i] = bar.close;
    table.volume[i] = bar.volume;
    if (regular) {
      let sumVolume = 0;
      let sumTypicalVolume = 0;
      let hi = Number.NEGATIVE_INFINITY;
      let lo = Number.POSITIVE_INFINITY;
      const r = this.#regular;
      for (let k = 0; k < r.length; k++) {
        const h = r.high[k] as number;
        const l = r.low[k] as number;
        const v = r.volume[k] as number;
        sumVolume += v;
        sumTypicalVolume += ((h + l + (r.close[k] as number)) / 3) * v;
        if (h > hi) hi = h;
        if (l < lo) lo = l;
      }
      this.#sumVolume = sumVolume;
      this.#sumTypicalVolume = sumTypicalVolume;
      this.#high = hi;
      this.#low = lo;
      // Tables on the wire are append-only: a row changed in place is shown by building them afresh.
      if (this.#debugMemos !== null) {
        this.#debugMemos.minuteTable.clear();
        for (const t of this.#debugMemos.derivedTables) t.clear();
      }
    }
    this.#corrections++;
    this.#totalUpdates++;
    this.#touch();
    return 'updated';
  }

  /** Stores one checked bar: into the regular table and the session figures, or apart as extended hours. */
  #store(bar: Bar): void {
    const w = this.#window as SessionWindow;
    const t = bar.startMs;
    if (t < w.regularOpenMs || t >= w.regularCloseMs) {
      this.#appendExtended(bar, t < w.regularOpenMs);
    } else {
      const h = bar.high;
      const l = bar.low;
      const c = bar.close;
      const v = bar.volume;
      this.#regular.push(t, bar.open, h, l, c, v);
      this.#sumVolume += v;
      this.#sumTypicalVolume += ((h + l + c) / 3) * v;
      if (h > this.#high) this.#high = h;
      if (l < this.#low) this.#low = l;
      const expectedNextMs = this.#expectedNextMs;
      if (t > expectedNextMs) {
        this.#gaps.push({ startMs: expectedNextMs, minutes: Math.round((t - expectedNextMs) / MINUTE_MS) });
      }
      this.#expectedNextMs = t + MINUTE_MS;
    }
    this.#lastStartMs = t;
  }

  /** `n` bars were stored. */
  #stored(n: number): void {
    this.#totalUpdates += n;
    if (this.#indicators !== null) this.#feedMinutes(this.#indicators);
    this.#touch();
  }

  /** Feeds the regular 1m rows stored since the last call to the 1m indicators (a stored 1m bar is closed). */
  #feedMinutes(ind: SymbolIndicators): void {
    const r = this.#regular;
    const n = r.length;
    if (ind.feeds(0)) {
      const { high, low, close, volume } = r;
      for (let i = this.#fedMinutes; i < n; i++) {
        ind.feed(
          0,
          r.timeAt(i),
          high[i] as number,
          low[i] as number,
          close[i] as number,
          volume[i] as number,
          true,
        );
      }
    }
    this.#fedMinutes = n;
  }

  /** Feeds derived bars finished since the last call (never the forming one) to their indicators. */
  #feedDerived(ind: SymbolIndicators): void {
    for (let i = 0; i < this.#derived.length; i++) {
      const d = this.#derived[i] as DerivedSeries;
      let k = this.#fedDerived[i] as number;
      if (k === d.length) continue;
      if (ind.feeds(i + 1)) {
        for (; k < d.length; k++) {
          const b = d.bar(k);
          ind.feed(i + 1, b[0], b[2], b[3], b[4], b[5], true);
        }
      }
      this.#fedDerived[i] = d.length;
    }
  }

  #appendAll(bars: readonly Bar[]): void {
    // The hot path of a day's batch: one loop writing straight into the columns, figures kept in locals.
    const w = this.#window as SessionWindow;
    const openMs = w.regularOpenMs;
    const closeMs = w.regularCloseMs;
    const r = this.#regular;
    r.reserve(bars.length);
    const { minuteOffsets, open, high, low, close, volume } = r;
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
      minuteOffsets[n] = (t - openMs) / MINUTE_MS;
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
    this.#stored(bars.length);
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
    // Most minutes extend the forming buckets (rows are in time order, so the last decides): nothing to fold.
    if (n > 0 && r.timeAt(r.length - 1) >= this.#foldEndMs) {
      let next = Number.POSITIVE_INFINITY;
      let foldEnd = Number.POSITIVE_INFINITY;
      for (const d of this.#derived) {
        d.fold(this.#folded, r.length);
        if (d.settleAtMs < next) next = d.settleAtMs;
        if (d.formingEndMs < foldEnd) foldEnd = d.formingEndMs;
      }
      this.#settleAtMs = next;
      this.#foldEndMs = foldEnd;
    }
    this.#folded = r.length;
    const settled = this.#settle();
    if (n > 0 || settled) {
      if (this.#indicators !== null) this.#feedDerived(this.#indicators);
      this.#touch();
    }
    return n;
  }

  /** Market time now: moves quality and the forming buckets on even when no bar arrives. */
  advanceTo(marketMs: number): void {
    if (marketMs <= this.#clockMs) return;
    this.#clockMs = marketMs;
    // Pending bars must be folded before their bucket may finish, so settle only when none are pending.
    const settled = this.#folded === this.#regular.length && this.#settle();
    // Quality and the trailing gap follow market time by whole minutes: a new minute is a change.
    const elapsed = this.#elapsedMinutes();
    if (settled && this.#indicators !== null) this.#feedDerived(this.#indicators);
    if (settled || elapsed !== this.#elapsedShown) {
      this.#touch();
      this.#elapsedShown = elapsed;
    }
  }

  #settle(): boolean {
    const now = this.#effectiveNowMs();
    // Most minutes finish no bucket: one comparison, not one per interval.
    if (now < this.#settleAtMs) return false;
    let any = false;
    let next = Number.POSITIVE_INFINITY;
    let foldEnd = Number.POSITIVE_INFINITY;
    for (const d of this.#derived) {
      if (d.settle(now, this.#folded)) any = true;
      if (d.settleAtMs < next) next = d.settleAtMs;
      if (d.formingEndMs < foldEnd) foldEnd = d.formingEndMs;
    }
    this.#settleAtMs = next;
    this.#foldEndMs = foldEnd;
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
      const table = new BarTable(false);
      for (const b of dayBars) {
        if (b.startMs < w.regularOpenMs || b.startMs >= w.regularCloseMs) continue;
        table.push(b.startMs, b.open, b.high, b.low, b.close, b.volume);
      }
      const regular = table.length;
      const series = DERIVED_INTERVALS.map(([, m]) => new DerivedSeries(m));
      for (const s of series) {
        s.reset(table, w.regularOpenMs, w.regularCloseMs);
        s.fold(0, regular);
      }
      const counts: Record<Interval, number> = this.#historyDays.get(day) ?? {
        '1m': 0,
        '5m': 0,
        '15m': 0,
        '30m': 0,
        '1h': 0,
      };
      counts['1m'] += regular;
      series.forEach((s, i) => {
        s.settle(w.regularCloseMs, regular);
        const iv = (DERIVED_INTERVALS[i] as readonly [Interval, number])[0];
        counts[iv] += s.length;
      });
      if (this.#indicators !== null) this.#warmUp(this.#indicators, w, table, series);
      this.#historyDays.set(day, counts);
    }
    this.#historyVersion++;
    this.#touch();
  }

  /** Feeds one history day's regular bars, 1m and derived (all finished at its close), to the indicators. */
  #warmUp(ind: SymbolIndicators, w: SessionWindow, table: BarTable, series: readonly DerivedSeries[]): void {
    ind.historyDay(w.regularOpenMs);
    const { times, high, low, close, volume } = table;
    for (let i = 0; i < table.length; i++) {
      ind.feed(
        0,
        times[i] as number,
        high[i] as number,
        low[i] as number,
        close[i] as number,
        volume[i] as number,
        false,
      );
    }
    series.forEach((s, i) => {
      if (!ind.feeds(i + 1)) return;
      for (let k = 0; k < s.length; k++) {
        const b = s.bar(k);
        ind.feed(i + 1, b[0], b[2], b[3], b[4], b[5], false);
      }
    });
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

  /** The complete state now; unchanged parts are the same sealed objects as last time. */
  toJson(options?: ToJsonOptions): SymbolJson {
    // The hot path of every read: one number compared per symbol while nothing changed.
    return this.#json.get(options, this.#version, this.#build);
  }

  readonly #build = (debug: boolean): SymbolJson => {
    if (!debug) return this.#coreJson();
    this.#debugMemos ??= new DebugMemos();
    // Every debug part changes only with the version, as the core does.
    const indicators = this.#indicators;
    return {
      ...this.#json.get(undefined, this.#version, this.#build),
      current_bars: this.#currentBarsJson(),
      ...(indicators === null ? {} : { indicator_series: indicators.seriesJson() }),
      historical_summary: this.#historyJsonPart(),
      performance: this.#performancePart(),
    };
  };

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

  #coreJson(): SymbolJson {
    const r = this.#regular;
    const n = r.length;
    const d = this.#derived;
    const firstMs = n > 0 ? r.timeAt(0) : null;
    const lastMs = n > 0 ? r.timeAt(n - 1) : null;
    const gaps = this.gaps();
    const lastGap = gaps[gaps.length - 1];
    const pre = this.#preMarketBars;
    const post = this.#postMarketBars;
    const counts = [n, 0, 0, 0, 0];
    for (let i = 0; i < d.length; i++) counts[i + 1] = (d[i] as DerivedSeries).length;
    return {
      symbol: this.symbol,
      date: this.#window?.date ?? null,
      open: n > 0 ? (r.open[0] as number) : null,
      close: n > 0 ? (r.close[n - 1] as number) : null,
      volume: this.#sumVolume,
      high: n > 0 ? this.#high : null,
      low: n > 0 ? this.#low : null,
      vwap: this.#sumVolume > 0 ? this.#sumTypicalVolume / this.#sumVolume : null,
      // The small parts keep their identity while their own values are unchanged, so a diff skips them.
      bar_counts: this.#barCountsJson.get(undefined, counts, () => ({
        '1m': counts[0] as number,
        '5m': counts[1] as number,
        '15m': counts[2] as number,
        '30m': counts[3] as number,
        '1h': counts[4] as number,
      })),
      bar_quality: this.quality(),
      gaps: this.#gapsJson.get(undefined, [gaps.length, lastGap?.startMs, lastGap?.minutes], () =>
        gaps.length === 0
          ? NO_GAPS
          : gaps.map((g) => Object.freeze({ start: formatNyTime(g.startMs), minutes: g.minutes })),
      ),
      bars_updated: this.barsUpdated,
      time_range: this.#timeRangeJson.get(undefined, [firstMs, lastMs], () => ({
        first_bar: firstMs === null ? null : formatNyTime(firstMs),
        last_bar: lastMs === null ? null : formatNyTime(lastMs),
      })),
      extended_hours: this.#extendedJson.get(undefined, [pre, post], () => ({
        pre_market_bars: pre,
        post_market_bars: post,
      })),
      ...(this.#indicators === null ? {} : { indicators: this.#indicators.json() }),
    };
  }

  #currentBarsJson(): CurrentBarsJson {
    const t1m = this.#minuteTableJson();
    const t5 = this.#derivedTableJson(0);
    const t15 = this.#derivedTableJson(1);
    const t30 = this.#derivedTableJson(2);
    const t1h = this.#derivedTableJson(3);
    return (this.#debugMemos as DebugMemos).barsJson.get(undefined, [t1m, t5, t15, t30, t1h], () => ({
      '1m': t1m,
      '5m': t5,
      '15m': t15,
      '30m': t30,
      '1h': t1h,
    }));
  }

  #minuteTableJson(): MinuteBarTableJson {
    const t = this.#regular;
    const json = (this.#debugMemos as DebugMemos).minuteTable;
    for (let i = json.rows.length; i < t.length; i++) {
      json.rows.push(
        sealJson([
          formatNyTime(t.timeAt(i)),
          t.open[i] as number,
          t.high[i] as number,
          t.low[i] as number,
          t.close[i] as number,
          t.volume[i] as number,
        ]) as BarRowJson,
      );
    }
    const data = json.dataJson();
    return json.table.get(undefined, [data], () => ({
      interval: '1m',
      label: 'start',
      closed: 'left',
      columns: BAR_COLUMNS,
      data,
    }));
  }

  #derivedTableJson(i: number): DerivedBarTableJson {
    const series = this.#derived[i] as DerivedSeries;
    const json = (this.#debugMemos as DebugMemos).derivedTables[i] as TableJson<
      DerivedBarRowJson,
      DerivedBarTableJson
    >;
    for (let k = json.rows.length; k < series.length; k++) {
      const b = series.bar(k);
      json.rows.push(
        sealJson([formatNyTime(b[0]), b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as DerivedBarRowJson,
      );
    }
    const data = json.dataJson();
    const f = series.forming(this.#folded);
    const interval = DERIVED_INTERVALS[i]?.[0] as DerivedBarTableJson['interval'];
    return json.table.get(undefined, f === null ? [data] : [data, ...f], () => ({
      interval,
      label: 'start',
      closed: 'left',
      anchor: '09:30',
      cut_at_close: true,
      columns: DERIVED_COLUMNS,
      data,
      forming:
        f === null
          ? null
          : (sealJson([formatNyTime(f[0]), f[1], f[2], f[3], f[4], f[5], f[6], f[7]]) as DerivedBarRowJson),
    }));
  }

  #historyJsonPart(): HistoricalSummaryJson {
    return (this.#debugMemos as DebugMemos).historyJson.get(undefined, this.#historyVersion, () => {
      const counts = { '1m': 0, '5m': 0, '15m': 0, '30m': 0, '1h': 0 };
      let start: IsoDate | null = null;
      let end: IsoDate | null = null;
      for (const [day, c] of this.#historyDays) {
        for (const iv of INTERVALS) counts[iv] += c[iv];
        if (start === null || day < start) start = day;
        if (end === null || day > end) end = day;
      }
      return { loaded: this.#history.length > 0, bar_counts: counts, date_range: { start, end } };
    });
  }

  #performancePart(): SymbolPerformanceJson {
    return (this.#debugMemos as DebugMemos).performanceJson.get(undefined, this.#totalUpdates, () => ({
      last_update_ms: Math.round(this.#lastUpdateMs * 1000) / 1000,
      total_updates: this.#totalUpdates,
    }));
  }
}

/** Row of `table` (rows in time order) starting at `startMs`, or -1. */
function findRow(table: BarTable, startMs: number): number {
  let lo = 0;
  let hi = table.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = table.timeAt(mid);
    if (t === startMs) return mid;
    if (t < startMs) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
