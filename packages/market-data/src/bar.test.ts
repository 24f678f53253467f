import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  type Bar,
  BarSequenceValidator,
  BarValidationError,
  END_BAR_START_MS,
  MAX_PRICE,
  MAX_VOLUME,
  MIN_BAR_START_MS,
  MIN_PRICE,
  validateBar,
} from './index.js';

const T = Date.UTC(2025, 6, 2, 13, 30);
const good: Bar = { symbol: 'AAPL', startMs: T, open: 10, high: 11, low: 9, close: 10.5, volume: 100 };

function brokenRule(bar: Bar, previous?: number): string {
  try {
    validateBar(bar, 'f.csv:7', previous);
  } catch (error) {
    expect(error).toBeInstanceOf(BarValidationError);
    const e = error as BarValidationError;
    expect(e.code).toBe('BAR_INVALID');
    expect(e.where).toBe('f.csv:7');
    expect(e.message).toContain('f.csv:7');
    expect(e.message).toContain(e.rule);
    return e.rule;
  }
  throw new Error('expected the bar to be refused');
}

describe('validateBar', () => {
  it('returns a good bar unchanged', () => {
    expect(validateBar(good, 'x')).toBe(good);
    expect(validateBar({ ...good, volume: 0, open: 9, close: 11 }, 'x', T - 60_000)).toBeTruthy();
  });

  it.each([
    ['empty symbol', { symbol: '' }, 'symbol rule'],
    ['a symbol with a space', { symbol: 'BRK B' }, 'symbol rule'],
    ['a 65-character symbol', { symbol: 'A'.repeat(65) }, 'symbol rule'],
    ['a symbol read from bad UTF-8', { symbol: 'CAF\uFFFD' }, 'symbol rule'],
    ['a symbol named __proto__', { symbol: '__proto__' }, 'symbol rule'],
    [
      'a price that overflows sums (1.7e308)',
      { high: 1.7e308, close: 1.7e308 },
      `${MIN_PRICE} <= prices <= ${MAX_PRICE}`,
    ],
    ['a price above the bound', { high: MAX_PRICE * 2 }, `${MIN_PRICE} <= prices <= ${MAX_PRICE}`],
    ['a price below the bound', { low: MIN_PRICE / 2 }, `${MIN_PRICE} <= prices <= ${MAX_PRICE}`],
    ['a volume above the bound', { volume: MAX_VOLUME + 1 }, `volume <= ${MAX_VOLUME}`],
    [
      'a start in year 25 (0025-07-02)',
      { startMs: Date.parse('0025-07-02T13:30:00Z') },
      'start in 2000-2100',
    ],
    ['a start in 1995', { startMs: Date.UTC(1995, 0, 3, 14, 30) }, 'start in 2000-2100'],
    ['a start in 2101', { startMs: Date.UTC(2101, 0, 3, 14, 30) }, 'start in 2000-2100'],
    ['NaN price', { close: Number.NaN }, 'finite prices'],
    ['infinite price', { high: Number.POSITIVE_INFINITY }, 'finite prices'],
    ['zero price', { low: 0 }, 'prices > 0'],
    ['negative price', { open: -1, low: -2 }, 'prices > 0'],
    ['high < low', { high: 8 }, 'low <= high'],
    ['open above high', { open: 12 }, 'low <= open <= high'],
    ['close below low', { close: 8.5 }, 'low <= close <= high'],
    ['negative volume', { volume: -1 }, 'integer volume >= 0'],
    ['fractional volume', { volume: 1.5 }, 'integer volume >= 0'],
    ['time off the minute', { startMs: T + 1_000 }, 'start on a whole minute'],
    ['fractional ms', { startMs: T + 0.5 }, 'start on a whole minute'],
  ])('refuses %s', (_name, change, rule) => {
    expect(brokenRule({ ...good, ...change })).toBe(rule);
  });

  it('accepts the bounds themselves', () => {
    const edge = {
      ...good,
      open: MIN_PRICE,
      low: MIN_PRICE,
      high: MAX_PRICE,
      close: MAX_PRICE,
      volume: MAX_VOLUME,
    };
    expect(validateBar({ ...edge, startMs: MIN_BAR_START_MS }, 'x')).toBeTruthy();
    expect(validateBar({ ...edge, startMs: END_BAR_START_MS - 60_000 }, 'x')).toBeTruthy();
    expect(new Date(MIN_BAR_START_MS).toISOString()).toBe('2000-01-01T05:00:00.000Z');
    expect(new Date(END_BAR_START_MS).toISOString()).toBe('2101-01-01T05:00:00.000Z');
  });

  it('keeps a whole day at the bounds finite: VWAP, volume sums and price ratios', () => {
    // 960 extended minutes of the worst bar, 250 days of history: the sums the session figures take.
    const minutes = 960 * 250;
    const sumVolume = MAX_VOLUME * minutes;
    const sumTypicalVolume = MAX_PRICE * MAX_VOLUME * minutes;
    expect(Number.isSafeInteger(sumVolume)).toBe(true);
    expect(Number.isFinite(sumTypicalVolume / sumVolume)).toBe(true);
    expect(Number.isFinite(MAX_PRICE / MIN_PRICE)).toBe(true);
  });

  it('refuses a start not after the previous one, naming duplicate or order', () => {
    expect(brokenRule(good, T)).toBe('times strictly increasing');
    expect(() => validateBar(good, 'x', T)).toThrow(/duplicate/);
    expect(() => validateBar(good, 'x', T + 60_000)).toThrow(/out of order/);
  });
});

describe('BarSequenceValidator', () => {
  it('keeps the last time per symbol', () => {
    const v = new BarSequenceValidator();
    v.check(good, 'a:2');
    v.check({ ...good, symbol: 'MSFT' }, 'a:3');
    v.check({ ...good, startMs: T + 60_000 }, 'a:4');
    expect(() => v.check({ ...good, symbol: 'MSFT' }, 'a:5')).toThrow(/a:5.*duplicate/);
    expect(() => v.check({ ...good, startMs: T }, 'a:6')).toThrow(BarValidationError);
    expect(v.lastStartMs('AAPL')).toBe(T + 60_000);
  });
});

const validBar = fc
  .record({
    minute: fc.integer({ min: MIN_BAR_START_MS / 60_000, max: END_BAR_START_MS / 60_000 - 1 }),
    low: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
    spread: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
    volume: fc.nat({ max: MAX_VOLUME }),
  })
  .map(({ minute, low, spread, volume }): Bar => {
    const [a = 0, b = 0, c = 0] = spread;
    const high = low * (1 + a);
    return {
      symbol: 'SYM',
      startMs: minute * 60_000,
      low,
      high,
      open: Math.min(high, low + (high - low) * b),
      close: Math.min(high, low + (high - low) * c),
      volume,
    };
  });

describe('validateBar properties', () => {
  test.prop([validBar])('accepts every consistent bar', (bar) => {
    expect(validateBar(bar, 'p')).toBe(bar);
  });
  test.prop([validBar, fc.integer({ min: 1, max: 59_999 })])(
    'refuses every start off the minute',
    (bar, ms) => {
      expect(() => validateBar({ ...bar, startMs: bar.startMs + ms }, 'p')).toThrow(BarValidationError);
    },
  );
  test.prop([validBar])('refuses high below low', (bar) => {
    expect(() => validateBar({ ...bar, high: bar.low / 2 }, 'p')).toThrow(BarValidationError);
  });
});
