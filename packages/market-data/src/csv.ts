// `@sys/market-data/csv`: reading and writing CSV files of bars (node:fs).
export {
  type BadRowError,
  CsvBarSource,
  type ReadBarsOptions,
  readCsvBars,
  symbolFromFileName,
} from './csv-reader.js';
export { type WriteCsvOptions, writeCsvBars } from './csv-writer.js';
export { CsvFormatError } from './errors.js';
// Also here because the bundled samples are CSV files that a reader of this entry usually wants; code that
// only names a sample (a config) imports @sys/market-data/samples, which loads no file reader.
export { SampleNotFoundError, samplePath } from './samples.js';
