import { readFileSync } from 'node:fs';
import type { Json } from '@sys/core';
import { applyPatch, DiffTracker } from '@sys/diff-tracker';
import type { Bar } from '@sys/market-data';
import { readCsvBars } from '@sys/market-data/csv';
import { samplePath } from '@sys/market-data/samples';
import { formatNyTime, NyseCalendar, nyDateOf } from '@sys/market-time';
import { beforeAll, describe, expect, it } from 'vitest';
import { SessionDayError } from './errors.js';
import { SessionData } from './session-data.js';

interface Expected {
  source_rows: number;
  regular_session: {
    bars_1m: number;
    open: number;
    close: number;
    high: number;
    low: number;
    volume: number;
    vwap_typical_price: number;
  };
  pre_market: { bars_1m_present: number };
  derived_bars_regular_session: Record<string, { columns: string[]; data: (string | number)[][] }>;
}
type Table = { columns: string[]; data: Json[][]; forming?: Json[] | null };
type SymbolJson = Record<string, Json> & {
  current_bars: Record<string, Table>;
  bar_counts: Record<string, number>;
};

const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as Expected;
const calendar = new NyseCalendar();
let all: Bar[] = [];
let day: Bar[] = [];

beforeAll(async () => {
  all = [];
  for await (const bar of readCsvBars(samplePath('AAPL_2025-07-02.csv'))) all.push(bar);
  day = all.filter((b) => nyDateOf(b.startMs) === '2025-07-02');
});

function replay(bars: readonly Bar[]): SessionData {
  const sd = new SessionData({ calendar });
  sd.addSymbol('AAPL');
  const w = calendar.session('2025-07-02');
  if (w === null) throw new Error('2025-07-02 must be a trading day');
  sd.startDay(w);
  sd.ingestMany(bars);
  sd.foldDerived();
  return sd;
}

const symbolOf = (sd: SessionData) =>
  ((sd.toJson({ debug: true }) as Record<string, Json>).symbols as Record<string, Json>).AAPL as SymbolJson;

describe('the real AAPL day against the independent reference figures', () => {
  it('reads every row of the sample', () => {
    expect(all.length).toBe(expected.source_rows);
  });

  it('session figures over the regular session only', () => {
    const s = symbolOf(replay(day));
    const r = expected.regular_session;
    expect(s.volume).toBe(r.volume);
    expect(s.high).toBe(r.high);
    expect(s.low).toBe(r.low);
    expect(s.open).toBe(r.open);
    expect(s.close).toBe(r.close);
    expect(Math.abs((s.vwap as number) - r.vwap_typical_price)).toBeLessThan(1e-6);
    expect(s.bar_counts['1m']).toBe(r.bars_1m);
    expect(s.bar_quality).toBe(100);
    expect(s.gaps).toEqual([]);
    expect(s.extended_hours).toEqual({
      pre_market_bars: expected.pre_market.bars_1m_present,
      post_market_bars: 0,
    });
    expect(s.time_range).toEqual({ first_bar: '09:30:00', last_bar: '15:59:00' });
    expect(s.bars_updated).toBe(0);
  });

  it('every derived bar equals the reference, and the counts are 78/26/13/7', () => {
    const s = symbolOf(replay(day));
    for (const iv of ['5m', '15m', '30m', '1h']) {
      const ref = expected.derived_bars_regular_session[iv];
      if (ref === undefined) throw new Error(`reference has no ${iv}`);
      const table = s.current_bars[iv] as Table;
      expect(table.forming).toBeNull();
      expect(table.data.map((row) => row.slice(0, 6))).toEqual(ref.data);
      expect(s.bar_counts[iv]).toBe(ref.data.length);
    }
    expect(s.bar_counts).toMatchObject({ '5m': 78, '15m': 26, '30m': 13, '1h': 7 });
  });

  it('the 15:30 hourly bar covered 30 of 30 possible minutes; full hours 60 of 60', () => {
    const hour = symbolOf(replay(day)).current_bars['1h'] as Table;
    expect(hour.columns.slice(6)).toEqual(['minutes', 'possible_minutes']);
    expect(hour.data.map((r) => [r[0], r[6], r[7]])).toEqual([
      ['09:30:00', 60, 60],
      ['10:30:00', 60, 60],
      ['11:30:00', 60, 60],
      ['12:30:00', 60, 60],
      ['13:30:00', 60, 60],
      ['14:30:00', 60, 60],
      ['15:30:00', 30, 30],
    ]);
  });

  it('the 1m table holds the 390 regular bars as given', () => {
    const s = symbolOf(replay(day));
    const table = s.current_bars['1m'] as Table;
    const regular = day.filter(
      (b) => formatNyTime(b.startMs) >= '09:30:00' && formatNyTime(b.startMs) < '16:00:00',
    );
    expect(table.data).toEqual(
      regular.map((b) => [formatNyTime(b.startMs), b.open, b.high, b.low, b.close, b.volume]),
    );
  });

  it('a bar of the previous day is refused and changes nothing', () => {
    const sd = replay([]);
    const before = JSON.stringify(sd.toJson({ debug: true }));
    const july1 = all.find((b) => nyDateOf(b.startMs) === '2025-07-01');
    if (july1 === undefined) throw new Error('sample has July 1 post-market bars');
    expect(() => sd.ingest(july1)).toThrow(SessionDayError);
    expect(JSON.stringify(sd.toJson({ debug: true }))).toBe(before);
  });

  it('a bar out of order is refused with the rule named and changes nothing', () => {
    const sd = replay(day.slice(0, 300));
    const before = JSON.stringify(sd.toJson({ debug: true }));
    expect(() => sd.ingest(day[100] as Bar)).toThrow(/times strictly increasing/);
    expect(() => sd.ingestMany([day[300] as Bar, { ...(day[301] as Bar), high: Number.NaN }])).toThrow(
      /finite prices/,
    );
    expect(JSON.stringify(sd.toJson({ debug: true }))).toBe(before);
  });
});

