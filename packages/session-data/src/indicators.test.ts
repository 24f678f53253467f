// Indicators in the session state: fed only closed bars (1m as stored, derived once finished), the same
// values as @sys/indicators fed the reference bars alone, warmed by history, and cached so an unchanged
// indicator keeps its object.
import { readFileSync } from 'node:fs';
import { createIndicator, type IndicatorSpec, type OhlcvBar } from '@sys/indicators';
import type { Bar } from '@sys/market-data';
import { readCsvBars } from '@sys/market-data/csv';
import { samplePath } from '@sys/market-data/samples';
import { NyseCalendar, nyDateOf, type SessionWindow } from '@sys/market-time';
import { beforeAll, describe, expect, it } from 'vitest';
import { IndicatorDeclarationError } from './errors.js';
import { type SessionIndicatorSpec, SymbolIndicators, sessionIndicatorKey } from './indicators.js';
import { SessionData } from './session-data.js';
import type { IndicatorStateJson, SymbolJson } from './wire.js';

interface Expected {
  derived_bars_regular_session: Record<string, { columns: string[]; data: [string, ...number[]][] }>;
}

const calendar = new NyseCalendar();
const MINUTE = 60_000;
const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as Expected;
const day = calendar.session('2025-07-02') as SessionWindow;
let regular: Bar[] = [];
let all: Bar[] = [];

beforeAll(async () => {
  all = [];
  for await (const bar of readCsvBars(samplePath('AAPL_2025-07-02.csv'))) all.push(bar);
  all = all.filter((b) => nyDateOf(b.startMs) === '2025-07-02');
  regular = all.filter((b) => b.startMs >= day.regularOpenMs && b.startMs < day.regularCloseMs);
});

const SPECS: SessionIndicatorSpec[] = [
  { name: 'ema', period: 20, interval: '1m' },
  { name: 'macd', interval: '1m' },
  { name: 'vwap_bands', k: 2, interval: '1m' },
  { name: 'rsi', period: 14, interval: '5m' },
  { name: 'adx', period: 7, interval: '5m' },
  { name: 'bollinger', period: 5, interval: '15m' },
  { name: 'atr', period: 3, interval: '1h' },
];

/** The derived bars of the reference file as bars (times are New York `HH:MM:SS` of 2025-07-02). */
function referenceBars(interval: string): OhlcvBar[] {
  const t = expected.derived_bars_regular_session[interval];
  if (t === undefined) throw new Error(`no ${interval} reference bars`);
  return t.data.map(([time, open, high, low, close, volume]) => {
    const [h, m] = time.split(':').map(Number) as [number, number];
    const startMs = day.regularOpenMs + ((h - 9) * 60 + m - 30) * MINUTE;
    return { startMs, open, high, low, close, volume } as OhlcvBar;
  });
}

/** The package alone over `bars`: its JSON value. */
function alone(spec: IndicatorSpec, bars: readonly OhlcvBar[]): unknown {
  const ind = createIndicator(spec);
  for (const b of bars) ind.update(b);
  return ind.value;
}

/** Replays minute by minute as the engine does: the minute's bars, fold, then market time at its end. */
function replay(sd: SessionData, bars: readonly Bar[], untilMs = Number.POSITIVE_INFINITY): void {
  for (const b of bars) {
    if (b.startMs + MINUTE > untilMs) break;
    sd.ingestMany([b]);
    sd.foldDerived();
    sd.advanceTo(b.startMs + MINUTE);
  }
}

const stateOf = (sd: SessionData, debug = false): SymbolJson => {
  const s = sd.toJson({ debug }).symbols.AAPL;
  if (s === undefined) throw new Error('no AAPL');
  return s;
};
const ind = (s: SymbolJson, key: string): IndicatorStateJson => {
  const v = s.indicators?.[key];
  if (v === undefined) throw new Error(`no ${key}`);
  return v;
};

