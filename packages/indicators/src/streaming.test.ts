// Streaming equals batch: feeding bars one at a time gives, after every bar, what the definitions give when
// recomputed from all bars so far; plus the checks of parameters and the reset of a session.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import * as fp from '../test/first-principles.js';
import {
  createIndicator,
  INDICATOR_NAMES,
  IndicatorParamError,
  type IndicatorSpec,
  type OhlcvBar,
  resolveIndicatorSpec,
  UnknownIndicatorError,
} from './index.js';

/** Bars from generated moves: prices on a coarse grid so ties, flat runs and equal extremes are common. */
const barsArb = fc
  .array(
    fc.record({
      move: fc.integer({ min: -3, max: 3 }),
      up: fc.integer({ min: 0, max: 2 }),
      down: fc.integer({ min: 0, max: 2 }),
      volume: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((moves) => {
    let close = 100;
    return moves.map((m, i): OhlcvBar => {
      const open = close;
      close = Math.max(1, close + m.move * 0.25);
      return {
        startMs: i * 60_000,
        open,
        high: Math.max(open, close) + m.up * 0.25,
        low: Math.min(open, close) - m.down * 0.25,
        close,
        volume: m.volume,
      };
    });
  });

const cases: [IndicatorSpec, (bars: readonly OhlcvBar[]) => number[][]][] = [
  [{ name: 'sma', period: 4 }, (b) => fp.sma(b, 4)],
  [{ name: 'ema', period: 4 }, (b) => fp.ema(b, 4)],
  [{ name: 'wma', period: 4 }, (b) => fp.wma(b, 4)],
  [{ name: 'rsi', period: 3 }, (b) => fp.rsi(b, 3)],
  [{ name: 'macd', fast: 3, slow: 6, signal: 4 }, (b) => fp.macd(b, 3, 6, 4)],
  [{ name: 'atr', period: 3 }, (b) => fp.atr(b, 3)],
  [{ name: 'bollinger', period: 5, k: 2 }, (b) => fp.bollinger(b, 5, 2)],
  [{ name: 'stoch', period: 4, smooth: 2, signal: 3 }, (b) => fp.stoch(b, 4, 2, 3)],
  [{ name: 'obv' }, (b) => fp.obv(b)],
  [{ name: 'vwap_bands', k: 2 }, (b) => fp.vwapBands(b, 2, () => 'one session')],
  [{ name: 'donchian', period: 5 }, (b) => fp.donchian(b, 5)],
  [{ name: 'adx', period: 3 }, (b) => fp.adx(b, 3)],
];

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-3);
}

describe('streaming equals batch', () => {
  it('covers every indicator', () => {
    expect(cases.map(([s]) => s.name).sort()).toEqual([...INDICATOR_NAMES].sort());
  });

  for (const [spec, batch] of cases) {
    test.prop([barsArb], { numRuns: 60 })(`${resolveIndicatorSpec(spec).key}`, (bars) => {
      const ind = createIndicator(spec);
      for (let i = 0; i < bars.length; i++) {
        ind.update(bars[i] as OhlcvBar);
        const want = batch(bars.slice(0, i + 1))[i] as number[];
        const got = Array.from(ind.out);
        for (let j = 0; j < want.length; j++) {
          if (!close(got[j] as number, want[j] as number)) {
            throw new Error(`bar ${i} output ${j}: streamed ${got[j]}, batch ${want[j]}`);
          }
        }
        expect(ind.ready).toBe(!Number.isNaN(want[0] as number));
        expect(ind.count).toBe(i + 1);
        expect(ind.lastStartMs).toBe(bars[i]?.startMs);
      }
      // Ready exactly after the warm-up the indicator states (vwap_bands also needs some volume).
      if (spec.name !== 'vwap_bands') expect(ind.ready).toBe(bars.length >= ind.warmUpBars);
      // reset gives back a fresh indicator.
      ind.reset();
      const fresh = createIndicator(spec);
      for (const b of bars) {
        ind.update(b);
        fresh.update(b);
      }
      expect(Array.from(ind.out)).toEqual(Array.from(fresh.out));
    });
  }
});

describe('values and JSON', () => {
  it('shows one number, or one per output, null until ready', () => {
    const ema = createIndicator({ name: 'ema', period: 2 });
    expect(ema.toJson()).toEqual({ value: null, ready: false });
    ema.update({ startMs: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 });
    ema.update({ startMs: 60_000, open: 1, high: 3, low: 1, close: 3, volume: 1 });
    expect(ema.toJson()).toEqual({ value: 2, ready: true });
    const macd = createIndicator({ name: 'macd' });
    expect(macd.toJson()).toEqual({ value: { macd: null, signal: null, histogram: null }, ready: false });
  });

  it('starts vwap_bands afresh at a new session', () => {
    const v = createIndicator({ name: 'vwap_bands', k: 1 });
    v.update({ startMs: 0, open: 10, high: 12, low: 9, close: 9, volume: 100 });
    expect(v.value).toEqual({ vwap: 10, upper: 10, lower: 10 });
    // It says it started afresh; an indicator not anchored to the session says it did not.
    expect(v.newSession()).toBe(true);
    expect(createIndicator({ name: 'macd' }).newSession()).toBe(false);
    expect(v.ready).toBe(false);
    v.update({ startMs: 86_400_000, open: 20, high: 21, low: 20, close: 20.5, volume: 0 });
    expect(v.ready).toBe(false);
    v.update({ startMs: 86_460_000, open: 20, high: 21, low: 19, close: 20, volume: 5 });
    expect(v.value).toEqual({ vwap: 20, upper: 20, lower: 20 });
  });
});

describe('parameters', () => {
  it('fills defaults and names the key in parameter order', () => {
    expect(resolveIndicatorSpec({ name: 'macd' }).key).toBe('macd_12_26_9');
    expect(resolveIndicatorSpec({ name: 'bollinger', period: 20 }).key).toBe('bollinger_20_2');
    expect(resolveIndicatorSpec({ name: 'stoch', period: 14 }).key).toBe('stoch_14_1_3');
    expect(resolveIndicatorSpec({ name: 'vwap_bands', k: 1.5 }).key).toBe('vwap_bands_1.5');
    expect(resolveIndicatorSpec({ name: 'obv' }).key).toBe('obv');
    expect(resolveIndicatorSpec({ name: 'ema', period: 20 }).params).toEqual({ period: 20 });
  });

  it.each([
    [{ name: 'ema' }, 'ema.period: required'],
    [{ name: 'ema', period: 0 }, 'ema.period: expected a whole number of bars from 1 to 100000, got 0'],
    [{ name: 'sma', period: 2.5 }, 'sma.period: expected a whole number'],
    [{ name: 'rsi', period: Number.NaN }, 'rsi.period: expected a whole number'],
    [{ name: 'macd', fast: 26, slow: 12 }, 'macd.fast: must be below slow (12), got 26'],
    [{ name: 'bollinger', period: 20, k: -1 }, 'bollinger.k: expected a number of standard deviations'],
    [{ name: 'obv', period: 3 }, 'obv.period: obv takes no parameters'],
    [{ name: 'ema', period: 3, k: 2 }, 'ema.k: ema takes period'],
  ] as [IndicatorSpec, string][])('refuses %j', (spec, message) => {
    const e = (() => {
      try {
        resolveIndicatorSpec(spec);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(IndicatorParamError);
    expect((e as Error).message).toContain(message);
    expect((e as IndicatorParamError).code).toBe('INDICATOR_PARAM');
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => createIndicator({ name: 'kama', period: 3 })).toThrow(UnknownIndicatorError);
    expect(() => createIndicator({ name: 'toString' })).toThrow(/expected one of sma, ema, wma/);
  });
});
