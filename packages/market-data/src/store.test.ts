import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NyseCalendar } from '@sys/market-time';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, parseSampleIndependently, storeSnapshot, tempDir } from '../test/helpers.js';
import { CsvFormatError, writeCsvBars } from './csv.js';
import { BarConflictError, BarStore, defaultStorePath } from './duckdb.js';
import { BarQueryError, BarValidationError, UnknownZoneError } from './index.js';
import { samplePath } from './samples.js';
import { SyntheticBarSource } from './synthetic.js';

const sample = samplePath('AAPL_2025-07-02.csv');
const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8'));
const tmp = tempDir();
afterAll(() => tmp.remove());

let n = 0;
let store: BarStore;
beforeEach(async () => {
  store = await BarStore.open(join(tmp.dir, `store-${++n}.duckdb`));
});
afterEach(async () => {
  await store.close();
});

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

const day = { symbols: [], startDate: '2025-07-01', endDate: '2025-07-02' };

describe('BarStore with the real AAPL sample', () => {
  it('round-trips every value exactly: CSV → DuckDB → query', async () => {
    const report = await store.importFile(sample);
    expect(report).toEqual({
      file: sample,
      rowsRead: 862,
      inserted: 862,
      unchanged: 0,
      replaced: 0,
      skipped: [],
    });
    const bars = await collect(store.streamBars({ ...day, symbols: ['AAPL'] }));
    expect(bars).toEqual(parseSampleIndependently(sample, 'AAPL'));
    expect(await store.listSymbols()).toEqual(['AAPL']);
    expect(await store.coverage()).toEqual([
      { symbol: 'AAPL', firstDay: '2025-07-01', lastDay: '2025-07-02', days: 2, bars: expected.source_rows },
    ]);
  });

  it('gives back the reference figures of the regular session', async () => {
    await store.importFile(sample);
    const session = new NyseCalendar().session(expected.session_date);
    if (session === null) throw new Error('trading day expected');
    const bars = (
      await collect(store.streamBars({ symbols: ['AAPL'], startDate: '2025-07-02', endDate: '2025-07-02' }))
    ).filter((b) => b.startMs >= session.regularOpenMs && b.startMs < session.regularCloseMs);
    const ref = expected.regular_session;
    expect(bars).toHaveLength(ref.bars_1m);
    expect(bars[0]?.open).toBe(ref.open);
    expect(bars.at(-1)?.close).toBe(ref.close);
    expect(Math.max(...bars.map((b) => b.high))).toBe(ref.high);
    expect(Math.min(...bars.map((b) => b.low))).toBe(ref.low);
    expect(bars.reduce((s, b) => s + b.volume, 0)).toBe(ref.volume);
    const pv = bars.reduce((s, b) => s + ((b.high + b.low + b.close) / 3) * b.volume, 0);
    expect(Number((pv / ref.volume).toFixed(6))).toBe(ref.vwap_typical_price);
  });

  it('re-importing is idempotent: everything unchanged, the store the same', async () => {
    await store.importFile(sample);
    const before = await storeSnapshot(store);
    const again = await store.importFile(sample);
    expect(again).toMatchObject({ rowsRead: 862, inserted: 0, unchanged: 862, replaced: 0 });
    expect(await storeSnapshot(store)).toEqual(before);
  });

  it('refuses a conflicting bar unless asked to replace it', async () => {
    await store.importFile(sample);
    const before = await storeSnapshot(store);
    const lines = readFileSync(sample, 'utf8').split('\n');
    lines[5] = lines[5]?.replace(/,(\d+)$/, (_m, v: string) => `,${Number(v) + 1}`) ?? '';
    const changed = file('AAPL_changed.csv', lines.join('\n'));
    const error = await store.importFile(changed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BarConflictError);
    expect((error as BarConflictError).code).toBe('BAR_CONFLICT');
    expect((error as Error).message).toContain(`${changed}:6`);
    expect(await storeSnapshot(store)).toEqual(before);

    const replaced = await store.importFile(changed, { replace: true });
    expect(replaced).toMatchObject({ inserted: 0, unchanged: 861, replaced: 1 });
    const after = await storeSnapshot(store);
    expect(after.bars[4]?.volume).toBe((before.bars[4]?.volume ?? 0) + 1);
  });

  it('imports a directory, one report per file', async () => {
    const dir = join(tmp.dir, 'dir');
    mkdirSync(dir, { recursive: true });
    copyFileSync(sample, join(dir, 'AAPL_2025-07-02.csv'));
    writeFileSync(join(dir, 'notes.txt'), 'not bars');
    writeFileSync(
      join(dir, 'MSFT_x.csv'),
      'timestamp,open,high,low,close,volume\n2025-07-02T13:30:00Z,1,2,1,2,5\n',
    );
    const reports = await store.importPath(dir);
    expect(reports.map((r) => [r.file, r.inserted])).toEqual([
      [join(dir, 'AAPL_2025-07-02.csv'), 862],
      [join(dir, 'MSFT_x.csv'), 1],
    ]);
    const minute = await collect(
      store.streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' }),
    );
    const at0930 = minute.filter((b) => b.startMs === Date.UTC(2025, 6, 2, 13, 30)).map((b) => b.symbol);
    expect(at0930).toEqual(['AAPL', 'MSFT']);
  });
});

