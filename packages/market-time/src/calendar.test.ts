import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { NyseCalendar } from './calendar.js';
import { ONE_OFF_CLOSURES } from './closures.js';
import { addDays } from './days.js';
import { InvalidDateError } from './errors.js';

// The facts below are copied from the market conventions (holidays, early closes and day counts of
// 2024–2026 as published by NYSE), not from the code.
const PUBLISHED: Record<number, { holidays: string[]; earlyCloses: string[]; tradingDays: number }> = {
  2024: {
    holidays: [
      '2024-01-01',
      '2024-01-15',
      '2024-02-19',
      '2024-03-29',
      '2024-05-27',
      '2024-06-19',
      '2024-07-04',
      '2024-09-02',
      '2024-11-28',
      '2024-12-25',
    ],
    earlyCloses: ['2024-07-03', '2024-11-29', '2024-12-24'],
    tradingDays: 252,
  },
  2025: {
    holidays: [
      '2025-01-01',
      '2025-01-09', // one-off: national day of mourning (Jimmy Carter)
      '2025-01-20',
      '2025-02-17',
      '2025-04-18',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-11-27',
      '2025-12-25',
    ],
    earlyCloses: ['2025-07-03', '2025-11-28', '2025-12-24'],
    tradingDays: 250,
  },
  2026: {
    holidays: [
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-04-03',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03', // Independence Day (Saturday) observed
      '2026-09-07',
      '2026-11-26',
      '2026-12-25',
    ],
    earlyCloses: ['2026-11-27', '2026-12-24'],
    tradingDays: 251,
  },
};

const calendar = new NyseCalendar();

describe.each([2024, 2025, 2026])('published NYSE calendar %i', (year) => {
  const facts = PUBLISHED[year];
  if (facts === undefined) throw new Error(`no facts for ${year}`);

  it('closes on exactly the published holidays', () => {
    expect(calendar.holidays(year).map((h) => h.date)).toEqual(facts.holidays);
    for (const date of facts.holidays) {
      expect(calendar.isTradingDay(date)).toBe(false);
      expect(calendar.session(date)).toBeNull();
    }
  });

  it('closes early on exactly the published days', () => {
    expect(calendar.earlyCloses(year)).toEqual(facts.earlyCloses);
    for (const date of facts.earlyCloses) expect(calendar.session(date)?.earlyClose).toBe(true);
  });

  it(`has ${facts.tradingDays} trading days`, () => {
    expect(calendar.tradingDays(`${year}-01-01`, `${year}-12-31`)).toHaveLength(facts.tradingDays);
  });
});

describe('sessions (09:30 is 13:30Z in summer, 14:30Z in winter)', () => {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const windows = (date: string) => {
    const s = calendar.session(date);
    return s && [s.preMarketStartMs, s.regularOpenMs, s.regularCloseMs, s.postMarketEndMs].map(iso);
  };

  it('opens 2025-07-02 at 13:30Z and 2025-12-01 at 14:30Z', () => {
    expect(iso(calendar.session('2025-07-02')?.regularOpenMs)).toBe('2025-07-02T13:30:00.000Z');
    expect(iso(calendar.session('2025-12-01')?.regularOpenMs)).toBe('2025-12-01T14:30:00.000Z');
  });

  it('is on EST the Friday before DST starts (2025-03-09) and on EDT the Monday after', () => {
    // EST = UTC-5: 04:00 → 09:00Z, 09:30 → 14:30Z, 16:00 → 21:00Z, 20:00 → 01:00Z next day.
    expect(windows('2025-03-07')).toEqual([
      '2025-03-07T09:00:00.000Z',
      '2025-03-07T14:30:00.000Z',
      '2025-03-07T21:00:00.000Z',
      '2025-03-08T01:00:00.000Z',
    ]);
    // EDT = UTC-4: one hour earlier in UTC.
    expect(windows('2025-03-10')).toEqual([
      '2025-03-10T08:00:00.000Z',
      '2025-03-10T13:30:00.000Z',
      '2025-03-10T20:00:00.000Z',
      '2025-03-11T00:00:00.000Z',
    ]);
  });

  it('is on EDT the Friday before DST ends (2025-11-02) and on EST the Monday after', () => {
    expect(windows('2025-10-31')).toEqual([
      '2025-10-31T08:00:00.000Z',
      '2025-10-31T13:30:00.000Z',
      '2025-10-31T20:00:00.000Z',
      '2025-11-01T00:00:00.000Z',
    ]);
    expect(windows('2025-11-03')).toEqual([
      '2025-11-03T09:00:00.000Z',
      '2025-11-03T14:30:00.000Z',
      '2025-11-03T21:00:00.000Z',
      '2025-11-04T01:00:00.000Z',
    ]);
  });

  it('ends the regular session at 13:00 and post-market at 17:00 on an early close', () => {
    const s = calendar.session('2025-11-28'); // day after Thanksgiving, EST
    expect(s).toEqual({
      date: '2025-11-28',
      earlyClose: true,
      preMarketStartMs: Date.parse('2025-11-28T09:00:00Z'),
      regularOpenMs: Date.parse('2025-11-28T14:30:00Z'),
      regularCloseMs: Date.parse('2025-11-28T18:00:00Z'),
      postMarketEndMs: Date.parse('2025-11-28T22:00:00Z'),
    });
    expect(calendar.session('2025-11-26')?.earlyClose).toBe(false);
  });

  it('has no session on weekends', () => {
    expect(calendar.session('2025-07-05')).toBeNull();
    expect(calendar.isTradingDay('2025-07-06')).toBe(false);
  });
});

