// Indicators through the system: a backtest of the bundled AAPL day with indicators declared shows, in the
// complete JSON, the values @sys/indicators gives alone over the same bars; every delta carries only the
// indicators that changed; and the config names the JSON path of a bad declaration.
import { readFileSync } from 'node:fs';
import type { Json } from '@sys/core';
import { createIndicator, type IndicatorSpec, type OhlcvBar } from '@sys/indicators';
import type { Bar } from '@sys/market-data';
import { readCsvBars } from '@sys/market-data/csv';
import { samplePath } from '@sys/market-data/samples';
import { NyseCalendar } from '@sys/market-time';
import { describe, expect, it } from 'vitest';
import { ConfigError, type IndicatorConfig, parseConfig, sampleConfig } from './config.js';
import { SystemManager } from './manager.js';

type Obj = Record<string, Json>;
const MINUTE = 60_000;
const day = new NyseCalendar().session('2025-07-02');

async function regularBars(): Promise<Bar[]> {
  const out: Bar[] = [];
  if (day === null) throw new Error('2025-07-02 is a trading day');
  for await (const b of readCsvBars(samplePath('AAPL_2025-07-02.csv')))
    if (b.startMs >= day.regularOpenMs && b.startMs < day.regularCloseMs) out.push(b);
  return out;
}

/** 5m bars from the repo's independent reference figures. */
function reference5m(): OhlcvBar[] {
  const e = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as {
    derived_bars_regular_session: { '5m': { data: [string, number, number, number, number, number][] } };
  };
  if (day === null) throw new Error('2025-07-02 is a trading day');
  return e.derived_bars_regular_session['5m'].data.map(([t, open, high, low, close, volume]) => {
    const [h, m] = t.split(':').map(Number) as [number, number];
    return { startMs: day.regularOpenMs + ((h - 9) * 60 + m - 30) * MINUTE, open, high, low, close, volume };
  });
}

function alone(spec: IndicatorSpec, bars: readonly OhlcvBar[]): Json {
  const ind = createIndicator(spec);
  for (const b of bars) ind.update(b);
  return ind.value as Json;
}

const DECLARED: IndicatorConfig[] = [
  { name: 'ema', period: 20, interval: '1m' },
  { name: 'rsi', period: 14, interval: '5m' },
  { name: 'bollinger', period: 20, k: 2, interval: '1m', symbols: ['AAPL'] },
  { name: 'stoch', period: 14, smooth: 3, interval: '5m' },
];

