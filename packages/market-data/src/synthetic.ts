// `@sys/market-data/synthetic`: the seeded generator. Pure (no I/O), but a source for benchmarks and scale
// tests rather than part of the bar's definition, so it stays out of the main entry every consumer loads.
export { SyntheticOptionsError } from './errors.js';
export {
  SyntheticBarSource,
  type SyntheticDayOptions,
  type SyntheticOptions,
  syntheticDayBars,
  syntheticSymbols,
} from './synthetic-source.js';