describe('indicators on the real AAPL day', () => {
  it('equal the package alone fed the 1m bars and the reference derived bars', () => {
    const sd = new SessionData({ calendar, indicators: SPECS });
    sd.addSymbol('AAPL');
    sd.startDay(day);
    replay(sd, all);
    sd.advanceTo(day.regularCloseMs);
    const s = stateOf(sd);
    expect(Object.keys(s.indicators ?? {})).toEqual([
      'ema_20_1m',
      'macd_12_26_9_1m',
      'vwap_bands_2_1m',
      'rsi_14_5m',
      'adx_7_5m',
      'bollinger_5_2_15m',
      'atr_3_1h',
    ]);
    expect(ind(s, 'ema_20_1m')).toEqual({
      value: alone(SPECS[0] as IndicatorSpec, regular),
      ready: true,
      as_of: '15:59:00',
    });
    expect(ind(s, 'macd_12_26_9_1m').value).toEqual(alone({ name: 'macd' }, regular));
    expect(ind(s, 'rsi_14_5m')).toEqual({
      value: alone({ name: 'rsi', period: 14 }, referenceBars('5m')),
      ready: true,
      as_of: '15:55:00',
    });
    expect(ind(s, 'adx_7_5m').value).toEqual(alone({ name: 'adx', period: 7 }, referenceBars('5m')));
    expect(ind(s, 'bollinger_5_2_15m').value).toEqual(
      alone({ name: 'bollinger', period: 5 }, referenceBars('15m')),
    );
    expect(ind(s, 'atr_3_1h')).toEqual({
      value: alone({ name: 'atr', period: 3 }, referenceBars('1h')),
      ready: true,
      as_of: '15:30:00',
    });
    // The session's VWAP figure and the indicator's agree (pre-market bars feed neither).
    const vwap = (ind(s, 'vwap_bands_2_1m').value as { vwap: number }).vwap;
    expect(Math.abs(vwap - (s.vwap as number))).toBeLessThan(1e-9 * vwap);
  });

  it('never feeds the forming bar: a 5m indicator moves only when its bucket is finished', () => {
    const sd = new SessionData({ calendar, indicators: [{ name: 'sma', period: 1, interval: '5m' }] });
    sd.addSymbol('AAPL');
    sd.startDay(day);
    replay(sd, all, day.regularOpenMs + 4 * MINUTE);
    const before = stateOf(sd);
    expect(ind(before, 'sma_1_5m')).toEqual({ value: null, ready: false, as_of: null });
    expect(before.bar_counts['1m']).toBe(4);
    replay(sd, regular.slice(4, 5));
    const s = stateOf(sd);
    const first = referenceBars('5m')[0] as OhlcvBar;
    expect(ind(s, 'sma_1_5m')).toEqual({ value: first.close, ready: true, as_of: '09:30:00' });
  });

  it('keeps the object of an unchanged indicator, so a diff skips it', () => {
    const sd = new SessionData({ calendar, indicators: SPECS });
    sd.addSymbol('AAPL');
    sd.startDay(day);
    replay(sd, all, day.regularOpenMs + 61 * MINUTE);
    const a = stateOf(sd);
    replay(sd, regular.slice(61, 62));
    const b = stateOf(sd);
    expect(b.indicators?.ema_20_1m).not.toBe(a.indicators?.ema_20_1m);
    expect(b.indicators?.rsi_14_5m).toBe(a.indicators?.rsi_14_5m);
    expect(b.indicators?.atr_3_1h).toBe(a.indicators?.atr_3_1h);
    expect(Object.isFrozen(b.indicators)).toBe(true);
  });

  it('shows the series of today beside current_bars with debug, one row per closed bar', () => {
    const sd = new SessionData({ calendar, indicators: SPECS });
    sd.addSymbol('AAPL');
    sd.startDay(day);
    replay(sd, all, day.regularOpenMs + 32 * MINUTE);
    const s = stateOf(sd, true);
    const macd = s.indicator_series?.macd_12_26_9_1m;
    expect(macd?.columns).toEqual(['timestamp', 'macd', 'signal', 'histogram']);
    expect(macd?.data.length).toBe(32);
    expect(macd?.data[0]).toEqual(['09:30:00', null, null, null]);
    const last = macd?.data[31];
    expect(last?.slice(1)).toEqual(Object.values(ind(s, 'macd_12_26_9_1m').value as object));
    const rsi = s.indicator_series?.rsi_14_5m;
    expect(rsi).toMatchObject({
      interval: '5m',
      label: 'start',
      closed: 'left',
      columns: ['timestamp', 'value'],
    });
    expect(rsi?.data.map((r) => r[0])).toEqual([
      '09:30:00',
      '09:35:00',
      '09:40:00',
      '09:45:00',
      '09:50:00',
      '09:55:00',
    ]);
    expect(s.current_bars?.['5m'].data.length).toBe(6);
  });

  it('refuses an indicator declared twice for a symbol', () => {
    const sd = new SessionData({
      calendar,
      indicators: [
        { name: 'ema', period: 3, interval: '1m' },
        { name: 'ema', period: 3, interval: '1m' },
      ],
    });
    expect(() => sd.addSymbol('AAPL')).toThrow(IndicatorDeclarationError);
  });
});

/** Regular-session bars of a generated day (a random walk, one bar a minute). */
function genDay(w: SessionWindow, start: number, seed: number): Bar[] {
  let x = start;
  let s = seed;
  const out: Bar[] = [];
  for (let t = w.regularOpenMs; t < w.regularCloseMs; t += MINUTE) {
    s = (s * 16807) % 2147483647;
    const open = x;
    x = Math.round((x + ((s % 200) - 100) / 100) * 100) / 100;
    out.push({
      symbol: 'AAPL',
      startMs: t,
      open,
      high: Math.max(open, x) + 0.05,
      low: Math.min(open, x) - 0.05,
      close: x,
      volume: 1000 + (s % 5000),
    });
  }
  return out;
}

