export { BarTable } from './bar-table.js';
export { SessionDayError, SymbolNameError, UnknownSymbolError } from './errors.js';
export { SessionData, type SessionDataOptions, type SessionFields } from './session-data.js';
export {
  DERIVED_INTERVALS,
  type Gap,
  INTERVALS,
  type Interval,
  SymbolSessionData,
  type SymbolSessionOptions,
} from './symbol-session.js';
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
  MinuteBarTableJson,
  SessionDataJson,
  SessionJson,
  SessionSystemJson,
  SymbolJson,
  SymbolPerformanceJson,
} from './wire.js';
