export {
  type Bar,
  type BarProblem,
  BarSequenceValidator,
  BarValidationError,
  barLabel,
  barProblem,
  validateBar,
} from './bar.js';
// Until every importer uses the subpath entries, the main entry still re-exports the adapters.
export * from './csv.js';
export { BarQueryError, UnknownZoneError } from './errors.js';
export * from './parquet.js';
export { type BarQuery, type BarSource, mergeByTime } from './source.js';
export * from './duckdb.js';
export * from './synthetic.js';