const header = 'timestamp,open,high,low,close,volume\n';
const good = '2025-07-02T13:30:00Z,10,11,9,10.5,100\n2025-07-02T13:31:00Z,10.5,11,10,10.8,200\n';
const after = '2025-07-02T13:40:00Z,10.8,11,10,10.9,300\n';

describe('bad input: the typed error, and the store unchanged', () => {
  const cases: [string, string, { zone?: string }, new (...args: never[]) => Error, string, number][] = [
    [
      'malformed number',
      `${header}${good}2025-07-02T13:32:00Z,10.8,11.2x,10.5,11,300\n${after}`,
      {},
      CsvFormatError,
      'CSV_FORMAT',
      4,
    ],
    [
      'NaN',
      `${header}${good}2025-07-02T13:32:00Z,NaN,11.2,10.5,11,300\n${after}`,
      {},
      BarValidationError,
      'BAR_INVALID',
      4,
    ],
    [
      'negative volume',
      `${header}${good}2025-07-02T13:32:00Z,10.8,11.2,10.5,11,-300\n${after}`,
      {},
      BarValidationError,
      'BAR_INVALID',
      4,
    ],
    [
      'high < low',
      `${header}${good}2025-07-02T13:32:00Z,10.8,10,11,10.8,300\n${after}`,
      {},
      BarValidationError,
      'BAR_INVALID',
      4,
    ],
    [
      'misaligned time',
      `${header}${good}2025-07-02T13:32:30Z,10.8,11.2,10.5,11,300\n${after}`,
      {},
      BarValidationError,
      'BAR_INVALID',
      4,
    ],
    [
      'duplicate row',
      `${header}${good}2025-07-02T13:31:00Z,10.5,11,10,10.8,200\n${after}`,
      {},
      BarValidationError,
      'BAR_INVALID',
      4,
    ],
    [
      'out-of-order rows',
      `${header}${good}2025-07-02T13:29:00Z,10.8,11.2,10.5,11,300\n${after}`,
      {},
      BarValidationError,
      'BAR_INVALID',
      4,
    ],
    [
      'missing column',
      `timestamp,open,high,low,close\n2025-07-02T13:30:00Z,10,11,9,10.5\n`,
      {},
      CsvFormatError,
      'CSV_FORMAT',
      1,
    ],
    ['empty file', '', {}, CsvFormatError, 'CSV_FORMAT', 1],
    [
      'unknown zone',
      `${header}2025-07-02T09:30:00,10,11,9,10.5,100\n`,
      { zone: 'Europe/Atlantis' },
      UnknownZoneError,
      'ZONE_UNKNOWN',
      0,
    ],
    [
      'truncated last line',
      `${header}${good}2025-07-02T13:32:00Z,10.8,11`,
      {},
      CsvFormatError,
      'CSV_FORMAT',
      4,
    ],
  ];

  it.each(cases)('%s', async (name, text, options, type, code, line) => {
    await store.importFile(sample);
    const path = file(`TEST_${name.replaceAll(/\W/g, '_')}.csv`, text);
    const before = await storeSnapshot(store);
    const error = await store.importFile(path, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as { code: string }).code).toBe(code);
    if (line > 0) expect((error as Error).message).toContain(`${path}:${line}:`);
    expect(await storeSnapshot(store)).toEqual(before);
    expect((await store.coverage()).map((c) => c.symbol)).toEqual(['AAPL']);
  });

  it('with skipBad imports the good rows and reports every bad one with its line and reason', async () => {
    const path = file(
      'SKIP_1.csv',
      `${header}${good}2025-07-02T13:32:00Z,x,11,10,10.8,200\n2025-07-02T13:31:00Z,10.5,11,10,10.8,200\n${after}2025-07-02T13:41:00Z,1`,
    );
    const report = await store.importFile(path, { skipBad: true });
    expect(report.rowsRead).toBe(6);
    expect(report.inserted).toBe(3);
    expect(report.skipped.map((s) => s.line)).toEqual([4, 5, 7]);
    expect(report.skipped[0]?.reason).toMatch(/open "x" is not a number/);
    expect(report.skipped[1]?.reason).toMatch(/times strictly increasing/);
    expect(report.skipped[2]?.reason).toMatch(/truncated last line/);
    expect((await storeSnapshot(store)).bars.map((b) => b.volume)).toEqual([100, 200, 300]);
  });
});

