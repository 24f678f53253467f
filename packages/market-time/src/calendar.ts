import { ONE_OFF_CLOSURES, ONE_OFF_TABLE_KNOWN_THROUGH } from './closures.js';
import { civilOf, DAY_MS, dayNumberOf, dayNumberOfIso, type IsoDate, isoOf, weekdayOf } from './days.js';
import { InvalidDateError, InvalidTimeError } from './errors.js';
import { MINUTE_MS, nyLocalMs, nyTimeToMs } from './ny-time.js';

/** First year the calendar answers for. */
export const CALENDAR_FIRST_YEAR = 2000;
/** Last year the calendar answers for. */
export const CALENDAR_LAST_YEAR = 2100;

/** One trading day's windows as epoch ms (UTC instants); the regular session ends at 13:00 on an early close. */
export interface SessionWindow {
  date: IsoDate;
  earlyClose: boolean;
  /** 04:00 New York. */
  preMarketStartMs: number;
  /** 09:30 New York: the start of the first regular bar. */
  regularOpenMs: number;
  /** 16:00 New York, or 13:00 on an early close: the end of the last regular bar. */
  regularCloseMs: number;
  /** 20:00 New York, or 17:00 on an early close. */
  postMarketEndMs: number;
}

/** Which part of each session a replay covers: 09:30–close, or pre-market start to post-market end. */
export type ReplayScope = 'regular' | 'extended';

/** A span of market time a backtest replays, [startMs, endMs). */
export interface ReplayWindow {
  startMs: number;
  endMs: number;
}

/** Options of a {@link NyseCalendar}. */
export interface NyseCalendarOptions {
  /** Closures to add to the built-in one-off table (a newly announced day of mourning, or a test's). */
  extraClosures?: readonly { date: IsoDate; name: string; source?: string }[];
  /** Early closes (13:00) that no rule predicts. */
  extraEarlyCloses?: readonly IsoDate[];
  /** Overrides the date through which the one-off table is known to be current (after adding closures). */
  oneOffTableKnownThrough?: IsoDate;
}

interface YearDays {
  /** Weekday closures of the year by day number, with their names. */
  readonly closures: ReadonlyMap<number, string>;
  readonly earlyCloses: ReadonlySet<number>;
}

const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

// Offsets from 09:30 New York. New York changes offset only at 02:00, so every window edge of a day
// shares the 09:30 offset and plain minute arithmetic is exact.
const PRE_MARKET_FROM_OPEN_MS = -330 * MINUTE_MS; // 04:00
const REGULAR_MS = 390 * MINUTE_MS; // to 16:00
const EARLY_REGULAR_MS = 210 * MINUTE_MS; // to 13:00
const POST_MARKET_MS = 240 * MINUTE_MS; // to 20:00 (17:00 on an early close)

/** Easter Sunday of a Gregorian year, as a day number (the anonymous Gregorian / Meeus–Jones–Butcher algorithm). */
function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumberOf(year, month, day);
}

