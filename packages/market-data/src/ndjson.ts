// `@sys/market-data/ndjson`: bars from NDJSON lines (a live feed). Pure: it takes lines, not a stream or fd.
export { NdjsonBarError } from './errors.js';
export { barFromJsonLine, readNdjsonBars } from './ndjson-reader.js';
