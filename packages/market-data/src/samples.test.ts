import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SampleNotFoundError, samplePath } from './csv.js';

describe('samplePath', () => {
  it('finds the bundled real sample and its reference figures', () => {
    const csv = samplePath('AAPL_2025-07-02.csv');
    expect(isAbsolute(csv)).toBe(true);
    expect(existsSync(csv)).toBe(true);
    expect(JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')).symbol).toBe('AAPL');
    expect(readFileSync(samplePath('README.md'), 'utf8')).toMatch(/Provenance/);
  });

  it('refuses names outside the samples folder or missing', () => {
    expect(() => samplePath('../package.json')).toThrow(SampleNotFoundError);
    expect(() => samplePath('MSFT.csv')).toThrow(/AAPL_2025-07-02.csv/);
  });
});
