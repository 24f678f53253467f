// The pure entry: the bar, its one validation and the source port. Nothing reachable from here touches
// files, sockets or DuckDB; the adapters are the subpath entries (csv, parquet, duckdb, synthetic, ndjson, samples).
export {
  type Bar,
  type BarProblem,
  BarSequenceValidator,
  BarValidationError,
  barLabel,
  barProblem,
  END_BAR_START_MS,
  MAX_PRICE,
  MAX_VOLUME,
  MIN_BAR_START_MS,
  MIN_PRICE,
  validateBar,
} from './bar.js';
export { BarQueryError, UnknownZoneError } from './errors.js';
export { type DayQuality, dayQuality, type MissingRange, qualityReport } from './quality.js';
export { QUOTE_MAX_CHARS, quoteInput } from './quote.js';
export { type BarQuery, type BarSource, mergeByTime } from './source.js';
export {
  assertSymbol,
  isSymbol,
  SYMBOL_MAX_LENGTH,
  SYMBOL_RULE,
  SymbolError,
  symbolProblem,
} from './symbol.js';
export { assertZone } from './timestamp.js';
