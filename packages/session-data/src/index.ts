export { BarTable } from './bar-table.js';
export {
  IndicatorDeclarationError,
  SessionDayError,
  SymbolNameError,
  UnknownSymbolError,
} from './errors.js';
export { type SessionIndicatorSpec, sessionIndicatorKey } from './indicators.js';
export { DERIVED_INTERVALS, INTERVALS, type Interval } from './intervals.js';
export { SessionData, type SessionDataOptions, type SessionFields } from './session-data.js';
export { type Gap, SymbolSessionData, type SymbolSessionOptions } from './symbol-session.js';
export type {
  BarColumnsJson,
  BarCountsJson,
  BarRowJson,
  BarTableJson,
  CurrentBarsJson,
  DerivedBarColumnsJson,
  DerivedBarRowJson,
  DerivedBarTableJson,
  GapJson,
  HistoricalSummaryJson,
  IndicatorRowJson,
  IndicatorSeriesJson,
  IndicatorStateJson,
  IndicatorsJson,
  MinuteBarTableJson,
  SessionDataJson,
  SessionJson,
  SessionSystemJson,
  SymbolJson,
  SymbolPerformanceJson,
} from './wire.js';