describe('warm-up from history', () => {
  const d1 = calendar.session('2025-07-01') as SessionWindow;
  const specs: SessionIndicatorSpec[] = [
    { name: 'ema', period: 50, interval: '1m' },
    { name: 'rsi', period: 14, interval: '15m' },
    { name: 'vwap_bands', k: 1, interval: '1m' },
  ];

  it('makes indicators ready at the open, as if the earlier day had been replayed', () => {
    const past = genDay(d1, 200, 7);
    const warm = new SessionData({ calendar, indicators: specs });
    warm.addSymbol('AAPL');
    warm.loadHistorical('AAPL', past);
    warm.startDay(day);
    warm.advanceTo(day.regularOpenMs);
    const open = stateOf(warm);
    expect(ind(open, 'ema_50_1m')).toEqual({
      value: alone({ name: 'ema', period: 50 }, past),
      ready: true,
      as_of: '15:59:00',
    });
    expect(ind(open, 'rsi_14_15m').ready).toBe(true);
    // Session VWAP starts afresh each day: nothing yet today.
    expect(ind(open, 'vwap_bands_1_1m').ready).toBe(false);

    // Replaying the earlier day, then loading it again as history (as a multi-day backtest does), gives
    // the same state: a bar already fed is never fed again.
    const replayed = new SessionData({ calendar, indicators: specs });
    replayed.addSymbol('AAPL');
    replayed.startDay(d1);
    replay(replayed, past);
    replayed.advanceTo(d1.regularCloseMs);
    replayed.loadHistorical('AAPL', past);
    replayed.startDay(day);
    replayed.advanceTo(day.regularOpenMs);
    expect(stateOf(replayed).indicators).toEqual(open.indicators);

    const today = genDay(day, 210, 11);
    replay(warm, today);
    replay(replayed, today);
    warm.advanceTo(day.regularCloseMs);
    replayed.advanceTo(day.regularCloseMs);
    expect(stateOf(replayed).indicators).toEqual(stateOf(warm).indicators);
    expect(ind(stateOf(warm), 'ema_50_1m').value).toBe(
      alone({ name: 'ema', period: 50 }, [...past, ...today]),
    );
  });

  it('without history, says not ready until enough bars came', () => {
    const sd = new SessionData({ calendar, indicators: specs });
    sd.addSymbol('AAPL');
    sd.startDay(day);
    replay(sd, genDay(day, 210, 11), day.regularOpenMs + 49 * MINUTE);
    expect(ind(stateOf(sd), 'ema_50_1m').ready).toBe(false);
  });
});

describe('SymbolIndicators, packed in one state array', () => {
  it('gives each indicator the values it has alone, its rows kept past the room made at the day start', () => {
    const specs: SessionIndicatorSpec[] = [
      { name: 'stoch', period: 5, smooth: 3, interval: '1m' },
      { name: 'sma', period: 3, interval: '5m' },
      { name: 'bollinger', period: 4, interval: '1m' },
    ];
    const packed = new SymbolIndicators('AAPL', specs);
    const alone = specs.map((s) => createIndicator(s));
    // Room for 2 rows a day: the 40 bars fed below outgrow it (the rows array is then made anew, rows kept).
    packed.newDay(2);
    const bars = regular.slice(0, 40);
    const rows: (number | null)[][][] = specs.map(() => []);
    bars.forEach((b, i) => {
      packed.feed(0, b.startMs, b.high, b.low, b.close, b.volume, true);
      // The 5m indicator is fed every 5th bar as its own interval, to show intervals are kept apart.
      if (i % 5 === 4) packed.feed(1, b.startMs, b.high, b.low, b.close, b.volume, true);
      specs.forEach((s, k) => {
        const ind = alone[k];
        if (ind === undefined || (s.interval === '5m' && i % 5 !== 4)) return;
        ind.update(b);
        rows[k]?.push(Array.from(ind.out, (v) => (Number.isNaN(v) ? null : v)));
      });
    });
    const state = packed.json();
    const series = packed.seriesJson();
    specs.forEach((s, k) => {
      const key = sessionIndicatorKey(s);
      expect(state[key]?.value).toEqual(alone[k]?.value);
      expect(series[key]?.data.map((r) => r.slice(1))).toEqual(rows[k]);
    });
    expect(series['stoch_5_3_3_1m']?.data).toHaveLength(40);
    expect(series['sma_3_5m']?.data).toHaveLength(8);
  });
});
