import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, parseSampleIndependently, storeSnapshot, tempDir } from '../test/helpers.js';
import { BarStore } from './duckdb.js';
import { ParquetBarSource, ParquetFormatError, readParquetBars } from './parquet.js';
import { samplePath } from './samples.js';

const sample = samplePath('AAPL_2025-07-02.csv');
const tmp = tempDir();
const paths = {
  instant: join(tmp.dir, 'AAPL_2025-07-02.parquet'),
  naive: join(tmp.dir, 'AAPL_naive.parquet'),
  epoch: join(tmp.dir, 'multi.parquet'),
  missing: join(tmp.dir, 'AAPL_missing.parquet'),
  bad: join(tmp.dir, 'AAPL_bad.parquet'),
};

// The Parquet files are written by DuckDB's own CSV reader, independently of this package's.
beforeAll(async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const csv = `read_csv('${sample}', header = true, columns = {'timestamp': 'TIMESTAMPTZ', 'open': 'DOUBLE', 'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE', 'volume': 'BIGINT'})`;
  await c.run(`SET TimeZone = 'UTC'`);
  await c.run(`COPY (SELECT * FROM ${csv}) TO '${paths.instant}' (FORMAT parquet)`);
  await c.run(
    `COPY (SELECT timezone('America/New_York', "timestamp") AS "timestamp", open, high, low, close, volume FROM ${csv}) TO '${paths.naive}' (FORMAT parquet)`,
  );
  await c.run(
    `COPY (SELECT epoch_ms("timestamp") AS "timestamp", s.symbol, open, high, low, close, volume FROM ${csv}, (VALUES ('AAPL'), ('ZZZ')) s(symbol) ORDER BY 1, 2) TO '${paths.epoch}' (FORMAT parquet)`,
  );
  await c.run(
    `COPY (SELECT "timestamp", open, high, low, close FROM ${csv}) TO '${paths.missing}' (FORMAT parquet)`,
  );
  await c.run(
    `COPY (SELECT "timestamp", open, CASE WHEN row_number() OVER () = 10 THEN low - 1 ELSE high END AS high, low, close, volume FROM ${csv}) TO '${paths.bad}' (FORMAT parquet)`,
  );
  c.closeSync();
  instance.closeSync();
});
afterAll(() => tmp.remove());

describe('Parquet', () => {
  it('reads TIMESTAMPTZ Parquet to the same bars as the CSV', async () => {
    expect(await collect(readParquetBars(paths.instant))).toEqual(parseSampleIndependently(sample, 'AAPL'));
  });

  it('reads naive timestamps only with a zone', async () => {
    await expect(collect(readParquetBars(paths.naive))).rejects.toThrow(ParquetFormatError);
    const bars = await collect(readParquetBars(paths.naive, { zone: 'America/New_York' }));
    expect(bars).toEqual(parseSampleIndependently(sample, 'AAPL'));
  });

  it('is a source: epoch-ms column, symbol column, merged in time-then-symbol order', async () => {
    const source = new ParquetBarSource(paths.epoch);
    try {
      expect(await source.listSymbols()).toEqual(['AAPL', 'ZZZ']);
      const bars = await collect(
        source.streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' }),
      );
      const aapl = parseSampleIndependently(sample, 'AAPL').filter(
        (b) => b.startMs >= Date.UTC(2025, 6, 2, 4),
      );
      expect(bars).toHaveLength(2 * aapl.length);
      expect(bars.filter((b) => b.symbol === 'AAPL')).toEqual(aapl);
      expect(bars.slice(0, 2).map((b) => b.symbol)).toEqual(['AAPL', 'ZZZ']);
    } finally {
      await source.close();
    }
  });

  it('imports into the store, and a bad file changes nothing', async () => {
    const store = await BarStore.open(join(tmp.dir, 'parquet.duckdb'));
    try {
      expect(await store.importFile(paths.instant)).toMatchObject({ rowsRead: 862, inserted: 862 });
      const before = await storeSnapshot(store);
      await expect(store.importFile(paths.missing)).rejects.toThrow(/missing column volume/);
      const bad = await store.importFile(paths.bad).catch((e: unknown) => e);
      expect(String(bad)).toContain(`${paths.bad}:row 10`);
      expect(await storeSnapshot(store)).toEqual(before);
      expect(await store.importFile(paths.bad, { skipBad: true })).toMatchObject({
        inserted: 0,
        unchanged: 861,
        skipped: [{ line: 10, reason: expect.stringContaining('low <= high') }],
      });
    } finally {
      await store.close();
    }
  });
});
