import { fc, test } from '@fast-check/vitest';
import { isSealed, type Json } from '@sys/core';
import type { Bar } from '@sys/market-data';
import { formatNyTime, NyseCalendar, type SessionWindow } from '@sys/market-time';
import { describe, expect, it } from 'vitest';
import { BarTable } from './bar-table.js';
import { SessionDayError, SymbolNameError, UnknownSymbolError } from './errors.js';
import { SessionData } from './session-data.js';
import type { SymbolJson } from './wire.js';

const calendar = new NyseCalendar();
const MIN = 60_000;
/** A symbol read with debug: every part present. */
type Sym = Required<SymbolJson>;

function windowOf(date: string): SessionWindow {
  const w = calendar.session(date);
  if (w === null) throw new Error(`${date} is not a trading day`);
  return w;
}
const sym = (sd: SessionData, name = 'T', debug = true) => sd.toJson({ debug }).symbols[name] as Sym;

/** Bars at the given regular-session minutes (0 = 09:30), prices from the generated numbers. */
function barsAt(w: SessionWindow, minutes: number[], prices: number[]): Bar[] {
  return minutes.map((m, i) => {
    const base = 100 + (prices[i % prices.length] ?? 0);
    const close = base + ((i * 7) % 5) / 100;
    return {
      symbol: 'T',
      startMs: w.regularOpenMs + m * MIN,
      open: base,
      high: Math.max(base, close) + 0.25,
      low: Math.min(base, close) - 0.25,
      close,
      volume: 100 + ((i * 37) % 1000),
    };
  });
}

const days = ['2025-07-02', '2025-07-03', '2025-11-28', '2025-03-10', '2025-12-01'];

describe('derived bars and quality: property', () => {
  test.prop(
    [
      fc.constantFrom(...days),
      fc.array(fc.boolean(), { minLength: 390, maxLength: 390 }),
      fc.array(
        fc.integer({ min: 0, max: 5000 }).map((c) => c / 100),
        { minLength: 1, maxLength: 50 },
      ),
      fc.integer({ min: 1, max: 400 }),
    ],
    { numRuns: 300 },
  )(
    'every derived bar equals a naive recomputation from the 1m bars; quality = present ÷ elapsed',
    (date, present, prices, stopAt) => {
      const w = windowOf(date);
      const sessionMinutes = (w.regularCloseMs - w.regularOpenMs) / MIN;
      const elapsed = Math.min(stopAt, sessionMinutes);
      const minutes = present.map((p, m) => (p ? m : -1)).filter((m) => m >= 0 && m < elapsed);
      const bars = barsAt(w, minutes, prices);
      const sd = new SessionData({ calendar });
      sd.addSymbol('T');
      sd.startDay(w);
      sd.ingestMany(bars);
      sd.advanceTo(w.regularOpenMs + elapsed * MIN);
      sd.foldDerived();
      const s = sym(sd);
      for (const [iv, m] of [
        ['5m', 5],
        ['15m', 15],
        ['30m', 30],
        ['1h', 60],
      ] as const) {
        const naive: Json[][] = [];
        let forming: Json[] | null = null;
        for (let b = 0; b * m < sessionMinutes; b++) {
          const inBucket = bars.filter((x) => Math.floor((x.startMs - w.regularOpenMs) / MIN / m) === b);
          if (inBucket.length === 0) continue;
          const possible = Math.min(m, sessionMinutes - b * m);
          const row: Json[] = [
            formatNyTime(w.regularOpenMs + b * m * MIN),
            inBucket[0]?.open as number,
            Math.max(...inBucket.map((x) => x.high)),
            Math.min(...inBucket.map((x) => x.low)),
            inBucket.at(-1)?.close as number,
            inBucket.reduce((n, x) => n + x.volume, 0),
            inBucket.length,
            possible,
          ];
          // A bucket is finished once market time reaches its end (cut at the close).
          if (b * m + possible <= elapsed) naive.push(row);
          else forming = row;
        }
        const table = s.current_bars[iv];
        expect(table.data).toEqual(naive);
        expect(table.forming).toEqual(forming);
        expect(s.bar_counts[iv]).toBe(naive.length);
      }
      expect(s.bar_quality).toBe((minutes.length / elapsed) * 100);
      const missing = elapsed - minutes.length;
      expect(s.gaps.reduce((n, g) => n + g.minutes, 0)).toBe(missing);
    },
  );
});

