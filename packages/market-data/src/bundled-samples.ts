import { fileURLToPath } from 'node:url';
import { SampleNotFoundError } from './errors.js';

/**
 * The files under samples/, listed rather than read from disk so that naming a sample needs no node:fs
 * (src/samples.test.ts checks the list against the folder).
 */
const BUNDLED = ['AAPL_2025-07-02.csv', 'README.md', 'expected/AAPL_2025-07-02.json'];

/**
 * Absolute path of a bundled sample, e.g. `samplePath('AAPL_2025-07-02.csv')` (real AAPL bars, see
 * samples/README.md) or `samplePath('expected/AAPL_2025-07-02.json')` (its independent reference figures).
 * Throws SampleNotFoundError for any other name.
 */
export function samplePath(name: string): string {
  if (!BUNDLED.includes(name)) {
    throw new SampleNotFoundError(
      name,
      BUNDLED.filter((n) => n !== 'README.md'),
    );
  }
  // The samples folder is a sibling of both src/ and dist/, so this holds for sources and the build.
  return fileURLToPath(new URL(`../samples/${name}`, import.meta.url));
}
