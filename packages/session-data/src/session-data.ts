import { JsonMemo, type Serializable, setOwn, type ToJsonOptions } from '@sys/core';
import { type Bar, isSymbol } from '@sys/market-data';
import { formatNyTime, type IsoDate, NyseCalendar, nyDateOf, type SessionWindow } from '@sys/market-time';
import { SessionDayError, SymbolNameError, UnknownSymbolError } from './errors.js';
import type { SessionIndicatorSpec } from './indicators.js';
import { SymbolSessionData, type SymbolSessionOptions } from './symbol-session.js';
import type { SessionDataJson, SessionJson, SessionSystemJson, SymbolJson } from './wire.js';

/** Fields of `session` that a coordinator sets. */
export interface SessionFields {
  date?: IsoDate | null;
  timeMs?: number | null;
  active?: boolean;
  ended?: boolean;
}

/** Options of SessionData. */
export interface SessionDataOptions extends Omit<SymbolSessionOptions, 'indicators'> {
  /** The exchange calendar (to find a day's session windows). Default: a new NyseCalendar. */
  calendar?: NyseCalendar;
  /** Indicators of every symbol, or a function giving each symbol's (none by default). */
  indicators?: readonly SessionIndicatorSpec[] | ((symbol: string) => readonly SessionIndicatorSpec[]);
}

const PLAIN: ToJsonOptions = Object.freeze({ debug: false });
const DEBUG: ToJsonOptions = Object.freeze({ debug: true });

/**
 * All symbols of one trading session, plus the `system` and `session` facts the coordinators keep. The
 * JSON aggregates the symbols' own cached objects, so an unchanged symbol is never serialised again.
 */
