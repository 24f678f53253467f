import { readFileSync } from 'node:fs';
import { samplePath } from '@sys/market-data/samples';
import { describe, expect, it } from 'vitest';
import { barsOf, bucketTime, type ChartBar, chartTime, secondsOfDay, VwapLine } from './bars.js';

/** The sample's regular-session minutes (09:30–15:59 New York = 13:30–19:59 UTC on 2025-07-02, EDT). */
function regularBars(): ChartBar[] {
  const lines = readFileSync(samplePath('AAPL_2025-07-02.csv'), 'utf8').trim().split('\n').slice(1);
  const rows: unknown[][] = [];
  for (const line of lines) {
    const [ts, open, high, low, close, volume] = line.split(',');
    const m = /^2025-07-02T(\d{2}):(\d{2}):00Z$/.exec(ts ?? '');
    if (m === null) continue;
    const utcMinutes = Number(m[1]) * 60 + Number(m[2]);
    if (utcMinutes < 13 * 60 + 30 || utcMinutes >= 20 * 60) continue;
    const ny = utcMinutes - 4 * 60;
    const label = `${String(Math.floor(ny / 60)).padStart(2, '0')}:${String(ny % 60).padStart(2, '0')}:00`;
    rows.push([label, Number(open), Number(high), Number(low), Number(close), Number(volume)]);
  }
  const columns = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];
  return barsOf({ columns, rows, forming: null }, '2025-07-02');
}

describe('bars for the chart', () => {
  it('reads New York labels as wall time on the UTC axis', () => {
    expect(secondsOfDay('09:30:00')).toBe(34_200);
    expect(secondsOfDay('9:30')).toBeNull();
    expect(chartTime('2025-07-02', '09:30:00')).toBe(Date.UTC(2025, 6, 2, 9, 30) / 1000);
  });

  it("reads a table's rows from an index on by its columns, leaving out a row that is not a bar", () => {
    const columns = ['close', 'timestamp', 'open', 'low', 'high'];
    const rows = [
      [10, '09:30:00', 9, 8, 11],
      [12, '09:31:00', 10, 9, 13],
      [null, '09:32:00', 12, 11, 12],
      [14, '09:33:00', 12, 12, 15],
    ];
    const table = { columns, rows, forming: null };
    const t = (label: string) => chartTime('2025-07-02', label);
    expect(barsOf(table, '2025-07-02').map((b) => b.time)).toEqual([
      t('09:30:00'),
      t('09:31:00'),
      t('09:33:00'),
    ]);
    expect(barsOf(table, '2025-07-02', 1)).toEqual([
      { time: t('09:31:00'), open: 10, high: 13, low: 9, close: 12, volume: 0 },
      { time: t('09:33:00'), open: 12, high: 15, low: 12, close: 14, volume: 0 },
    ]);
  });

  it('puts a minute in the bucket anchored at 09:30 that holds it', () => {
    const t = (label: string) => chartTime('2025-07-02', label) ?? Number.NaN;
    expect(bucketTime(t('09:34:00'), '5m')).toBe(t('09:30:00'));
    expect(bucketTime(t('09:35:00'), '5m')).toBe(t('09:35:00'));
    expect(bucketTime(t('10:29:00'), '1h')).toBe(t('09:30:00'));
    expect(bucketTime(t('15:59:00'), '1h')).toBe(t('15:30:00'));
  });

  it('draws a VWAP line whose last point is the sample’s reference VWAP, one point per bucket', () => {
    const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as {
      regular_session: { bars_1m: number; vwap_typical_price: number };
      derived_bars_regular_session: { '5m': { data: unknown[] } };
    };
    const bars = regularBars();
    expect(bars).toHaveLength(expected.regular_session.bars_1m);
    const oneMinute = new VwapLine('1m').take(bars);
    expect(oneMinute).toHaveLength(bars.length);
    expect(oneMinute.at(-1)?.value).toBeCloseTo(expected.regular_session.vwap_typical_price, 6);
    // Fed in two parts, the 5m line is the same as fed at once.
    const line = new VwapLine('5m');
    const points = [...line.take(bars.slice(0, 101)), ...line.take(bars.slice(101))];
    const byTime = new Map(points.map((p) => [p.time, p.value]));
    expect(byTime.size).toBe(expected.derived_bars_regular_session['5m'].data.length);
    expect(new VwapLine('5m').take(bars)).toEqual([...byTime].map(([time, value]) => ({ time, value })));
  });
});
