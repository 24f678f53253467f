// `@sys/market-data/csv`: CSV files (node:fs), and the bundled samples, which are files too.
export {
  type BadRowError,
  CsvBarSource,
  type ReadBarsOptions,
  readCsvBars,
  symbolFromFileName,
} from './csv-reader.js';
export { type WriteCsvOptions, writeCsvBars } from './csv-writer.js';
export { CsvFormatError, SampleNotFoundError } from './errors.js';
export { samplePath } from './samples.js';