export class SessionData implements Serializable<SessionDataJson> {
  readonly #symbols = new Map<string, SymbolSessionData>();
  /** The same symbols in the same order, for the per-minute loops (an array walks faster than a map). */
  #list: SymbolSessionData[] = [];
  readonly #calendar: NyseCalendar;
  readonly #options: SymbolSessionOptions;
  readonly #now: () => number;
  readonly #indicatorsOf: (symbol: string) => readonly SessionIndicatorSpec[];
  /**
   * The symbols of the last batch, by position: the engine hands over the same symbols in the same order
   * every minute, so a batch usually finds each bar's symbol here without a map lookup. Reused, never shrunk.
   */
  #batchSymbols: SymbolSessionData[] = [];
  /** How many leading entries of #batchSymbols are known to be distinct symbols still held. */
  #batchDistinct = 0;
  #window: SessionWindow | null = null;
  #system = { state: 'stopped', mode: 'backtest' };
  #session: { date: IsoDate | null; timeMs: number | null; active: boolean; ended: boolean } = {
    date: null,
    timeMs: null,
    active: false,
    ended: false,
  };
  /** Bumped by every mutation, and by any symbol's change: keys the whole JSON of both faces. */
  #version = 0;
  readonly #markDirty = (): void => {
    this.#version++;
  };
  readonly #json = new JsonMemo<SessionDataJson>();
  // Keyed by the parts, so a mutation that left every part as it was keeps the same top object.
  readonly #top = new JsonMemo<SessionDataJson>({ partsSealed: true });
  readonly #systemJson = new JsonMemo<SessionSystemJson>({ partsSealed: true });
  readonly #sessionJson = new JsonMemo<SessionJson>({ partsSealed: true });
  // Each symbol's JSON is its own memo's sealed answer: a new map costs its keys, not a check of each.
  readonly #symbolsJson = new JsonMemo<SessionDataJson['symbols']>({ partsSealed: true });

  constructor(options: SessionDataOptions = {}) {
    this.#calendar = options.calendar ?? new NyseCalendar();
    this.#options = { ...(options.now ? { now: options.now } : {}), onChange: this.#markDirty };
    this.#now = options.now ?? (() => performance.now());
    const ind = options.indicators ?? [];
    this.#indicatorsOf = typeof ind === 'function' ? ind : () => ind;
  }

  /** The calendar in use. */
  get calendar(): NyseCalendar {
    return this.#calendar;
  }

  /** The trading day held, or null. */
  get window(): SessionWindow | null {
    return this.#window;
  }

  /** Adds a symbol (or returns it when present); it joins the current trading day. */
  addSymbol(symbol: string): SymbolSessionData {
    if (!isSymbol(symbol)) throw new SymbolNameError(symbol);
    let s = this.#symbols.get(symbol);
    if (s === undefined) {
      const indicators = this.#indicatorsOf(symbol);
      s = new SymbolSessionData(
        symbol,
        indicators.length === 0 ? this.#options : { ...this.#options, indicators },
      );
      s.reset(this.#window);
      this.#symbols.set(symbol, s);
      this.#list.push(s);
      this.#markDirty();
    }
    return s;
  }

  /** Removes a symbol; returns whether it was there. */
  removeSymbol(symbol: string): boolean {
    this.#markDirty();
    this.#batchDistinct = 0;
    const s = this.#symbols.get(symbol);
    if (s === undefined) return false;
    this.#symbols.delete(symbol);
    this.#list = this.#list.filter((x) => x !== s);
    return true;
  }

  /** The symbol's state, or undefined. */
  getSymbol(symbol: string): SymbolSessionData | undefined {
    return this.#symbols.get(symbol);
  }

  /** Symbol names, in the order added. */
  symbols(): string[] {
    return [...this.#symbols.keys()];
  }

  /** Sets `system { state, mode }`. */
  setSystem(state: string, mode: string): void {
    this.#system = { state, mode };
    this.#markDirty();
  }

  /** Sets fields of `session`. */
  setSession(fields: SessionFields): void {
    this.#session = { ...this.#session, ...fields };
    this.#markDirty();
  }

  /** Starts a trading day for every symbol: session bars reset, history kept. */
  startDay(window: SessionWindow): void {
    this.#window = window;
    for (const s of this.#symbols.values()) s.reset(window);
    this.#session = { ...this.#session, date: window.date, active: false, ended: false };
    this.#markDirty();
  }

  /** Loads earlier days' 1m bars of one symbol (added if missing). */
  loadHistorical(symbol: string, bars: readonly Bar[]): void {
    this.addSymbol(symbol).loadHistorical(bars, (d) => this.#calendar.session(d));
  }

  /** Forgets every symbol's history before `keepFromDate` (New York date). */
  trimHistory(keepFromDate: IsoDate): void {
    for (const s of this.#symbols.values()) s.trimHistory(keepFromDate);
  }

  /**
   * Takes one released 1m bar. An unknown symbol is an error; the first bar with no day started starts
   * the trading day of its own New York date (an error when the market is closed that day).
   */
  ingest(bar: Bar): void {
    const s = this.#symbolOf(bar);
    this.#ensureDay(bar);
    s.ingest(bar);
  }

  /**
   * A feed's correction of a stored bar of the current day (see SymbolSessionData.correct): `updated`,
   * `same` (a duplicate) or `absent` (no bar of that minute is held). An unknown symbol is an error.
   */
  correct(bar: Bar): 'updated' | 'same' | 'absent' {
    return this.#symbolOf(bar).correct(bar);
  }

  /** Takes a batch of bars (any symbols, time order per symbol); every bar is checked before any is stored. */
  ingestMany(bars: readonly Bar[]): void {
    if (bars.length === 0) return;
    const first = bars[0] as Bar;
    this.#ensureDay(first);
    const t0 = this.#now();
    const n = bars.length;
    const symbols = this.#batchSymbols;
    // The engine's path: one bar per symbol, the same symbols in the same order as the last minute.
    let i = 0;
    const known = Math.min(n, this.#batchDistinct);
    while (i < known && (symbols[i] as SymbolSessionData).symbol === (bars[i] as Bar).symbol) i++;
    if (i < n) {
      this.#batchDistinct = 0; // an unknown symbol below throws with the cache half rewritten
      for (let k = i; k < n; k++) symbols[k] = this.#symbolOf(bars[k] as Bar);
      this.#batchDistinct = new Set(symbols.slice(0, n)).size === n ? n : 0;
    }
    if (this.#batchDistinct >= n) {
      // Every bar is checked before any is stored, in batch order, as the grouped path below does.
      for (let k = 0; k < n; k++) (symbols[k] as SymbolSessionData).checkBar(bars[k] as Bar);
      for (let k = 0; k < n; k++) (symbols[k] as SymbolSessionData).ingestCheckedBar(bars[k] as Bar);
      const ms = this.#now() - t0;
      for (let k = 0; k < n; k++) (symbols[k] as SymbolSessionData).recordUpdateMs(ms);
      return;
    }
    // Some symbol has several bars here: group them, each symbol's in order.
    const groups = new Map<SymbolSessionData, Bar[]>();
    for (const bar of bars) {
      const s = this.#symbolOf(bar);
      const g = groups.get(s);
      if (g === undefined) groups.set(s, [bar]);
      else g.push(bar);
    }
    // Check every symbol's bars before storing any, so one bad bar stores nothing at all.
    for (const [s, g] of groups) s.checkMany(g);
    for (const [s, g] of groups) s.ingestChecked(g);
    const ms = this.#now() - t0;
    for (const s of groups.keys()) s.recordUpdateMs(ms);
  }

  /** Folds pending 1m bars of every symbol into the derived intervals; returns bars folded. */
  foldDerived(): number {
    let n = 0;
    const list = this.#list;
    for (let i = 0; i < list.length; i++) n += (list[i] as SymbolSessionData).foldDerived();
    return n;
  }

  /** Market time now: `session.time`, quality and forming buckets of every symbol. */
  advanceTo(marketMs: number): void {
    this.#session = { ...this.#session, timeMs: marketMs };
    this.#markDirty();
    const list = this.#list;
    for (let i = 0; i < list.length; i++) (list[i] as SymbolSessionData).advanceTo(marketMs);
  }

  /** The complete state now: `{ system, session, symbols }`. */
  toJson(options?: ToJsonOptions): SessionDataJson {
    // Nothing was mutated since this face was last built: the same sealed object, in O(1).
    return this.#json.get(options, this.#version, this.#build);
  }

  readonly #build = (debug: boolean): SessionDataJson => {
    const system = this.#systemPart();
    const session = this.#sessionPart();
    const symbols = this.#symbolsPart(debug);
    return this.#top.get(debug ? DEBUG : PLAIN, [system, session, symbols], () => ({
      system,
      session,
      symbols,
    }));
  };

  #symbolOf(bar: Bar): SymbolSessionData {
    const s = this.#symbols.get(bar.symbol);
    if (s === undefined) throw new UnknownSymbolError(bar.symbol, this.symbols());
    return s;
  }

  #ensureDay(bar: Bar): void {
    if (this.#window !== null) return;
    const date = nyDateOf(bar.startMs);
    const window = this.#calendar.session(date);
    if (window === null) {
      throw new SessionDayError(
        `${bar.symbol}@${new Date(bar.startMs).toISOString()}`,
        `the market is closed on ${date}`,
      );
    }
    this.startDay(window);
  }

  #systemPart(): SessionSystemJson {
    const { state, mode } = this.#system;
    return this.#systemJson.get(undefined, [state, mode], () => ({ state, mode }));
  }

  #sessionPart(): SessionJson {
    const { date, timeMs, active, ended } = this.#session;
    const time = timeMs === null ? null : formatNyTime(timeMs);
    const count = this.#symbols.size;
    return this.#sessionJson.get(undefined, [date, time, active, ended, count], () => ({
      date,
      time,
      active,
      ended,
      symbol_count: count,
    }));
  }

  #symbolsPart(debug: boolean): SessionDataJson['symbols'] {
    // A symbol's JSON object is its own (it names the symbol), so comparing by position also catches
    // symbols removed and added.
    const refs: SymbolJson[] = new Array(this.#symbols.size);
    let i = 0;
    for (const s of this.#symbols.values()) refs[i++] = s.toJson(debug ? DEBUG : PLAIN);
    return this.#symbolsJson.get(debug ? DEBUG : PLAIN, refs, () => {
      const out: Record<string, SymbolJson> = {};
      let k = 0;
      // setOwn: a symbol may be named `__proto__`, which a plain assignment would turn into a prototype.
      for (const name of this.#symbols.keys()) setOwn(out, name, refs[k++]);
      return out;
    });
  }
}
