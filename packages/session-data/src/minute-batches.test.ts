import { type Bar, BarValidationError } from '@sys/market-data';
import { syntheticDayBars, syntheticSymbols } from '@sys/market-data/synthetic';
import { MINUTE_MS, NyseCalendar, type SessionWindow } from '@sys/market-time';
import { describe, expect, it } from 'vitest';
import { BarTable } from './bar-table.js';
import { UnknownSymbolError } from './errors.js';
import { SessionData } from './session-data.js';

const calendar = new NyseCalendar();

function windowOf(date: string): SessionWindow {
  const w = calendar.session(date);
  if (w === null) throw new Error(`${date} is not a trading day`);
  return w;
}

/** A session over `symbols` on `w`, with a fixed wall clock so the debug performance figures compare. */
function session(symbols: readonly string[], w: SessionWindow): SessionData {
  const sd = new SessionData({ calendar, now: () => 7 });
  for (const s of symbols) sd.addSymbol(s);
  sd.startDay(w);
  return sd;
}

/** The bars by minute, as the replay engine hands them over (one bar per symbol, symbols in order). */
function byMinute(bars: readonly Bar[]): { bars: Bar[]; endMs: number }[] {
  const out: { bars: Bar[]; endMs: number }[] = [];
  for (const bar of bars) {
    const last = out[out.length - 1];
    if (last !== undefined && last.endMs === bar.startMs + MINUTE_MS) last.bars.push(bar);
    else out.push({ bars: [bar], endMs: bar.startMs + MINUTE_MS });
  }
  return out;
}

const json = (sd: SessionData, debug: boolean) => JSON.parse(JSON.stringify(sd.toJson({ debug })));