describe('BarStore queries', () => {
  it('streams many days in time-then-symbol order across query windows', async () => {
    await store.close();
    store = await BarStore.open(join(tmp.dir, 'windows.duckdb'), { queryWindowRows: 500, mergeRows: 700 });
    const source = new SyntheticBarSource({
      symbols: 3,
      startDate: '2025-06-30',
      endDate: '2025-07-08',
      seed: 7,
    });
    const query = { symbols: [], startDate: '2025-06-30', endDate: '2025-07-08' };
    const path = join(tmp.dir, 'syn.csv');
    // A file sorted by symbol, then time: the store does not care about the file's order.
    const all = await collect(source.streamBars(query));
    const bySymbol = [...all].sort((a, b) => a.symbol.localeCompare(b.symbol) || a.startMs - b.startMs);
    await writeCsvBars(path, bySymbol);
    const report = await store.importFile(path);
    expect(report.inserted).toBe(all.length);
    expect(await collect(store.streamBars(query))).toEqual(all);
    const two = await collect(
      store.streamBars({ symbols: ['SYN003', 'SYN001'], startDate: '2025-07-03', endDate: '2025-07-07' }),
    );
    expect(two).toEqual(
      all.filter(
        (b) =>
          b.symbol !== 'SYN002' &&
          b.startMs >= Date.UTC(2025, 6, 3, 4) &&
          b.startMs < Date.UTC(2025, 6, 8, 4),
      ),
    );
    const coverage = await store.coverage();
    expect(coverage.map((c) => [c.symbol, c.firstDay, c.lastDay, c.days])).toEqual([
      ['SYN001', '2025-06-30', '2025-07-08', 6],
      ['SYN002', '2025-06-30', '2025-07-08', 6],
      ['SYN003', '2025-06-30', '2025-07-08', 6],
    ]);
  });

  it('refuses reversed dates and finds its default path under the working directory', async () => {
    await expect(
      collect(store.streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-01' })),
    ).rejects.toThrow(BarQueryError);
    expect(defaultStorePath('/srv/sys')).toBe(join('/srv/sys', 'data', 'sys.duckdb'));
  });
});
