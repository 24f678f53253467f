import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { UnknownZoneError } from './errors.js';
import { fastDecimal, parseNumberField } from './numbers.js';
import { parseTimestamp, TimestampError, TimestampReader, ZoneResolver } from './timestamp.js';

const HOUR = 3_600_000;

describe('parseTimestamp', () => {
  it('reads ISO 8601 with Z or an offset', () => {
    const t = Date.UTC(2025, 6, 2, 13, 30);
    expect(parseTimestamp('2025-07-02T13:30:00Z', undefined)).toBe(t);
    expect(parseTimestamp('2025-07-02T13:30:00.000Z', undefined)).toBe(t);
    expect(parseTimestamp('2025-07-02 13:30Z', undefined)).toBe(t);
    expect(parseTimestamp('2025-07-02T09:30:00-04:00', undefined)).toBe(t);
    expect(parseTimestamp('2025-07-02T15:30:00+0200', undefined)).toBe(t);
  });

  it('reads epoch seconds and milliseconds', () => {
    const t = Date.UTC(2025, 6, 2, 13, 30);
    expect(parseTimestamp(String(t / 1000), undefined)).toBe(t);
    expect(parseTimestamp(String(t), undefined)).toBe(t);
  });

  it('refuses naive times without a zone and impossible dates', () => {
    expect(() => parseTimestamp('2025-07-02T09:30:00', undefined)).toThrow(TimestampError);
    expect(() => parseTimestamp('2025-07-02T09:30:00', undefined)).toThrow(/zone/);
    expect(() => parseTimestamp('2025-02-30T09:30:00Z', undefined)).toThrow(/not a real date/);
    expect(() => parseTimestamp('07/02/2025 09:30', undefined)).toThrow(TimestampError);
    expect(() => parseTimestamp('', undefined)).toThrow(TimestampError);
  });

  it('reads naive times in a named zone, across daylight saving', () => {
    const ny = new ZoneResolver('America/New_York');
    // Summer is UTC-4, winter UTC-5 (market-conventions.md).
    expect(parseTimestamp('2025-07-02T09:30:00', ny)).toBe(Date.UTC(2025, 6, 2, 9, 30) + 4 * HOUR);
    expect(parseTimestamp('2025-01-02T09:30:00', ny)).toBe(Date.UTC(2025, 0, 2, 9, 30) + 5 * HOUR);
    // 2025-03-09 02:30 does not exist: the later reading (03:30 EDT); 2025-11-02 01:30 happens twice: the earlier.
    expect(parseTimestamp('2025-03-09T02:30:00', ny)).toBe(Date.UTC(2025, 2, 9, 2, 30) + 5 * HOUR);
    expect(parseTimestamp('2025-11-02T01:30:00', ny)).toBe(Date.UTC(2025, 10, 2, 1, 30) + 4 * HOUR);
    expect(parseTimestamp('2025-11-02T02:30:00', ny)).toBe(Date.UTC(2025, 10, 2, 2, 30) + 5 * HOUR);
    expect(parseTimestamp('2025-07-02T09:30:00', new ZoneResolver('UTC'))).toBe(Date.UTC(2025, 6, 2, 9, 30));
  });

  it('refuses an unknown zone with a typed error', () => {
    expect(() => new ZoneResolver('Mars/Olympus_Mons')).toThrow(UnknownZoneError);
  });

  it('TimestampReader agrees with parseTimestamp on its fast path and off it', () => {
    const reader = new TimestampReader(undefined);
    for (const text of [
      '2025-07-02T13:30:00Z',
      '2025-07-02T13:31:00Z',
      '2025-07-02T23:59:59Z',
      '2025-07-03T00:00:00Z',
    ]) {
      expect(reader.read(text)).toBe(Date.parse(text));
    }
    expect(() => reader.read('2025-07-03T24:00:00Z')).toThrow(TimestampError);
    expect(() => reader.read('2025-07-03T00:00:0xZ')).toThrow(TimestampError);
  });
});

describe('numbers', () => {
  it('refuses what is not a plain decimal, but passes NaN and Infinity on to validation', () => {
    for (const text of ['', '1.2.3', '12x', '0x10', ' ', '1e', 'one']) {
      expect(() => parseNumberField(text, 'open')).toThrow(/not a number/);
    }
    expect(parseNumberField('NaN', 'open')).toBeNaN();
    expect(parseNumberField('-inf', 'open')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseNumberField('1e3', 'volume')).toBe(1000);
  });

  test.prop([fc.integer({ min: -1e14, max: 1e14 }), fc.integer({ min: 0, max: 12 })])(
    'fastDecimal equals Number() exactly',
    (mantissa, decimals) => {
      const digits = String(Math.abs(mantissa)).padStart(decimals + 1, '0');
      const text = `${mantissa < 0 ? '-' : ''}${decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`}`;
      const fast = fastDecimal(text, 0, text.length);
      if (digits.length <= 15) expect(Object.is(fast, Number(text))).toBe(true);
      else expect(fast).toBeNaN();
    },
  );
});
