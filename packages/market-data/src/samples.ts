import { existsSync, readdirSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SampleNotFoundError } from './errors.js';

/** The package's samples folder: a sibling of both src/ and dist/, so this holds for sources and the build. */
const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));

/**
 * Absolute path of a bundled sample, e.g. `samplePath('AAPL_2025-07-02.csv')` (real AAPL bars, see
 * samples/README.md) or `samplePath('expected/AAPL_2025-07-02.json')` (its independent reference figures).
 */
export function samplePath(name: string): string {
  const path = resolve(SAMPLES_DIR, name);
  const inside = relative(SAMPLES_DIR, path);
  if (inside === '' || inside.startsWith('..') || inside.startsWith(sep) || !existsSync(path)) {
    const available = existsSync(SAMPLES_DIR)
      ? readdirSync(SAMPLES_DIR).filter((n) => n !== 'README.md')
      : [];
    throw new SampleNotFoundError(name, available);
  }
  return path;
}
