// Every indicator against an independent implementation: trading-signals or technicalindicators where the
// conventions match, else the definitions recomputed in test/first-principles.ts (the README says why).
import type { Bar } from '@sys/market-data';
import { readCsvBars } from '@sys/market-data/csv';
import { samplePath } from '@sys/market-data/samples';
import { EMA as TiEma } from 'technicalindicators';
import { BollingerBands, DonchianChannels, OBV, RSI, SMA, StochasticOscillator, WMA } from 'trading-signals';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fp from '../test/first-principles.js';
import { walk } from '../test/series.js';
import { createIndicator, type IndicatorSpec, type OhlcvBar } from './index.js';

type Rows = number[][];

/** Largest relative error seen per indicator and reference, printed at the end with INDICATORS_REPORT=1. */
const worst = new Map<string, number>();

/** Feeds `bars` one by one and reads every output after each bar (NaN while not ready). */
function stream(spec: IndicatorSpec, bars: readonly OhlcvBar[], sessionOf?: (b: OhlcvBar) => string): Rows {
  const ind = createIndicator(spec);
  let session: string | undefined;
  return bars.map((b) => {
    const s = sessionOf?.(b);
    if (s !== session) {
      ind.newSession();
      session = s;
    }
    ind.update(b);
    expect(ind.ready).toBe(!Number.isNaN(ind.out[0] as number));
    return Array.from(ind.out);
  });
}

/** Every output equal to 1e-9 relative (|a − e| ≤ 1e-9·|e|, or ≤ 1e-12 near 0), and ready at the same bar. */
function expectSame(label: string, actual: Rows, expected: Rows): void {
  expect(actual.length).toBe(expected.length);
  let max = worst.get(label) ?? 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number[];
    const e = expected[i] as number[];
    for (let j = 0; j < e.length; j++) {
      const x = a[j] as number;
      const y = e[j] as number;
      if (Number.isNaN(y) || Number.isNaN(x)) {
        if (Number.isNaN(x) !== Number.isNaN(y)) expect.fail(`${label}: bar ${i} output ${j}: ${x} vs ${y}`);
        continue;
      }
      const err = Math.abs(x - y);
      if (y !== 0) max = Math.max(max, err / Math.abs(y));
      if (err > 1e-12 && err > 1e-9 * Math.abs(y))
        expect.fail(`${label}: bar ${i} output ${j}: ${x} vs ${y}`);
    }
  }
  worst.set(label, max);
}

/** A library's per-bar results as rows (NaN where it gave nothing yet). */
function rowsOf<T>(
  bars: readonly OhlcvBar[],
  update: (b: OhlcvBar) => T | null | undefined,
  read: (v: T) => number[],
  width: number,
): Rows {
  return bars.map((b) => {
    const v = update(b);
    return v === null || v === undefined ? new Array<number>(width).fill(Number.NaN) : read(v);
  });
}

const nyDay = (b: OhlcvBar): string => new Date(b.startMs - 4 * 3_600_000).toISOString().slice(0, 10);

const aapl: Bar[] = [];
const series: [string, () => readonly OhlcvBar[]][] = [
  ['AAPL 2025-07-01/02 1m', () => aapl],
  ['walk 3000 (seed 1)', () => walk(3000, 1)],
  ['walk 3000 (seed 7)', () => walk(3000, 7)],
];

beforeAll(async () => {
  for await (const bar of readCsvBars(samplePath('AAPL_2025-07-02.csv'))) aapl.push(bar);
});

afterAll(() => {
  if (process.env.INDICATORS_REPORT === '1') {
    for (const [label, e] of worst)
      console.info(`${label.padEnd(44)} max relative error ${e.toExponential(2)}`);
  }
});