/** Easter Sunday by Claus Tøndering's formulation — a different algorithm from the one in the code. */
function easterTondering(year: number): string {
  const g = year % 19;
  const c = Math.floor(year / 100);
  const h = (c - Math.floor(c / 4) - Math.floor((8 * c + 13) / 25) + 19 * g + 15) % 30;
  const i = h - Math.floor(h / 28) * (1 - Math.floor(29 / (h + 1)) * Math.floor((21 - g) / 11));
  const j = (year + Math.floor(year / 4) + i + 2 - c + Math.floor(c / 4)) % 7;
  const l = i - j;
  const month = 3 + Math.floor((l + 40) / 44);
  const day = l + 28 - 31 * Math.floor(month / 4);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

describe('Good Friday follows Easter', () => {
  it.each([
    // Published Good Friday dates (two days before Easter Sunday).
    ['2000-04-21'],
    ['2008-03-21'],
    ['2011-04-22'],
    ['2019-04-19'],
    ['2027-03-26'],
    ['2028-04-14'],
    ['2029-03-30'],
    ['2030-04-19'],
    ['2038-04-23'],
  ])('closes on %s', (date) => {
    expect(calendar.isTradingDay(date)).toBe(false);
    expect(calendar.holidays(Number(date.slice(0, 4)))).toContainEqual({ date, name: 'Good Friday' });
  });

  it('matches an independent Easter algorithm for every year 2000–2100', () => {
    for (let year = 2000; year <= 2100; year++) {
      const goodFriday = addDays(easterTondering(year), -2);
      expect(calendar.holidays(year)).toContainEqual({ date: goodFriday, name: 'Good Friday' });
    }
  });
});

describe('rules in years outside the table', () => {
  it('does not move New Year’s Day on a Saturday to the Friday before (2022-01-01, 2028-01-01)', () => {
    expect(calendar.isTradingDay('2021-12-31')).toBe(true);
    expect(calendar.isTradingDay('2027-12-31')).toBe(true);
  });

  it('observes Saturday holidays on Friday and Sunday holidays on Monday', () => {
    expect(calendar.isTradingDay('2021-12-24')).toBe(false); // Christmas 2021 is a Saturday
    expect(calendar.isTradingDay('2022-12-26')).toBe(false); // Christmas 2022 is a Sunday
    expect(calendar.isTradingDay('2027-06-18')).toBe(false); // Juneteenth 2027 is a Saturday
    expect(calendar.isTradingDay('2027-07-05')).toBe(false); // Independence Day 2027 is a Sunday
  });

  it('adds Juneteenth only from 2022', () => {
    expect(calendar.isTradingDay('2021-06-18')).toBe(true); // 2021-06-19 is a Saturday, not yet a holiday
    expect(calendar.isTradingDay('2023-06-19')).toBe(false);
  });

  it('has no early close when the day before Independence Day is itself the holiday or a weekend', () => {
    expect(calendar.earlyCloses(2026)).not.toContain('2026-07-02');
    expect(calendar.earlyCloses(2027)).not.toContain('2027-07-02');
    expect(calendar.earlyCloses(2023)).toContain('2023-07-03'); // a Monday before a Tuesday holiday
  });

  it('closes on every one-off day in the table, each with a source', () => {
    const expected = [
      '2001-09-11',
      '2001-09-12',
      '2001-09-13',
      '2001-09-14',
      '2004-06-11',
      '2007-01-02',
      '2012-10-29',
      '2012-10-30',
      '2018-12-05',
      '2025-01-09',
    ];
    expect(ONE_OFF_CLOSURES.map((c) => c.date)).toEqual(expected);
    for (const closure of ONE_OFF_CLOSURES) {
      expect(closure.source.length).toBeGreaterThan(10);
      expect(calendar.isTradingDay(closure.date)).toBe(false);
    }
    expect(calendar.nextTradingDay('2001-09-10')).toBe('2001-09-17');
  });
});

describe('navigation', () => {
  it('steps over weekends and holidays', () => {
    expect(calendar.nextTradingDay('2025-07-03')).toBe('2025-07-07');
    expect(calendar.previousTradingDay('2025-07-07')).toBe('2025-07-03');
    expect(calendar.nextTradingDay('2025-01-08')).toBe('2025-01-10');
    expect(calendar.previousTradingDay('2025-01-02')).toBe('2024-12-31');
    expect(calendar.tradingDays('2025-07-03', '2025-07-07')).toEqual(['2025-07-03', '2025-07-07']);
  });

  // Days whose neighbouring trading days are inside the calendar (2000-01-03 … 2100-12-31).
  const dayInRange = fc.integer({ min: 10, max: 36_800 }).map((n) => addDays('2000-01-01', n));

  fcTest.prop([dayInRange])('next and previous trading day are inverse and skip only closed days', (date) => {
    const next = calendar.nextTradingDay(date);
    const previous = calendar.previousTradingDay(date);
    expect(next > date && previous < date).toBe(true);
    expect(calendar.isTradingDay(next) && calendar.isTradingDay(previous)).toBe(true);
    expect(calendar.previousTradingDay(next)).toBe(calendar.isTradingDay(date) ? date : previous);
    expect(calendar.nextTradingDay(previous)).toBe(calendar.isTradingDay(date) ? date : next);
    for (let d = addDays(previous, 1); d < next; d = addDays(d, 1)) {
      if (d !== date) expect(calendar.isTradingDay(d)).toBe(false);
    }
    expect(calendar.tradingDays(previous, next).length).toBe(calendar.isTradingDay(date) ? 3 : 2);
  });
});

describe('one-off table currency', () => {
  it('states the date its one-off table is known through and warns past it', () => {
    const known = calendar.oneOffTableKnownThrough;
    expect(known).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(known >= '2025-01-09').toBe(true);
    expect(calendar.warningFor('2025-07-01', known)).toBeNull();
    const warning = calendar.warningFor('2025-07-01', addDays(known, 1));
    expect(warning).toContain(known);
    expect(warning).toContain('extraClosures');
  });

  it('takes extra closures and early closes, e.g. a newly announced day of mourning', () => {
    const cal = new NyseCalendar({
      extraClosures: [{ date: '2030-03-04', name: 'Test closure' }],
      extraEarlyCloses: ['2030-03-05'],
      oneOffTableKnownThrough: '2030-12-31',
    });
    expect(cal.isTradingDay('2030-03-04')).toBe(false);
    expect(cal.holidays(2030)).toContainEqual({ date: '2030-03-04', name: 'Test closure' });
    expect(cal.session('2030-03-05')?.earlyClose).toBe(true);
    expect(cal.warningFor('2030-01-01', '2030-12-31')).toBeNull();
    expect(calendar.isTradingDay('2030-03-04')).toBe(true);
  });
});

describe('errors', () => {
  it.each(['2025-02-29', '2025-13-01', '2025-7-2', '20250702', ''])(
    'rejects %j with InvalidDateError',
    (date) => {
      expect(() => calendar.isTradingDay(date)).toThrow(InvalidDateError);
    },
  );

  it('refuses dates outside 2000–2100 rather than guessing', () => {
    const error = (() => {
      try {
        calendar.isTradingDay('1999-12-31');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidDateError);
    expect(error).toMatchObject({ code: 'INVALID_DATE' });
    expect(() => calendar.holidays(2101)).toThrow(InvalidDateError);
    expect(() => calendar.previousTradingDay('2000-01-03')).toThrow(/no trading day before/);
    expect(() => calendar.nextTradingDay('2100-12-31')).toThrow(/no trading day after/);
    expect(() => calendar.tradingDays('2025-02-01', '2025-01-01')).toThrow(InvalidDateError);
  });

  it('accepts a leap day', () => {
    expect(calendar.isTradingDay('2024-02-29')).toBe(true);
  });
});
