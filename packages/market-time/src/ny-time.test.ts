import { fc, test as fcTest } from '@fast-check/vitest';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it, vi } from 'vitest';
import { InvalidTimeError } from './errors.js';
import {
  formatNyTime,
  MARKET_TIME_ZONE,
  MINUTE_MS,
  minuteOfSession,
  nyDateOf,
  nyMidnightMs,
  nyTimeToMs,
  visibleFromMs,
} from './ny-time.js';

const utc = (iso: string) => Date.parse(iso);

// Temporal, one call per instant, is the independent reference for the cached-offset hot paths.
const zoned = (ms: number) => Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(MARKET_TIME_ZONE);

// Instants from 1990 to 2110, at whole seconds, plus a bias towards the DST change days.
const instant = fc.oneof(
  fc.integer({ min: 631_152_000, max: 4_417_977_600 }).map((s) => s * 1000),
  fc
    .constantFrom(
      '2025-03-09T07:00:00Z',
      '2025-11-02T06:00:00Z',
      '2024-03-10T07:00:00Z',
      '2030-11-03T06:00:00Z',
    )
    .chain((edge) => fc.integer({ min: -7200, max: 7200 }).map((s) => utc(edge) + s * 1000)),
);

describe('nyTimeToMs and nyMidnightMs', () => {
  it('puts 09:30 at 13:30Z in summer and 14:30Z in winter', () => {
    expect(nyTimeToMs('2025-07-02', '09:30')).toBe(1_751_463_000_000);
    expect(nyTimeToMs('2025-07-02', '09:30')).toBe(utc('2025-07-02T13:30:00Z'));
    expect(nyTimeToMs('2025-12-01', '09:30')).toBe(utc('2025-12-01T14:30:00Z'));
    expect(nyTimeToMs('2025-12-01', '16:00:30')).toBe(utc('2025-12-01T21:00:30Z'));
  });

  it('gives midnight on both sides of a DST change', () => {
    expect(nyMidnightMs('2025-03-09')).toBe(utc('2025-03-09T05:00:00Z')); // still EST at 00:00
    expect(nyMidnightMs('2025-03-10')).toBe(utc('2025-03-10T04:00:00Z'));
    expect(nyMidnightMs('2025-11-02')).toBe(utc('2025-11-02T04:00:00Z')); // still EDT at 00:00
    expect(nyMidnightMs('2025-11-03')).toBe(utc('2025-11-03T05:00:00Z'));
  });

  it('refuses malformed times and wall times a DST change skips or repeats', () => {
    for (const bad of ['9:30', '24:00', '09:60', '0930', '']) {
      expect(() => nyTimeToMs('2025-07-02', bad)).toThrow(InvalidTimeError);
    }
    expect(() => nyTimeToMs('2025-03-09', '02:30')).toThrow(InvalidTimeError); // skipped
    expect(() => nyTimeToMs('2025-11-02', '01:30')).toThrow(InvalidTimeError); // happens twice
  });
});

describe('formatNyTime', () => {
  it('formats across the spring-forward and fall-back instants', () => {
    expect(formatNyTime(utc('2025-03-09T06:59:59Z'))).toBe('01:59:59');
    expect(formatNyTime(utc('2025-03-09T07:00:00Z'))).toBe('03:00:00');
    expect(formatNyTime(utc('2025-11-02T05:59:59Z'))).toBe('01:59:59');
    expect(formatNyTime(utc('2025-11-02T06:00:00Z'))).toBe('01:00:00');
    expect(formatNyTime(utc('2025-07-02T13:30:00.999Z'))).toBe('09:30:00');
    expect(formatNyTime(utc('2025-07-03T03:59:59Z'))).toBe('23:59:59');
  });

  fcTest.prop([instant])('matches Temporal for any instant', (ms) => {
    const z = zoned(ms);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(formatNyTime(ms)).toBe(`${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)}`);
  });
});

describe('nyDateOf', () => {
  it('uses the New York date, not the UTC date', () => {
    expect(nyDateOf(utc('2025-01-01T04:59:59Z'))).toBe('2024-12-31');
    expect(nyDateOf(utc('2025-01-01T05:00:00Z'))).toBe('2025-01-01');
    expect(nyDateOf(utc('2025-07-03T03:59:59Z'))).toBe('2025-07-02');
  });

  fcTest.prop([instant])('matches Temporal for any instant', (ms) => {
    expect(nyDateOf(ms)).toBe(zoned(ms).toPlainDate().toString());
  });

  it('refuses NaN instead of inventing a date', () => {
    expect(() => nyDateOf(Number.NaN)).toThrow(InvalidTimeError);
    expect(() => formatNyTime(Number.POSITIVE_INFINITY)).toThrow(InvalidTimeError);
  });
});

describe('minuteOfSession', () => {
  it('counts minutes from the 09:30 bar in New York, in summer and in winter', () => {
    expect(minuteOfSession(utc('2025-07-02T13:30:00Z'))).toBe(0);
    expect(minuteOfSession(utc('2025-07-02T13:30:59.999Z'))).toBe(0);
    expect(minuteOfSession(utc('2025-07-02T19:59:00Z'))).toBe(389); // 15:59, the last regular bar
    expect(minuteOfSession(utc('2025-07-02T20:00:00Z'))).toBe(390); // 16:00 belongs to post-market
    expect(minuteOfSession(utc('2025-12-01T14:30:00Z'))).toBe(0);
    expect(minuteOfSession(utc('2025-12-01T09:00:00Z'))).toBe(-330); // 04:00, pre-market start
  });

  fcTest.prop([instant])('matches Temporal for any instant', (ms) => {
    const z = zoned(ms);
    expect(minuteOfSession(ms)).toBe(z.hour * 60 + z.minute - (9 * 60 + 30));
  });
});

describe('hot paths', () => {
  it('call Temporal per day touched, not per bar', () => {
    const spy = vi.spyOn(Temporal.Instant, 'fromEpochMilliseconds');
    const start = utc('2031-05-05T04:00:00Z'); // a New York day no other test touches
    for (let minute = 0; minute < 1440; minute++) {
      const ms = start + minute * MINUTE_MS;
      nyDateOf(ms);
      formatNyTime(ms);
      minuteOfSession(ms);
    }
    // 1440 bars × 3 helpers over two UTC days: two offset probes per UTC day, nothing per bar.
    expect(spy.mock.calls.length).toBeLessThanOrEqual(4);
    spy.mockRestore();
  });
});

describe('visibleFromMs', () => {
  it('makes the 09:30 one-minute bar visible at 09:31:00, never earlier', () => {
    const bar = nyTimeToMs('2025-07-02', '09:30');
    expect(visibleFromMs(bar, MINUTE_MS)).toBe(utc('2025-07-02T13:31:00Z'));
    expect(visibleFromMs(bar, 5 * MINUTE_MS)).toBe(utc('2025-07-02T13:35:00Z'));
  });
});
