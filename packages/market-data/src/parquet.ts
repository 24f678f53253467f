// `@sys/market-data/parquet`: Parquet files, read through DuckDB's read_parquet (loads the native module).
export type { ReadBarsOptions } from './csv-reader.js';
export { ParquetFormatError } from './errors.js';
export { ParquetBarSource, readParquetBars } from './parquet-reader.js';
