import { InvalidDateError } from './errors.js';

/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

/** One civil day in milliseconds (no time zone: used on day numbers and local wall time). */
export const DAY_MS = 86_400_000;

/** Day of the week of a day number: 0 = Sunday … 6 = Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function dayNumberOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date of a day number (H. Hinnant's civil_from_days); the inverse of {@link dayNumberOf}. */
export function civilOf(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day of the week of a day number (1970-01-01 was a Thursday). */
export function weekdayOf(dayNumber: number): Weekday {
  return ((((dayNumber + 4) % 7) + 7) % 7) as Weekday;
}

function daysInMonth(year: number, month: number): number {
  return (
    dayNumberOf(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - dayNumberOf(year, month, 1)
  );
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Validates `YYYY-MM-DD` and returns its day number; throws {@link InvalidDateError} otherwise. */
export function dayNumberOfIso(date: unknown): number {
  if (typeof date !== 'string') throw new InvalidDateError(date, 'expected a string YYYY-MM-DD');
  const m = ISO_DATE.exec(date);
  if (m === null) throw new InvalidDateError(date, 'expected YYYY-MM-DD, e.g. 2025-07-02');
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) throw new InvalidDateError(date, `month ${m[2]} is not 01–12`);
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) {
    throw new InvalidDateError(date, `${MONTH_NAMES[month - 1]} ${year} has days 01–${last}`);
  }
  return dayNumberOf(year, month, day);
}

/** The `YYYY-MM-DD` text of a day number. */
export function isoOf(dayNumber: number): IsoDate {
  const { year, month, day } = civilOf(dayNumber);
  if (year < 0 || year > 9999) throw new InvalidDateError(dayNumber, 'year outside 0000–9999');
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

/** Checks that `input` is a real `YYYY-MM-DD` day and returns it; throws {@link InvalidDateError} otherwise. */
export function parseIsoDate(input: unknown): IsoDate {
  dayNumberOfIso(input);
  return input as IsoDate;
}

/** The date `days` calendar days after `date` (negative goes back). */
export function addDays(date: IsoDate, days: number): IsoDate {
  if (!Number.isInteger(days)) throw new InvalidDateError(date, `cannot add ${days} days: not an integer`);
  return isoOf(dayNumberOfIso(date) + days);
}
