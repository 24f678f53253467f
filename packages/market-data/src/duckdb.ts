// `@sys/market-data/duckdb`: the embedded bar store, one DuckDB file (loads the native module).
export { BarConflictError, StoreError } from './errors.js';
export {
  BarStore,
  type BarStoreOptions,
  type CoverageRow,
  defaultStorePath,
  type ImportOptions,
  type ImportReport,
} from './store.js';
