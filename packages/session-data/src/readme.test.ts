import { NyseCalendar } from '@sys/market-time';
import { expect, it } from 'vitest';
import { SessionData } from './index.js';

it('the README example works as written', () => {
  const calendar = new NyseCalendar();
  const session = new SessionData({ calendar });
  session.addSymbol('AAPL');
  const day = calendar.session('2025-07-02');
  if (day === null) throw new Error('trading day');
  session.startDay(day);
  session.ingest({
    symbol: 'AAPL',
    startMs: Date.parse('2025-07-02T13:30:00Z'),
    open: 208.99,
    high: 209.5,
    low: 208.14,
    close: 209.2,
    volume: 1_000_000,
  });
  session.foldDerived();
  const aapl = (session.toJson() as { symbols: Record<string, Record<string, unknown>> }).symbols.AAPL;
  expect(aapl).toMatchObject({ volume: 1_000_000, high: 209.5, low: 208.14, bar_quality: 100 });
  expect(aapl?.vwap).toBeCloseTo((209.5 + 208.14 + 209.2) / 3, 10);
});