/** The nth (1-based) given weekday of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = dayNumberOf(year, month, 1);
  return first + ((weekday - weekdayOf(first) + 7) % 7) + 7 * (n - 1);
}

/** The last given weekday of a month. */
function lastWeekday(year: number, month: number, weekday: number): number {
  const last = dayNumberOf(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - 1;
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/** The rule-based NYSE holidays of a year that close the market on a weekday, by day number. */
function ruleHolidays(year: number): Map<number, string> {
  const out = new Map<number, string>();
  const fixed = (month: number, day: number, name: string, saturdayToFriday: boolean) => {
    const date = dayNumberOf(year, month, day);
    const weekday = weekdayOf(date);
    if (weekday === SATURDAY) {
      if (saturdayToFriday) out.set(date - 1, `${name} (observed)`);
    } else if (weekday === SUNDAY) {
      out.set(date + 1, `${name} (observed)`);
    } else {
      out.set(date, name);
    }
  };
  // NYSE Rule 7.2: a Saturday holiday closes the Friday before, except New Year's Day, whose Friday would
  // fall in the old year (the end of an accounting period), so it is not observed.
  fixed(1, 1, "New Year's Day", false);
  out.set(nthWeekday(year, 1, MONDAY, 3), 'Martin Luther King Jr. Day');
  out.set(nthWeekday(year, 2, MONDAY, 3), "Washington's Birthday");
  out.set(easterSunday(year) - 2, 'Good Friday');
  out.set(lastWeekday(year, 5, MONDAY), 'Memorial Day');
  if (year >= 2022) fixed(6, 19, 'Juneteenth National Independence Day', true);
  fixed(7, 4, 'Independence Day', true);
  out.set(nthWeekday(year, 9, MONDAY, 1), 'Labor Day');
  out.set(nthWeekday(year, 11, THURSDAY, 4), 'Thanksgiving Day');
  fixed(12, 25, 'Christmas Day', true);
  return out;
}

function isWeekend(dayNumber: number): boolean {
  const weekday = weekdayOf(dayNumber);
  return weekday === SATURDAY || weekday === SUNDAY;
}

/**
 * The NYSE trading calendar for 2000–2100, computed from the holiday rules plus a table of one-off
 * closures, with session windows as epoch ms. Results are cached per year and per date.
 */
export class NyseCalendar {
  /** The date through which the one-off closures table is current; later dates use the rules alone. */
  readonly oneOffTableKnownThrough: IsoDate;
  readonly #oneOffsByYear = new Map<number, Map<number, string>>();
  readonly #extraEarlyCloses = new Set<number>();
  readonly #years = new Map<number, YearDays>();
  readonly #sessions = new Map<number, SessionWindow | null>();

  constructor(options: NyseCalendarOptions = {}) {
    for (const closure of [...ONE_OFF_CLOSURES, ...(options.extraClosures ?? [])]) {
      const day = this.#dayInRange(closure.date);
      const year = civilOf(day).year;
      let byDay = this.#oneOffsByYear.get(year);
      if (byDay === undefined) {
        byDay = new Map();
        this.#oneOffsByYear.set(year, byDay);
      }
      byDay.set(day, closure.name);
    }
    for (const date of options.extraEarlyCloses ?? []) this.#extraEarlyCloses.add(this.#dayInRange(date));
    const knownThrough = options.oneOffTableKnownThrough ?? ONE_OFF_TABLE_KNOWN_THROUGH;
    dayNumberOfIso(knownThrough);
    this.oneOffTableKnownThrough = knownThrough;
  }

  /** Whether the market opens on `date` (a weekday that is neither a holiday nor a one-off closure). */
  isTradingDay(date: IsoDate): boolean {
    return this.#isOpen(this.#dayInRange(date));
  }

  /** The first trading day strictly after `date`. */
  nextTradingDay(date: IsoDate): IsoDate {
    const last = dayNumberOf(CALENDAR_LAST_YEAR, 12, 31);
    for (let day = this.#dayInRange(date) + 1; day <= last; day++) if (this.#isOpen(day)) return isoOf(day);
    throw new InvalidDateError(
      date,
      `no trading day after it within the calendar (to ${CALENDAR_LAST_YEAR}-12-31)`,
    );
  }

  /** The last trading day strictly before `date`. */
  previousTradingDay(date: IsoDate): IsoDate {
    const first = dayNumberOf(CALENDAR_FIRST_YEAR, 1, 1);
    for (let day = this.#dayInRange(date) - 1; day >= first; day--) if (this.#isOpen(day)) return isoOf(day);
    throw new InvalidDateError(
      date,
      `no trading day before it within the calendar (from ${CALENDAR_FIRST_YEAR}-01-01)`,
    );
  }

  /** The trading days from `startDate` to `endDate`, both inclusive, in order. */
  tradingDays(startDate: IsoDate, endDate: IsoDate): IsoDate[] {
    const [start, end] = this.#range(startDate, endDate);
    const out: IsoDate[] = [];
    for (let day = start; day <= end; day++) if (this.#isOpen(day)) out.push(isoOf(day));
    return out;
  }

  /** The session windows of `date` as epoch ms, or null when the market is closed that day. */
  session(date: IsoDate): SessionWindow | null {
    return this.#sessionOf(this.#dayInRange(date));
  }

  /** The weekday closures of `year` (rule holidays, observed dates and one-offs), in date order, with names. */
  holidays(year: number): { date: IsoDate; name: string }[] {
    const { closures } = this.#year(this.#checkYear(year));
    return [...closures].sort((a, b) => a[0] - b[0]).map(([day, name]) => ({ date: isoOf(day), name }));
  }

  /** The early-close days (regular session ends 13:00) of `year`, in date order. */
  earlyCloses(year: number): IsoDate[] {
    const { earlyCloses } = this.#year(this.#checkYear(year));
    return [...earlyCloses].sort((a, b) => a - b).map(isoOf);
  }

  /**
   * A warning to show when a range reaches past {@link oneOffTableKnownThrough}, or null: the rules still
   * apply there, but a closure announced later (a day of mourning) would be replayed as a trading day.
   */
  warningFor(startDate: IsoDate, endDate: IsoDate): string | null {
    const [start, end] = this.#range(startDate, endDate);
    const known = dayNumberOfIso(this.oneOffTableKnownThrough);
    if (end <= known) return null;
    const from = isoOf(Math.max(start, known + 1));
    return (
      `one-off market closures are known only through ${this.oneOffTableKnownThrough}: ${from}..${endDate} ` +
      'follows the holiday rules alone, so a closure announced later (e.g. a national day of mourning) would be ' +
      'treated as a trading day; check NYSE notices and pass it in extraClosures'
    );
  }

  /**
   * The replay windows of the calendar for a backtest clock: given an instant, the session window (regular
   * or extended) that contains it or comes next, or null past the calendar's last year.
   */
  replayWindows(scope: ReplayScope = 'regular'): (fromMs: number) => ReplayWindow | null {
    const firstDay = dayNumberOf(CALENDAR_FIRST_YEAR, 1, 1);
    const lastDay = dayNumberOf(CALENDAR_LAST_YEAR, 12, 31);
    return (fromMs) => {
      if (!Number.isFinite(fromMs)) throw new InvalidTimeError(fromMs, 'expected finite epoch milliseconds');
      for (let day = Math.max(firstDay, Math.floor(nyLocalMs(fromMs) / DAY_MS)); day <= lastDay; day++) {
        const s = this.#sessionOf(day);
        if (s === null) continue;
        const endMs = scope === 'regular' ? s.regularCloseMs : s.postMarketEndMs;
        if (fromMs < endMs)
          return { startMs: scope === 'regular' ? s.regularOpenMs : s.preMarketStartMs, endMs };
      }
      return null;
    };
  }

  #sessionOf(day: number): SessionWindow | null {
    const cached = this.#sessions.get(day);
    if (cached !== undefined) return cached;
    let s: SessionWindow | null = null;
    if (this.#isOpen(day)) {
      const date = isoOf(day);
      const earlyClose = this.#year(civilOf(day).year).earlyCloses.has(day);
      const regularOpenMs = nyTimeToMs(date, '09:30');
      const regularCloseMs = regularOpenMs + (earlyClose ? EARLY_REGULAR_MS : REGULAR_MS);
      s = Object.freeze({
        date,
        earlyClose,
        preMarketStartMs: regularOpenMs + PRE_MARKET_FROM_OPEN_MS,
        regularOpenMs,
        regularCloseMs,
        postMarketEndMs: regularCloseMs + POST_MARKET_MS,
      });
    }
    this.#sessions.set(day, s);
    return s;
  }

  #isOpen(day: number): boolean {
    return !isWeekend(day) && !this.#year(civilOf(day).year).closures.has(day);
  }

  #year(year: number): YearDays {
    let days = this.#years.get(year);
    if (days !== undefined) return days;
    this.#checkYear(year);
    const closures = ruleHolidays(year);
    for (const [day, name] of this.#oneOffsByYear.get(year) ?? []) closures.set(day, name);
    const earlyCloses = new Set<number>();
    const candidates = [
      dayNumberOf(year, 7, 3), // the day before Independence Day
      nthWeekday(year, 11, THURSDAY, 4) + 1, // the day after Thanksgiving
      dayNumberOf(year, 12, 24), // Christmas Eve
      ...[...this.#extraEarlyCloses].filter((day) => civilOf(day).year === year),
    ];
    for (const day of candidates) if (!isWeekend(day) && !closures.has(day)) earlyCloses.add(day);
    days = { closures, earlyCloses };
    this.#years.set(year, days);
    return days;
  }

  #checkYear(year: number): number {
    if (!Number.isInteger(year) || year < CALENDAR_FIRST_YEAR || year > CALENDAR_LAST_YEAR) {
      throw new InvalidDateError(
        year,
        `the calendar covers the years ${CALENDAR_FIRST_YEAR}–${CALENDAR_LAST_YEAR}`,
      );
    }
    return year;
  }

  #dayInRange(date: IsoDate): number {
    const day = dayNumberOfIso(date);
    const { year } = civilOf(day);
    if (year < CALENDAR_FIRST_YEAR || year > CALENDAR_LAST_YEAR) {
      throw new InvalidDateError(
        date,
        `the calendar covers ${CALENDAR_FIRST_YEAR}-01-01 to ${CALENDAR_LAST_YEAR}-12-31`,
      );
    }
    return day;
  }

  #range(startDate: IsoDate, endDate: IsoDate): [number, number] {
    const start = this.#dayInRange(startDate);
    const end = this.#dayInRange(endDate);
    if (end < start) throw new InvalidDateError(endDate, `the range ends before it starts (${startDate})`);
    return [start, end];
  }
}
