// The pure entry: the bar, its one validation and the source port. Nothing reachable from here touches
// files, sockets or DuckDB; the adapters are the subpath entries (csv, parquet, duckdb, synthetic, ndjson, samples).
export {
  type Bar,
  type BarProblem,
  BarSequenceValidator,
  BarValidationError,
  barLabel,
  barProblem,
  validateBar,
} from './bar.js';
export { BarQueryError, UnknownZoneError } from './errors.js';
export { type BarQuery, type BarSource, mergeByTime } from './source.js';
