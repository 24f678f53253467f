/**
 * The JSON that session-data emits, as types: what `SymbolSessionData.toJson` and `SessionData.toJson`
 * return, field by field (see packages/system-manager/docs/json-api.md). Type aliases with readonly fields,
 * not interfaces, so each is assignable to `Json` and the compiler checks the emitted shape.
 * Times on the wire are `HH:MM:SS` New York; dates are ISO `YYYY-MM-DD`.
 */
import type { IsoDate } from '@sys/market-time';

/** Columns of a 1m table. */
export type BarColumnsJson = readonly ['timestamp', 'open', 'high', 'low', 'close', 'volume'];

/** Columns of a derived (5m … 1h) table: the 1m columns plus the minutes covered of those possible. */
export type DerivedBarColumnsJson = readonly [
  'timestamp',
  'open',
  'high',
  'low',
  'close',
  'volume',
  'minutes',
  'possible_minutes',
];

/** One 1m row: `["09:30:00", open, high, low, close, volume]`. */
export type BarRowJson = readonly [
  timestamp: string,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
];

/** One derived row: the 1m row plus `minutes` (1m bars inside) and `possible_minutes` (cut at the close). */
export type DerivedBarRowJson = readonly [
  timestamp: string,
  open: number,
  high: number,
  low: number,
  close: number,
  volume: number,
  minutes: number,
  possible_minutes: number,
];

/** The 1m table with its contract: labelled by start, left-closed; `data` only grows during a day. */
export type MinuteBarTableJson = {
  readonly interval: '1m';
  readonly label: 'start';
  readonly closed: 'left';
  readonly columns: BarColumnsJson;
  readonly data: readonly BarRowJson[];
};

/** A derived table: anchored at 09:30, cut at the close, with the bucket still `forming` (or null). */
export type DerivedBarTableJson = {
  readonly interval: '5m' | '15m' | '30m' | '1h';
  readonly label: 'start';
  readonly closed: 'left';
  readonly anchor: '09:30';
  readonly cut_at_close: true;
  readonly columns: DerivedBarColumnsJson;
  readonly data: readonly DerivedBarRowJson[];
  readonly forming: DerivedBarRowJson | null;
};

/** One bar table of `current_bars`, columnar, with its contract beside the columns. */
export type BarTableJson = MinuteBarTableJson | DerivedBarTableJson;

/** `current_bars` (debug): the session's bars in every interval. */
export type CurrentBarsJson = {
  readonly '1m': MinuteBarTableJson;
  readonly '5m': DerivedBarTableJson;
  readonly '15m': DerivedBarTableJson;
  readonly '30m': DerivedBarTableJson;
  readonly '1h': DerivedBarTableJson;
};

/** Finished bars per interval (a forming bucket is not counted). */
export type BarCountsJson = {
  readonly '1m': number;
  readonly '5m': number;
  readonly '15m': number;
  readonly '30m': number;
  readonly '1h': number;
};

/** Missing regular minutes: the first one and how many. */
export type GapJson = { readonly start: string; readonly minutes: number };

/** `historical_summary` (debug): earlier days loaded, kept apart from the session. */
export type HistoricalSummaryJson = {
  readonly loaded: boolean;
  readonly bar_counts: BarCountsJson;
  readonly date_range: { readonly start: IsoDate | null; readonly end: IsoDate | null };
};

/** `performance` (debug) of one symbol: the last ingest's wall time and the bars taken. */
export type SymbolPerformanceJson = { readonly last_update_ms: number; readonly total_updates: number };

/** `session_data.symbols.SYMBOL`: the session figures over the regular session, plus the debug parts. */
export type SymbolJson = {
  readonly symbol: string;
  readonly date: IsoDate | null;
  readonly open: number | null;
  readonly close: number | null;
  readonly volume: number;
  readonly high: number | null;
  readonly low: number | null;
  readonly vwap: number | null;
  readonly bar_counts: BarCountsJson;
  /** Percent, null before the open. */
  readonly bar_quality: number | null;
  readonly gaps: readonly GapJson[];
  readonly bars_updated: number;
  readonly time_range: { readonly first_bar: string | null; readonly last_bar: string | null };
  readonly extended_hours: { readonly pre_market_bars: number; readonly post_market_bars: number };
  /** The declared indicators (only when some are declared for the symbol). */
  readonly indicators?: IndicatorsJson;
  /** Debug only. */
  readonly current_bars?: CurrentBarsJson;
  /** Debug only, with indicators declared: each one's series over today's closed bars. */
  readonly indicator_series?: { readonly [key: string]: IndicatorSeriesJson };
  /** Debug only. */
  readonly historical_summary?: HistoricalSummaryJson;
  /** Debug only. */
  readonly performance?: SymbolPerformanceJson;
};

/** `session_data.system`: mirrors the system manager's state and mode. */
export type SessionSystemJson = { readonly state: string; readonly mode: string };

/** `session_data.session`: the trading day held and market time. */
export type SessionJson = {
  readonly date: IsoDate | null;
  /** Market time, `HH:MM:SS` New York, or null. */
  readonly time: string | null;
  /** Inside the regular session. */
  readonly active: boolean;
  /** The backtest window has been replayed. */
  readonly ended: boolean;
  readonly symbol_count: number;
};

/** `session_data`: `{ system, session, symbols }`. */
export type SessionDataJson = {
  readonly system: SessionSystemJson;
  readonly session: SessionJson;
  readonly symbols: { readonly [symbol: string]: SymbolJson };
};

/** One indicator now: its value (a number, or one per output), whether warmed up, and the bar it is for. */
export type IndicatorStateJson = {
  readonly value: number | null | { readonly [output: string]: number | null };
  readonly ready: boolean;
  /** Start (`HH:MM:SS` New York) of the last closed bar fed, or null before the first. */
  readonly as_of: string | null;
};

/** `indicators`: by key, `ema_20_5m` (name, parameters, interval). */
export type IndicatorsJson = { readonly [key: string]: IndicatorStateJson };

/** One row of an indicator series: the bar's start, then each output (null while warming up). */
export type IndicatorRowJson = readonly (string | number | null)[];

/** An indicator's values for each of today's closed bars of its interval (debug), columnar. */
export type IndicatorSeriesJson = {
  readonly interval: '1m' | '5m' | '15m' | '30m' | '1h';
  readonly label: 'start';
  readonly closed: 'left';
  readonly columns: readonly string[];
  readonly data: readonly IndicatorRowJson[];
};
