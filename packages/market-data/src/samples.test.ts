import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SampleNotFoundError, samplePath } from './samples.js';

const SAMPLES_DIR = fileURLToPath(new URL('../samples/', import.meta.url));

/** Every file under `dir`, as paths relative to SAMPLES_DIR with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [relative(SAMPLES_DIR, path).split('\\').join('/')];
  });
}

describe('samplePath', () => {
  it('finds the bundled real sample and its reference figures', () => {
    const csv = samplePath('AAPL_2025-07-02.csv');
    expect(isAbsolute(csv)).toBe(true);
    expect(existsSync(csv)).toBe(true);
    expect(JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')).symbol).toBe('AAPL');
    expect(readFileSync(samplePath('README.md'), 'utf8')).toMatch(/Provenance/);
  });

  it('knows every file of the samples folder and no other (its list is in the code, not read from disk)', () => {
    for (const name of filesUnder(SAMPLES_DIR)) expect(existsSync(samplePath(name))).toBe(true);
    const missing = (() => {
      try {
        samplePath('MSFT.csv');
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(SampleNotFoundError);
    expect((missing as Error).message).toContain(
      filesUnder(SAMPLES_DIR)
        .filter((n) => n !== 'README.md')
        .sort()
        .join(', '),
    );
  });

  it('refuses names outside the samples folder or missing', () => {
    expect(() => samplePath('../package.json')).toThrow(SampleNotFoundError);
    expect(() => samplePath('MSFT.csv')).toThrow(/AAPL_2025-07-02.csv/);
  });
});