describe('mid-session: bars labelled 09:30–11:06 fed', () => {
  it('every figure equals a recomputation over exactly those bars; 11:05 5m bucket is forming', () => {
    const upTo = day.filter((b) => formatNyTime(b.startMs) <= '11:06:00');
    const fed = upTo.filter((b) => formatNyTime(b.startMs) >= '09:30:00');
    const s = symbolOf(replay(upTo));
    const volume = fed.reduce((n, b) => n + b.volume, 0);
    const pv = fed.reduce((n, b) => n + ((b.high + b.low + b.close) / 3) * b.volume, 0);
    expect(s.volume).toBe(volume);
    expect(s.high).toBe(Math.max(...fed.map((b) => b.high)));
    expect(s.low).toBe(Math.min(...fed.map((b) => b.low)));
    expect(Math.abs((s.vwap as number) - pv / volume)).toBeLessThan(1e-9);
    expect(s.bar_counts['1m']).toBe(97);
    // 97 minutes from 09:30 to 11:07 (when the 11:06 bar became visible), all present.
    expect(s.bar_quality).toBe(100);
    const five = s.current_bars['5m'] as Table;
    expect(s.bar_counts['5m']).toBe(19); // 09:30 … 11:00 finished
    expect(five.data.at(-1)?.[0]).toBe('11:00:00');
    const bucket = fed.filter((b) => formatNyTime(b.startMs) >= '11:05:00');
    expect(five.forming).toEqual([
      '11:05:00',
      bucket[0]?.open,
      Math.max(...bucket.map((b) => b.high)),
      Math.min(...bucket.map((b) => b.low)),
      bucket.at(-1)?.close,
      bucket.reduce((n, b) => n + b.volume, 0),
      2,
      5,
    ]);
    const ref = expected.derived_bars_regular_session['5m']?.data ?? [];
    expect(five.data.map((r) => r.slice(0, 6))).toEqual(ref.slice(0, 19));
  });

  it('advancing market time without bars finishes the bucket and counts the missing minutes', () => {
    const upTo = day.filter((b) => formatNyTime(b.startMs) <= '11:06:00');
    const sd = replay(upTo);
    const w = calendar.session('2025-07-02');
    if (w === null) throw new Error('trading day');
    sd.advanceTo(w.regularOpenMs + 100 * 60_000); // 11:10, bars 11:07–11:09 never came
    const s = symbolOf(sd);
    expect(s.bar_quality).toBe((97 / 100) * 100);
    expect(s.gaps).toEqual([{ start: '11:07:00', minutes: 3 }]);
    expect(s.bar_counts['5m']).toBe(20);
    expect((s.current_bars['5m'] as Table).forming).toBeNull();
  });
});

describe('diffs of a replayed day', () => {
  it('one more bar gives only that symbol’s changed fields and appended rows', () => {
    const sd = new SessionData({ calendar });
    sd.addSymbol('AAPL');
    sd.addSymbol('MSFT');
    const w = calendar.session('2025-07-02');
    if (w === null) throw new Error('trading day');
    sd.startDay(w);
    const regular = day.filter((b) => b.startMs >= w.regularOpenMs);
    sd.ingestMany(regular.slice(0, 10));
    sd.foldDerived();
    const t = new DiffTracker();
    t.commit(sd.toJson({ debug: true }));
    sd.ingest(regular[10] as Bar);
    sd.foldDerived();
    const r = t.commit(sd.toJson({ debug: true }));
    expect(r.changedPaths.every((p) => p.startsWith('/symbols/AAPL/'))).toBe(true);
    expect(r.ops.filter((o) => o.path.startsWith('/symbols/AAPL/current_bars/1m/data'))).toEqual([
      { op: 'add', path: '/symbols/AAPL/current_bars/1m/data/-', value: expect.any(Array) },
    ]);
    expect(r.changedPaths).toContain('/symbols/AAPL/volume');
    expect(r.removedPaths).toEqual([]);
  });

  it('apply(deltas) == toJson() across the whole replayed day, bar by bar, debug and plain', () => {
    for (const debug of [false, true]) {
      const sd = new SessionData({ calendar });
      sd.addSymbol('AAPL');
      const w = calendar.session('2025-07-02');
      if (w === null) throw new Error('trading day');
      sd.startDay(w);
      const t = new DiffTracker();
      let held = t.commit(sd.toJson({ debug })).view;
      for (const bar of day) {
        sd.ingest(bar);
        if (bar.startMs % (7 * 60_000) === 0) sd.foldDerived();
        sd.advanceTo(bar.startMs + 60_000);
        held = applyPatch(held, t.commit(sd.toJson({ debug })).ops);
      }
      sd.foldDerived();
      held = applyPatch(held, t.commit(sd.toJson({ debug })).ops);
      expect(held).toEqual(JSON.parse(JSON.stringify(sd.toJson({ debug }))));
      expect(t.commit(sd.toJson({ debug })).empty).toBe(true);
    }
  });
});
