import { fc, test as fcTest } from '@fast-check/vitest';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { addDays, civilOf, dayNumberOf, dayNumberOfIso, isoOf, parseIsoDate, weekdayOf } from './days.js';
import { InvalidDateError } from './errors.js';

describe('day numbers', () => {
  it('counts from 1970-01-01, a Thursday', () => {
    expect(dayNumberOf(1970, 1, 1)).toBe(0);
    expect(weekdayOf(0)).toBe(4);
    expect(isoOf(-1)).toBe('1969-12-31');
  });

  // Temporal is the independent reference for the integer date arithmetic.
  fcTest.prop([fc.integer({ min: -200_000, max: 200_000 })])('agree with Temporal', (n) => {
    const date = Temporal.PlainDate.from('1970-01-01').add({ days: n });
    expect(isoOf(n)).toBe(date.toString());
    expect(civilOf(n)).toEqual({ year: date.year, month: date.month, day: date.day });
    expect(weekdayOf(n)).toBe(date.dayOfWeek % 7);
    expect(dayNumberOfIso(date.toString())).toBe(n);
  });
});

describe('addDays', () => {
  it('crosses months, leap days and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
  });

  it('refuses a fractional day count', () => {
    expect(() => addDays('2025-01-01', 0.5)).toThrow(InvalidDateError);
  });
});

describe('parseIsoDate', () => {
  it('returns a valid date and says what is wrong with an invalid one', () => {
    expect(parseIsoDate('2000-02-29')).toBe('2000-02-29');
    expect(() => parseIsoDate('1900-02-29')).toThrow(/February 1900 has days 01–28/);
    expect(() => parseIsoDate('2025-00-10')).toThrow(/month 00/);
    expect(() => parseIsoDate(20250101)).toThrow(InvalidDateError);
    expect(() => parseIsoDate('2025-01-01T00:00')).toThrow(/expected YYYY-MM-DD/);
  });
});
