import { readFileSync } from 'node:fs';
import { CsvBarSource, samplePath } from '@sys/market-data';
import { SessionData } from '@sys/session-data';
import { describe, expect, it } from 'vitest';
import { expectQueueBalanced } from '../test/helpers.js';
import { Backtest, runBacktest } from './backtest.js';

interface Expected {
  source_rows: number;
  regular_session: { bars_1m: number; open: number; close: number; high: number; low: number; volume: number; vwap_typical_price: number };
  derived_bars_regular_session: Record<string, { data: unknown[] }>;
}

const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as Expected;

describe('the real AAPL day', () => {
  it('replayed at max gives the reference figures', async () => {
    const sessionData = new SessionData();
    const backtest = await runBacktest({
      symbols: ['AAPL'],
      source: new CsvBarSource(samplePath('AAPL_2025-07-02.csv')),
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      sessionData,
    });
    const json = sessionData.toJson() as any;
    const aapl = json.symbols.AAPL;
    const ref = expected.regular_session;
    expect(aapl.volume).toBe(ref.volume);
    expect(aapl.high).toBe(ref.high);
    expect(aapl.low).toBe(ref.low);
    expect(aapl.vwap).toBeCloseTo(ref.vwap_typical_price, 6);
    expect(aapl.bar_counts).toEqual({
      '1m': ref.bars_1m,
      '5m': expected.derived_bars_regular_session['5m']?.data.length,
      '15m': expected.derived_bars_regular_session['15m']?.data.length,
      '30m': expected.derived_bars_regular_session['30m']?.data.length,
      '1h': expected.derived_bars_regular_session['1h']?.data.length,
    });
    expect(json.session).toMatchObject({ date: '2025-07-02', time: '16:00:00', active: false, ended: true });
    expect(backtest.state).toBe('stopped');
    expect(backtest.stream.barsReleased).toBe(ref.bars_1m);
    expectQueueBalanced(backtest.queue);
    console.log(JSON.stringify(backtest.toJson({ debug: true }), null, 1));
  });
});
