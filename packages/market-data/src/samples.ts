// `@sys/market-data/samples`: the bundled real sample and its reference figures, by name. Pure to import
// (the list of samples is in the code), so wiring code can name a sample without loading a file reader.
export { samplePath } from './bundled-samples.js';
export { SampleNotFoundError } from './errors.js';