describe('a backtest with indicators declared', () => {
  it('shows the package-alone values in the complete JSON; deltas carry only changed indicators', async () => {
    const sm = new SystemManager(sampleConfig({ sessions: 'regular', indicators: DECLARED }), {});
    sm.toJson({ consumer: 'deltas' });
    let minuteDeltas = 0;
    sm.onEvent((event) => {
      const delta = sm.toJson({ consumer: 'deltas' }) as Obj;
      const paths = (delta._metadata as { changed_paths: string[] }).changed_paths;
      const prefix = '/session_data/symbols/AAPL/indicators/';
      const keys = paths
        .filter((p) => p.startsWith(prefix))
        .map((p) => p.slice(prefix.length).split('/')[0] as string);
      const ind = ((delta.session_data as Obj | undefined)?.symbols as Obj | undefined)?.AAPL as
        | Obj
        | undefined;
      const carried = Object.keys((ind?.indicators as Obj | undefined) ?? {});
      // A symbol (or its indicators) new as a whole is one path; else the partial object carries exactly
      // the indicators whose paths changed.
      if (!paths.some((p) => prefix.startsWith(`${p}/`)))
        expect(carried.sort()).toEqual([...new Set(keys)].sort());
      // A snapshot (the feed may send one instead of a long delta) says nothing about what changed.
      if (paths.includes('') || event.kind !== 'minute' || day === null) return;
      if (event.atMs <= day.regularOpenMs || event.atMs > day.regularCloseMs) return;
      minuteDeltas++;
      // Every regular minute brings a 1m bar; a 5m bar is finished only at the end of its bucket.
      const bucketEnd = (event.atMs - day.regularOpenMs) % (5 * MINUTE) === 0;
      expect(new Set(keys)).toEqual(
        new Set(['ema_20_1m', 'bollinger_20_2_1m', ...(bucketEnd ? ['rsi_14_5m', 'stoch_14_3_3_5m'] : [])]),
      );
    });
    await sm.start();
    await sm.done();

    const bars = await regularBars();
    const five = reference5m();
    const complete = sm.toJson({ complete: true }) as Obj;
    const aapl = ((complete.session_data as Obj).symbols as Obj).AAPL as Obj;
    expect(aapl.indicators).toEqual({
      ema_20_1m: { value: alone({ name: 'ema', period: 20 }, bars), ready: true, as_of: '15:59:00' },
      rsi_14_5m: { value: alone({ name: 'rsi', period: 14 }, five), ready: true, as_of: '15:55:00' },
      bollinger_20_2_1m: {
        value: alone({ name: 'bollinger', period: 20 }, bars),
        ready: true,
        as_of: '15:59:00',
      },
      stoch_14_3_3_5m: {
        value: alone({ name: 'stoch', period: 14, smooth: 3 }, five),
        ready: true,
        as_of: '15:55:00',
      },
    });

    expect(minuteDeltas).toBeGreaterThan(300);

    const debug = sm.toJson({ complete: true, debug: true }) as Obj;
    const series = (((debug.session_data as Obj).symbols as Obj).AAPL as Obj).indicator_series as Obj;
    expect(Object.keys(series)).toEqual(['ema_20_1m', 'rsi_14_5m', 'bollinger_20_2_1m', 'stoch_14_3_3_5m']);
    expect((series.rsi_14_5m as { data: Json[] }).data.length).toBe(78);
  });
});

describe('indicators in the config', () => {
  const base = { symbols: ['AAPL', 'MSFT'], backtest: { start_date: '2025-07-02', end_date: '2025-07-02' } };

  function issues(indicators: unknown): { path: string; message: string }[] {
    try {
      parseConfig({ ...base, indicators });
    } catch (e) {
      if (e instanceof ConfigError) return [...e.issues];
      throw e;
    }
    return [];
  }

  it('accepts a declaration for every symbol or some, and defaults to none', () => {
    expect(parseConfig(base).indicators).toEqual([]);
    expect(
      issues([
        { name: 'macd', interval: '5m' },
        { name: 'ema', period: 9, interval: '1m', symbols: ['MSFT'] },
      ]),
    ).toEqual([]);
  });

  it('names the JSON path of each problem of shape', () => {
    expect(
      issues([
        { name: 'kama', period: 3, interval: '1m' },
        { name: 'ema', period: 3, interval: '2m' },
        { name: 'sma', period: 5, interval: '1m', color: 'red' },
        { name: 'sma', period: '5', interval: '1m' },
      ]).map((i) => i.path),
    ).toEqual(['indicators[0].name', 'indicators[1].interval', 'indicators[2]', 'indicators[3].period']);
  });

  it('names the JSON path of each parameter out of range, unknown symbol and repeated declaration', () => {
    expect(
      issues([
        { name: 'ema', interval: '1m' },
        { name: 'macd', fast: 30, interval: '1m' },
        { name: 'obv', interval: '1m', symbols: ['TSLA'] },
        { name: 'rsi', period: 14, interval: '5m' },
        { name: 'rsi', period: 14, interval: '5m', symbols: ['MSFT'] },
        { name: 'rsi', period: 14, interval: '15m', symbols: ['MSFT'] },
      ]),
    ).toEqual([
      { path: 'indicators[0].period', message: 'ema.period: required (a whole number of bars ≥ 1)' },
      { path: 'indicators[1].fast', message: 'macd.fast: must be below slow (26), got 30' },
      { path: 'indicators[2].symbols[0]', message: "TSLA is not one of the config's symbols" },
      { path: 'indicators[4]', message: 'rsi_14_5m is declared for MSFT already by indicators[3]' },
    ]);
  });
});