describe.each(series)('%s', (_, get) => {
  it('has bars', () => {
    expect(get().length).toBeGreaterThan(800);
  });

  it.each([5, 14, 50])('sma(%i) = trading-signals SMA and the definition', (n) => {
    const bars = get();
    const ours = stream({ name: 'sma', period: n }, bars);
    const lib = new SMA(n);
    expectSame(
      'sma vs trading-signals',
      ours,
      rowsOf(
        bars,
        (b) => lib.update(b.close, false),
        (v) => [v],
        1,
      ),
    );
    expectSame('sma vs first principles', ours, fp.sma(bars, n));
  });

  it.each([5, 20, 50])('ema(%i) = technicalindicators EMA (SMA-seeded) and the definition', (n) => {
    const bars = get();
    const ours = stream({ name: 'ema', period: n }, bars);
    const lib = new TiEma({ period: n, values: [] });
    expectSame(
      'ema vs technicalindicators',
      ours,
      rowsOf(
        bars,
        (b) => lib.nextValue(b.close),
        (v) => [v],
        1,
      ),
    );
    expectSame('ema vs first principles', ours, fp.ema(bars, n));
  });

  it.each([5, 20])('wma(%i) = trading-signals WMA and the definition', (n) => {
    const bars = get();
    const ours = stream({ name: 'wma', period: n }, bars);
    const lib = new WMA(n);
    expectSame(
      'wma vs trading-signals',
      ours,
      rowsOf(
        bars,
        (b) => lib.update(b.close, false),
        (v) => [v],
        1,
      ),
    );
    expectSame('wma vs first principles', ours, fp.wma(bars, n));
  });

  it.each([2, 14])('rsi(%i) = trading-signals RSI (Wilder) and the definition', (n) => {
    const bars = get();
    const ours = stream({ name: 'rsi', period: n }, bars);
    const lib = new RSI(n);
    // trading-signals says 100 when there was neither gain nor loss; TA-Lib (and we) say 0.
    const libRows = rowsOf(
      bars,
      (b) => lib.update(b.close, false),
      (v) => [v],
      1,
    );
    const fpRows = fp.rsi(bars, n);
    fpRows.forEach((row, i) => {
      if (row[0] === 0 && libRows[i]?.[0] === 100) (libRows[i] as number[])[0] = 0;
    });
    expectSame('rsi vs trading-signals', ours, libRows);
    expectSame('rsi vs first principles', ours, fpRows);
  });

  it.each([
    [12, 26, 9],
    [5, 35, 5],
  ])('macd(%i, %i, %i) = the TA-Lib definition', (fast, slow, signal) => {
    const bars = get();
    expectSame(
      'macd vs first principles',
      stream({ name: 'macd', fast, slow, signal }, bars),
      fp.macd(bars, fast, slow, signal),
    );
  });

  it.each([1, 14])('atr(%i) = the TA-Lib definition (first TR needs a previous close)', (n) => {
    const bars = get();
    expectSame('atr vs first principles', stream({ name: 'atr', period: n }, bars), fp.atr(bars, n));
  });

  it.each([
    [20, 2],
    [10, 1.5],
  ])('bollinger(%i, %f) = trading-signals BollingerBands (population σ) and the definition', (n, k) => {
    const bars = get();
    const ours = stream({ name: 'bollinger', period: n, k }, bars);
    const lib = new BollingerBands(n, k);
    expectSame(
      'bollinger vs trading-signals',
      ours,
      rowsOf(
        bars,
        (b) => lib.update(b.close, false),
        (v) => [v.upper, v.middle, v.lower],
        3,
      ),
    );
    expectSame('bollinger vs first principles', ours, fp.bollinger(bars, n, k));
  });

  it.each([
    [14, 1, 3],
    [14, 3, 3],
    [5, 3, 3],
  ])('stoch(%i, %i, %i) = trading-signals StochasticOscillator and the definition', (n, smooth, signal) => {
    const bars = get();
    const ours = stream({ name: 'stoch', period: n, smooth, signal }, bars);
    const lib = new StochasticOscillator({ kPeriod: n, kSlowingPeriod: smooth, dPeriod: signal });
    expectSame(
      'stoch vs trading-signals',
      ours,
      rowsOf(
        bars,
        (b) => lib.update(b, false),
        (v) => [v.stochK, v.stochD],
        2,
      ),
    );
    expectSame('stoch vs first principles', ours, fp.stoch(bars, n, smooth, signal));
  });

  it('obv = trading-signals OBV plus the first volume (TA-Lib starts at it), and the definition', () => {
    const bars = get();
    const ours = stream({ name: 'obv' }, bars);
    const lib = new OBV(2);
    const v0 = (bars[0] as OhlcvBar).volume;
    const libRows = rowsOf(
      bars,
      (b) => lib.update(b, false),
      (v) => [v + v0],
      1,
    );
    libRows[0] = [v0];
    expectSame('obv vs trading-signals', ours, libRows);
    expectSame('obv vs first principles', ours, fp.obv(bars));
  });

  it.each([1, 2])('vwap_bands(%f) = the definition, afresh each New York day', (k) => {
    const bars = get();
    expectSame(
      'vwap_bands vs first principles',
      stream({ name: 'vwap_bands', k }, bars, nyDay),
      fp.vwapBands(bars, k, nyDay),
    );
  });

  it.each([1, 20])('donchian(%i) = trading-signals DonchianChannels and the definition', (n) => {
    const bars = get();
    const ours = stream({ name: 'donchian', period: n }, bars);
    const lib = new DonchianChannels(n);
    expectSame(
      'donchian vs trading-signals',
      ours,
      rowsOf(
        bars,
        (b) => lib.update(b, false),
        (v) => [v.upper, v.middle, v.lower],
        3,
      ),
    );
    expectSame('donchian vs first principles', ours, fp.donchian(bars, n));
  });

  it.each([2, 14])('adx(%i) = the TA-Lib definition', (n) => {
    const bars = get();
    expectSame('adx vs first principles', stream({ name: 'adx', period: n }, bars), fp.adx(bars, n));
  });
});