describe('SessionData', () => {
  it('an unknown symbol is a typed error naming it, and stores nothing', () => {
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    const w = windowOf('2025-07-02');
    sd.startDay(w);
    const good = barsAt(w, [0], [1])[0] as Bar;
    expect(() => sd.ingestMany([good, { ...good, symbol: 'NOPE', startMs: good.startMs }])).toThrow(
      UnknownSymbolError,
    );
    expect(() => sd.ingest({ ...good, symbol: 'NOPE' })).toThrow(/unknown symbol "NOPE"/);
    expect(sym(sd).bar_counts['1m']).toBe(0);
  });

  it('a batch with one bad bar of another symbol stores nothing for any symbol', () => {
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    sd.addSymbol('U');
    const w = windowOf('2025-07-02');
    sd.startDay(w);
    const [a, b] = barsAt(w, [0, 1], [1]) as [Bar, Bar];
    expect(() => sd.ingestMany([a, { ...b, symbol: 'U', volume: -5 }])).toThrow(/integer volume/);
    expect(sym(sd, 'T').bar_counts['1m']).toBe(0);
    expect(sym(sd, 'U').bar_counts['1m']).toBe(0);
  });

  it('refuses bad symbol names', () => {
    const sd = new SessionData({ calendar });
    expect(() => sd.addSymbol('')).toThrow(SymbolNameError);
    expect(() => sd.addSymbol('A B')).toThrow(SymbolNameError);
  });

  it('the first bar starts its own trading day; a bar on a closed day is refused', () => {
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    const w = windowOf('2025-07-02');
    sd.ingest(barsAt(w, [0], [1])[0] as Bar);
    expect(sd.window?.date).toBe('2025-07-02');
    const closed = new SessionData({ calendar });
    closed.addSymbol('T');
    const july4 = { ...(barsAt(w, [0], [1])[0] as Bar), startMs: w.regularOpenMs + 2 * 86_400_000 };
    expect(() => closed.ingest(july4)).toThrow(SessionDayError);
  });

  it('early close: the session ends at 13:00, the 12:30 hourly bar covers 30 of 30 minutes', () => {
    const w = windowOf('2025-07-03');
    expect(w.earlyClose).toBe(true);
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    sd.startDay(w);
    sd.ingestMany(
      barsAt(
        w,
        Array.from({ length: 210 }, (_, i) => i),
        [1, 2, 3],
      ),
    );
    sd.foldDerived();
    const s = sym(sd);
    expect(s.bar_counts).toEqual({ '1m': 210, '5m': 42, '15m': 14, '30m': 7, '1h': 4 });
    expect(s.current_bars['1h']?.data.at(-1)).toEqual(expect.arrayContaining(['12:30:00']));
    expect(s.current_bars['1h']?.data.at(-1)?.slice(6)).toEqual([30, 30]);
    expect(s.bar_quality).toBe(100);
    const post = { ...(barsAt(w, [210], [1])[0] as Bar) };
    sd.ingest(post); // 13:00 is post-market on an early-close day
    expect(sym(sd).extended_hours).toEqual({ pre_market_bars: 0, post_market_bars: 1 });
  });

  it('quality is null before the open and session.time follows advanceTo', () => {
    const w = windowOf('2025-07-02');
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    sd.startDay(w);
    sd.advanceTo(w.preMarketStartMs + 30 * MIN);
    expect(sym(sd).bar_quality).toBeNull();
    expect(sd.toJson().session).toEqual({
      date: '2025-07-02',
      time: '04:30:00',
      active: false,
      ended: false,
      symbol_count: 1,
    });
  });

  it('toJson returns the same frozen objects while nothing changed', () => {
    const w = windowOf('2025-07-02');
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    sd.addSymbol('U');
    sd.startDay(w);
    sd.ingestMany(barsAt(w, [0, 1, 2], [1]));
    sd.foldDerived();
    const a = sd.toJson({ debug: true });
    const b = sd.toJson({ debug: true });
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    sd.ingest({ ...(barsAt(w, [3], [1])[0] as Bar) });
    const c = sd.toJson({ debug: true });
    expect(c).not.toBe(a);
    expect(c.symbols?.U).toBe(a.symbols?.U);
    expect(c.system).toBe(a.system);
    // A change made through the symbol itself is seen too (the symbol tells its SessionData).
    sd.getSymbol('U')?.ingest({ ...(barsAt(w, [3], [1])[0] as Bar), symbol: 'U' });
    const d = sd.toJson({ debug: true });
    expect(d.symbols?.U?.bar_counts).toEqual({ '1m': 1, '5m': 0, '15m': 0, '30m': 0, '1h': 0 });
    sd.advanceTo(w.regularOpenMs + 10 * MIN);
    const e = sd.toJson({ debug: true });
    expect(e.symbols?.U?.bar_quality).toBe(10);
    expect(e.session?.time).toBe('09:40:00');
  });

  it('a new regular minute is a change of the symbol; more time within the same minute is not', () => {
    const w = windowOf('2025-07-02');
    const sd = new SessionData({ calendar });
    const t = sd.addSymbol('T');
    sd.startDay(w);
    sd.ingestMany(barsAt(w, [0, 1], [1]));
    sd.advanceTo(w.regularOpenMs + 4 * MIN);
    const a = t.toJson();
    sd.advanceTo(w.regularOpenMs + 4 * MIN + 30_000);
    expect(t.toJson()).toBe(a);
    expect(t.toJson({ debug: true })).toBe(t.toJson({ debug: true }));
    sd.advanceTo(w.regularOpenMs + 5 * MIN);
    const b = t.toJson();
    expect(b).not.toBe(a);
    expect(a.bar_quality).toBe(50);
    expect(b.bar_quality).toBe(40);
    expect(b.gaps).toEqual([{ start: '09:32:00', minutes: 3 }]);
    // Parts whose own values did not move keep their identity, so a diff skips them.
    expect(b.bar_counts).toBe(a.bar_counts);
    expect(b.time_range).toBe(a.time_range);
  });

  it('hands out sealed JSON, each face keeping its identity when reads alternate', () => {
    const w = windowOf('2025-07-02');
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    sd.startDay(w);
    sd.ingestMany(barsAt(w, [0, 1, 2], [1]));
    const plain = sd.toJson();
    const debug = sd.toJson({ debug: true });
    expect(sd.toJson()).toBe(plain);
    expect(sd.toJson({ debug: true })).toBe(debug);
    // Every node, all the way down: the memos that trust their parts to be sealed must be right to.
    const unsealed: string[] = [];
    const walk = (v: Json, at: string): void => {
      if (v === null || typeof v !== 'object') return;
      if (!isSealed(v) || !Object.isFrozen(v)) unsealed.push(at);
      for (const [k, c] of Object.entries(v)) walk(c as Json, `${at}/${k}`);
    };
    sd.advanceTo(w.regularOpenMs + 7 * MIN); // a gap and a forming bucket
    walk(sd.toJson(), '');
    walk(sd.toJson({ debug: true }), '');
    expect(unsealed).toEqual([]);
    expect(isSealed(plain) && isSealed(debug)).toBe(true);
    // A mutation that leaves every part as it was keeps the top object too.
    const now = sd.toJson();
    sd.setSystem('stopped', 'backtest');
    expect(sd.toJson()).toBe(now);
    sd.setSystem('running', 'backtest');
    expect(sd.toJson().system).toEqual({ state: 'running', mode: 'backtest' });
    expect(sd.toJson().symbols).toBe(now.symbols);
  });

  it('a new day never gives back the last day’s rows, even at the same row count', () => {
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    const day1 = windowOf('2025-07-01');
    sd.startDay(day1);
    sd.ingestMany(barsAt(day1, [0, 1], [1]));
    sd.foldDerived();
    const first = sym(sd).current_bars['1m'].data;
    const day2 = windowOf('2025-07-02');
    sd.startDay(day2);
    sd.ingestMany(barsAt(day2, [0, 1], [7]));
    sd.foldDerived();
    const second = sym(sd).current_bars['1m'].data;
    expect(second).toHaveLength(2);
    expect(second).not.toBe(first);
    expect(second[0]?.[1]).toBe(107);
    expect(sym(sd).current_bars['5m'].forming?.[1]).toBe(107);
  });

  it('historical bars are kept apart and summarised; reset for a new day keeps them', () => {
    const prev = windowOf('2025-07-01');
    const today = windowOf('2025-07-02');
    const sd = new SessionData({ calendar });
    sd.loadHistorical(
      'T',
      barsAt(
        prev,
        Array.from({ length: 390 }, (_, i) => i),
        [1, 2],
      ),
    );
    sd.startDay(today);
    sd.ingestMany(barsAt(today, [0, 1], [1]));
    const s = sym(sd);
    expect(s.historical_summary).toEqual({
      loaded: true,
      bar_counts: { '1m': 390, '5m': 78, '15m': 26, '30m': 13, '1h': 7 },
      date_range: { start: '2025-07-01', end: '2025-07-01' },
    });
    expect(s.bar_counts['1m']).toBe(2);
    expect(s.current_bars['1m']?.data.length).toBe(2);
    sd.startDay(windowOf('2025-07-03'));
    expect(sym(sd).historical_summary).toMatchObject({ loaded: true });
    expect(sym(sd).bar_counts['1m']).toBe(0);
  });

  it('trimHistory forgets the days before a date and keeps the rest exact', () => {
    const sd = new SessionData({ calendar });
    const days = ['2025-06-30', '2025-07-01', '2025-07-02'];
    for (const d of days)
      sd.loadHistorical(
        'T',
        barsAt(
          windowOf(d),
          Array.from({ length: 390 }, (_, i) => i),
          [1, 2],
        ),
      );
    expect(sym(sd).historical_summary).toMatchObject({
      bar_counts: { '1m': 1170, '1h': 21 },
      date_range: { start: '2025-06-30', end: '2025-07-02' },
    });
    sd.trimHistory('2025-07-01');
    expect(sym(sd).historical_summary).toEqual({
      loaded: true,
      bar_counts: { '1m': 780, '5m': 156, '15m': 52, '30m': 26, '1h': 14 },
      date_range: { start: '2025-07-01', end: '2025-07-02' },
    });
    // Later days still append after the kept ones; earlier ones are still refused as out of order.
    sd.loadHistorical('T', barsAt(windowOf('2025-07-03'), [0, 1], [1]));
    expect(sym(sd).historical_summary).toMatchObject({
      date_range: { start: '2025-07-01', end: '2025-07-03' },
    });
    expect(() => sd.loadHistorical('T', barsAt(windowOf('2025-07-01'), [5], [1]))).toThrow(
      /strictly increasing/,
    );
    sd.trimHistory('2025-08-01');
    expect(sym(sd).historical_summary).toMatchObject({ loaded: false, bar_counts: { '1m': 0 } });
  });

  it('names of Object.prototype (__proto__, constructor, toString) break the symbol rule and are refused (issue 20 item 2)', () => {
    const sd = new SessionData({ calendar });
    for (const name of ['__proto__', 'constructor', 'toString', 'BRK B', 'A'.repeat(65), 'CAF\uFFFD']) {
      expect(() => sd.addSymbol(name)).toThrow(SymbolNameError);
    }
    expect(() => sd.addSymbol('__proto__')).toThrow(/symbol "__proto__" is not valid/);
    sd.addSymbol('BRK.B');
    expect(Object.keys(sd.toJson().symbols)).toEqual(['BRK.B']);
  });

  it('removing a symbol removes it from the JSON', () => {
    const sd = new SessionData({ calendar });
    sd.addSymbol('T');
    sd.addSymbol('U');
    sd.toJson();
    expect(sd.removeSymbol('T')).toBe(true);
    expect(Object.keys(sd.toJson().symbols)).toEqual(['U']);
    expect(sd.removeSymbol('T')).toBe(false);
  });

  it('stores a full day of 1m bars in 48 bytes each (goal ≤ 56), no object per bar', () => {
    const w = windowOf('2025-07-02');
    const sd = new SessionData({ calendar });
    const s = sd.addSymbol('T');
    sd.startDay(w);
    const empty = s.sizeBytes;
    sd.ingestMany(
      barsAt(
        w,
        Array.from({ length: 390 }, (_, i) => i),
        [1],
      ),
    );
    // The regular table is allocated for the whole session up front and does not grow.
    expect(s.sizeBytes).toBe(empty);
    const table = new BarTable(false, 1);
    for (let i = 0; i < 1024; i++) table.push(i, 1, 1, 1, 1, 1);
    expect(table.sizeBytes / table.length).toBe(48);
  });
});
