import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modulesLoadedBy } from '../test/helpers.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Built-ins that mean files, sockets or processes: none may be reachable from a pure entry. */
const IO_BUILTINS = /^node:(?:fs|fs\/promises|net|tls|http|https|http2|dgram|child_process|worker_threads)$/;
const isDuckDb = (url: string) => url.includes('/@duckdb/') || url.endsWith('.node');

describe('which entries load I/O (a real node process per entry)', () => {
  it.each([
    ['@sys/market-data', 'index.ts'],
    ['@sys/market-data/synthetic', 'synthetic.ts'],
    ['@sys/market-data/ndjson', 'ndjson.ts'],
    ['@sys/market-data/samples', 'samples.ts'],
  ])('%s loads neither DuckDB nor an I/O built-in', async (specifier, entry) => {
    const loaded = await modulesLoadedBy(specifier, PACKAGE_DIR);
    // The recorder saw the entry itself, so an empty list cannot pass for a pure one.
    expect(loaded).toContain(new URL(`./${entry}`, import.meta.url).href);
    expect(loaded.filter(isDuckDb)).toEqual([]);
    expect(loaded.filter((url) => IO_BUILTINS.test(url))).toEqual([]);
  });

  it('@sys/market-data/csv loads node:fs but not DuckDB', async () => {
    const loaded = await modulesLoadedBy('@sys/market-data/csv', PACKAGE_DIR);
    expect(loaded).toContain('node:fs');
    expect(loaded.filter(isDuckDb)).toEqual([]);
  });

  it.each(['@sys/market-data/duckdb', '@sys/market-data/parquet'])(
    '%s loads @duckdb/node-api and its native module (the check sees DuckDB when it is there)',
    async (specifier) => {
      const loaded = await modulesLoadedBy(specifier, PACKAGE_DIR);
      expect(loaded.some((url) => url.includes('/@duckdb/node-api/'))).toBe(true);
      expect(loaded.some((url) => url.endsWith('.node'))).toBe(true);
    },
  );
});