describe('per-minute batches (the replay engine path)', () => {
  const cases = [
    ['2025-07-07', 'regular', 0],
    ['2025-07-07', 'extended', 0.1],
    ['2025-07-03', 'extended', 0.05], // early close: 13:00, post-market to 17:00
    ['2025-11-28', 'regular', 0.3],
    ['2025-03-10', 'extended', 0.5], // the Monday after the clocks changed
  ] as const;
  it.each(cases)(
    '%s %s hours, gap rate %s: the same JSON as one batch per symbol-day, debug included',
    (date, sessions, gapRate) => {
      const w = windowOf(date);
      const symbols = syntheticSymbols(12);
      const all = [...syntheticDayBars(date, symbols, { seed: 3, calendar, gapRate, sessions })];
      const minutes = byMinute(all);
      const perMinute = session(symbols, w);
      const perDay = session(symbols, w);
      let k = 0;
      for (const m of minutes) {
        perMinute.ingestMany(m.bars);
        perMinute.foldDerived();
        perMinute.advanceTo(m.endMs);
        // Midway, the per-day store gets exactly the bars so far and must read the same.
        if (++k === Math.floor(minutes.length / 2)) {
          const sofar = all.filter((b) => b.startMs < m.endMs);
          for (const s of symbols) perDay.getSymbol(s)?.ingestMany(sofar.filter((b) => b.symbol === s));
          perDay.foldDerived();
          perDay.advanceTo(m.endMs);
          for (const debug of [false, true]) expect(json(perMinute, debug)).toEqual(json(perDay, debug));
          const rest = all.filter((b) => b.startMs >= m.endMs);
          for (const s of symbols) perDay.getSymbol(s)?.ingestMany(rest.filter((b) => b.symbol === s));
        }
      }
      perDay.foldDerived();
      const endMs = (minutes[minutes.length - 1] as { endMs: number }).endMs;
      perDay.advanceTo(endMs);
      for (const debug of [false, true]) expect(json(perMinute, debug)).toEqual(json(perDay, debug));
    },
  );

  it('a minute given twice is refused as duplicates and stores nothing', () => {
    const w = windowOf('2025-07-07');
    const symbols = syntheticSymbols(5);
    const minutes = byMinute([...syntheticDayBars('2025-07-07', symbols, { seed: 1, calendar })]);
    const sd = session(symbols, w);
    const [m0, m1] = minutes as unknown as [{ bars: Bar[] }, { bars: Bar[] }];
    sd.ingestMany(m0.bars);
    sd.ingestMany(m1.bars);
    const before = json(sd, true);
    expect(() => sd.ingestMany(m1.bars)).toThrow(/duplicate row/);
    // Out of order: the first minute after the second.
    expect(() => sd.ingestMany(m0.bars)).toThrow(/out of order/);
    // The same symbol twice in one batch (its own duplicate).
    expect(() =>
      sd.ingestMany([
        ...(minutes[2] as { bars: Bar[] }).bars,
        (minutes[2] as { bars: Bar[] }).bars[0] as Bar,
      ]),
    ).toThrow(/duplicate row/);
    expect(json(sd, true)).toEqual(before);
  });

  it('one bad bar late in a minute stores nothing for the symbols before it', () => {
    const w = windowOf('2025-07-07');
    const symbols = syntheticSymbols(5);
    const minutes = byMinute([...syntheticDayBars('2025-07-07', symbols, { seed: 1, calendar })]);
    const sd = session(symbols, w);
    sd.ingestMany((minutes[0] as { bars: Bar[] }).bars);
    const before = json(sd, true);
    const bad = (minutes[1] as { bars: Bar[] }).bars.map((b, i) => (i === 3 ? { ...b, volume: 1.5 } : b));
    expect(() => sd.ingestMany(bad)).toThrow(BarValidationError);
    expect(json(sd, true)).toEqual(before);
    const unknown = (minutes[1] as { bars: Bar[] }).bars.map((b, i) =>
      i === 4 ? { ...b, symbol: 'NOPE' } : b,
    );
    expect(() => sd.ingestMany(unknown)).toThrow(UnknownSymbolError);
    expect(json(sd, true)).toEqual(before);
  });

  it('a batch that differs from the last one only in order or in duplicates is still checked whole', () => {
    const w = windowOf('2025-07-07');
    const symbols = syntheticSymbols(3);
    const minutes = byMinute([...syntheticDayBars('2025-07-07', symbols, { seed: 1, calendar })]);
    const sd = session(symbols, w);
    const [a, b, c] = (minutes[0] as { bars: Bar[] }).bars as [Bar, Bar, Bar];
    sd.ingestMany([a, b, c]);
    const [a1, b1, c1] = (minutes[1] as { bars: Bar[] }).bars as [Bar, Bar, Bar];
    // An unknown symbol after a symbol moved: the error leaves no remembered order that could hide a duplicate.
    expect(() => sd.ingestMany([a1, c1, { ...b1, symbol: 'NOPE' }])).toThrow(UnknownSymbolError);
    expect(() => sd.ingestMany([a1, c1, c1])).toThrow(/duplicate row/);
    sd.ingestMany([c1, a1, b1]);
    sd.foldDerived();
    expect(sd.toJson().symbols[c.symbol]?.bar_counts['1m']).toBe(2);
    expect(sd.toJson().symbols[a.symbol]?.volume).toBe(a.volume + a1.volume);
  });
});

describe('bytes per bar', () => {
  it('a full day fed minute by minute holds 1m and derived bars in ≤ 56 B a bar (sizeBytes)', () => {
    const w = windowOf('2025-07-07');
    const symbols = syntheticSymbols(3);
    const sd = session(symbols, w);
    for (const m of byMinute([...syntheticDayBars('2025-07-07', symbols, { seed: 1, calendar })])) {
      sd.ingestMany(m.bars);
      sd.foldDerived();
      sd.advanceTo(m.endMs);
    }
    const s = sd.getSymbol(symbols[0] as string);
    expect(s?.barCount).toBe(390);
    // 42 B a 1m bar (the start kept as its minute after the open) and 4 B a derived bar (its 1m rows).
    expect((s?.sizeBytes ?? 0) / 390).toBeLessThanOrEqual(44);
  });

  it('a minute table gives every start back exactly, across a clock change and after dropping rows', () => {
    const origin = Date.parse('2025-03-10T13:30:00Z');
    const table = new BarTable(false, 5, true);
    table.clear(origin);
    const starts = [0, 1, 389, 1000, 65_535].map((m) => origin + m * MINUTE_MS);
    for (const t of starts) table.push(t, 1, 2, 0.5, 1.5, 10);
    expect(starts.map((_, i) => table.timeAt(i))).toEqual(starts);
    expect(table.sizeBytes).toBe(5 * 42);
    table.dropFirst(2);
    expect([0, 1, 2].map((i) => table.timeAt(i))).toEqual(starts.slice(2));
    expect(table.close[2]).toBe(1.5);
  });
});
