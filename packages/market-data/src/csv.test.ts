import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NyseCalendar } from '@sys/market-time';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, parseSampleIndependently, tempDir } from '../test/helpers.js';
import { CsvBarSource, CsvFormatError, readCsvBars } from './csv.js';
import { BarValidationError, UnknownZoneError } from './index.js';
import { samplePath } from './samples.js';

const sample = samplePath('AAPL_2025-07-02.csv');
const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8'));
const tmp = tempDir();
afterAll(() => tmp.remove());

function file(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readCsvBars on the real AAPL sample', () => {
  it('reads every row, exactly as written, with the symbol from the file name', async () => {
    const bars = await collect(readCsvBars(sample));
    expect(bars).toHaveLength(expected.source_rows);
    expect(bars).toEqual(parseSampleIndependently(sample, 'AAPL'));
  });

  it('has the regular-session and pre-market counts of the reference, by the market-time session window', async () => {
    const session = new NyseCalendar().session(expected.session_date);
    if (session === null) throw new Error('2025-07-02 must be a trading day');
    const bars = await collect(readCsvBars(sample));
    const regular = bars.filter(
      (b) => b.startMs >= session.regularOpenMs && b.startMs < session.regularCloseMs,
    );
    const pre = bars.filter(
      (b) => b.startMs >= session.preMarketStartMs && b.startMs < session.regularOpenMs,
    );
    expect(regular).toHaveLength(expected.regular_session.bars_1m);
    expect(pre).toHaveLength(expected.pre_market.bars_1m_present);
    expect(regular.length).toBe(390);
    expect(pre.length).toBe(249);
  });
});

describe('readCsvBars formats', () => {
  it('takes the symbol from a symbol column, epoch times, quotes, CRLF and extra columns', async () => {
    const path = file(
      'mixed.csv',
      'Symbol,Timestamp,open,high,low,close,volume,note\r\n' +
        `"MSFT",${Date.UTC(2025, 6, 2, 13, 30) / 1000},1,2,1,2,5,x\r\n` +
        `AAPL,${Date.UTC(2025, 6, 2, 13, 30)},3,4,3,4,6,y\r\n`,
    );
    const bars = await collect(readCsvBars(path));
    expect(bars.map((b) => [b.symbol, b.startMs, b.volume])).toEqual([
      ['MSFT', Date.UTC(2025, 6, 2, 13, 30), 5],
      ['AAPL', Date.UTC(2025, 6, 2, 13, 30), 6],
    ]);
  });

  it('reads naive times only in a named zone', async () => {
    const path = file('NAIVE_1.csv', 'timestamp,open,high,low,close,volume\n2025-07-02T09:30:00,1,2,1,2,5\n');
    await expect(collect(readCsvBars(path))).rejects.toThrow(CsvFormatError);
    const [bar] = await collect(readCsvBars(path, { zone: 'America/New_York' }));
    expect(bar?.startMs).toBe(Date.UTC(2025, 6, 2, 13, 30));
    await expect(collect(readCsvBars(path, { zone: 'Atlantis/Capital' }))).rejects.toThrow(UnknownZoneError);
  });

  it('needs a symbol from somewhere', async () => {
    const path = file(
      'lowercase.csv',
      'timestamp,open,high,low,close,volume\n2025-07-02T13:30:00Z,1,2,1,2,5\n',
    );
    await expect(collect(readCsvBars(path))).rejects.toThrow(/symbol/);
    const [bar] = await collect(readCsvBars(path, { symbol: 'IBM' }));
    expect(bar?.symbol).toBe('IBM');
  });

  it('yields the bars before a bad row, then names file:line and the rule', async () => {
    const path = file(
      'BAD_1.csv',
      'timestamp,open,high,low,close,volume\n2025-07-02T13:30:00Z,1,2,1,2,5\n2025-07-02T13:31:00Z,1,2,3,2,5\n',
    );
    const seen: number[] = [];
    const error = await (async () => {
      try {
        for await (const bar of readCsvBars(path)) seen.push(bar.volume);
      } catch (e) {
        return e;
      }
    })();
    expect(seen).toEqual([5]);
    expect(error).toBeInstanceOf(BarValidationError);
    expect((error as BarValidationError).where).toBe(`${path}:3`);
    expect((error as BarValidationError).rule).toBe('low <= high');
  });
});

describe('CsvBarSource', () => {
  const a = () =>
    file(
      'A_1.csv',
      'timestamp,open,high,low,close,volume\n2025-07-01T13:30:00Z,1,1,1,1,1\n2025-07-02T13:30:00Z,1,1,1,1,2\n2025-07-02T13:32:00Z,1,1,1,1,3\n',
    );
  const b = () =>
    file(
      'B_1.csv',
      'timestamp,open,high,low,close,volume\n2025-07-02T13:30:00Z,2,2,2,2,4\n2025-07-02T13:31:00Z,2,2,2,2,5\n2025-07-03T13:31:00Z,2,2,2,2,6\n',
    );

  it('merges files by time, then symbol, within the query', async () => {
    const source = new CsvBarSource([b(), a()]);
    expect(await source.listSymbols()).toEqual(['A', 'B']);
    const bars = await collect(
      source.streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' }),
    );
    expect(bars.map((x) => `${x.symbol}${x.volume}`)).toEqual(['A2', 'B4', 'B5', 'A3']);
    const onlyB = await collect(
      source.streamBars({ symbols: ['B'], startDate: '2025-07-01', endDate: '2025-07-03' }),
    );
    expect(onlyB.map((x) => x.volume)).toEqual([4, 5, 6]);
  });

  it('sorts symbols within a minute and refuses a file whose time goes back across symbols', async () => {
    const within = file(
      'multi.csv',
      'timestamp,symbol,open,high,low,close,volume\n2025-07-02T13:30:00Z,Z,1,1,1,1,1\n2025-07-02T13:30:00Z,A,1,1,1,1,2\n',
    );
    const bars = await collect(
      new CsvBarSource(within).streamBars({ symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' }),
    );
    expect(bars.map((x) => x.symbol)).toEqual(['A', 'Z']);
    const bySymbol = file(
      'bysymbol.csv',
      'timestamp,symbol,open,high,low,close,volume\n2025-07-02T13:30:00Z,Z,1,1,1,1,1\n2025-07-02T13:31:00Z,Z,1,1,1,1,1\n2025-07-02T13:30:00Z,A,1,1,1,1,2\n',
    );
    await expect(
      collect(
        new CsvBarSource(bySymbol).streamBars({
          symbols: [],
          startDate: '2025-07-02',
          endDate: '2025-07-02',
        }),
      ),
    ).rejects.toThrow(/bysymbol.csv:4: rows are not in time order/);
  });
});
