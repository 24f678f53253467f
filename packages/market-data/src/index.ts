export {
  type Bar,
  type BarProblem,
  BarSequenceValidator,
  BarValidationError,
  barLabel,
  barProblem,
  validateBar,
} from './bar.js';
export {
  type BadRowError,
  CsvBarSource,
  type ReadBarsOptions,
  readCsvBars,
  symbolFromFileName,
} from './csv.js';
export {
  BarConflictError,
  BarQueryError,
  CsvFormatError,
  ParquetFormatError,
  SampleNotFoundError,
  StoreError,
  SyntheticOptionsError,
  UnknownZoneError,
} from './errors.js';
export { ParquetBarSource, readParquetBars } from './parquet.js';
export { samplePath } from './samples.js';
export { type BarQuery, type BarSource, mergeByTime } from './source.js';
export {
  BarStore,
  type BarStoreOptions,
  type CoverageRow,
  defaultStorePath,
  type ImportOptions,
  type ImportReport,
} from './store.js';
export {
  SyntheticBarSource,
  type SyntheticDayOptions,
  type SyntheticOptions,
  syntheticDayBars,
  syntheticSymbols,
} from './synthetic.js';
export { type WriteCsvOptions, writeCsvBars } from './write.js';
