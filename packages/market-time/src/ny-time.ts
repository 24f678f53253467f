import { Temporal } from 'temporal-polyfill';
import { civilOf, DAY_MS, dayNumberOfIso, type IsoDate, isoOf } from './days.js';
import { InvalidTimeError } from './errors.js';

/** The exchange time zone of US equities. */
export const MARKET_TIME_ZONE = 'America/New_York';

/** One minute in milliseconds: the interval of a one-minute bar. */
export const MINUTE_MS = 60_000;

/** Minute of the New York day at which the regular session opens (09:30). */
export const REGULAR_OPEN_MINUTE = 9 * 60 + 30;

/**
 * The New York UTC offset over one UTC day. New York changes offset at 02:00 local (06:00Z or 07:00Z), so
 * a UTC day has at most one change: before `switchMs` the offset is `beforeMs`, from it `afterMs`.
 */
interface UtcDayOffsets {
  readonly beforeMs: number;
  readonly switchMs: number;
  readonly afterMs: number;
}

// A memo of a pure fact of the tz database, not state: filled by Temporal once per UTC day touched, so the
// per-bar helpers below cost a Map lookup (or less, for bars of the same day) and integer arithmetic.
const offsetsByUtcDay = new Map<number, UtcDayOffsets>();
const MAX_CACHED_DAYS = 200_000; // ~550 years; cleared past it rather than growing without bound
let lastUtcDay = Number.NaN;
let lastOffsets: UtcDayOffsets = { beforeMs: 0, switchMs: 0, afterMs: 0 };

function temporalOffsetMs(epochMs: number): number {
  return (
    Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(MARKET_TIME_ZONE).offsetNanoseconds /
    1e6
  );
}

function offsetsOfUtcDay(utcDay: number): UtcDayOffsets {
  let offsets = offsetsByUtcDay.get(utcDay);
  if (offsets !== undefined) return offsets;
  const startMs = utcDay * DAY_MS;
  const beforeMs = temporalOffsetMs(startMs);
  const afterMs = temporalOffsetMs(startMs + DAY_MS - 1);
  let switchMs = Number.POSITIVE_INFINITY;
  if (afterMs !== beforeMs) {
    const transition = Temporal.Instant.fromEpochMilliseconds(startMs)
      .toZonedDateTimeISO(MARKET_TIME_ZONE)
      .getTimeZoneTransition('next');
    switchMs = transition === null ? startMs : transition.epochMilliseconds;
  }
  offsets = { beforeMs, switchMs, afterMs };
  if (offsetsByUtcDay.size >= MAX_CACHED_DAYS) offsetsByUtcDay.clear();
  offsetsByUtcDay.set(utcDay, offsets);
  return offsets;
}

/** New York local wall time of an instant, as milliseconds since 1970-01-01T00:00 local (no Temporal per call). */
export function nyLocalMs(ms: number): number {
  const utcDay = Math.floor(ms / DAY_MS);
  if (utcDay !== lastUtcDay) {
    if (!Number.isFinite(utcDay)) throw new InvalidTimeError(ms, 'expected finite epoch milliseconds');
    lastOffsets = offsetsOfUtcDay(utcDay);
    lastUtcDay = utcDay;
  }
  return ms + (ms < lastOffsets.switchMs ? lastOffsets.beforeMs : lastOffsets.afterMs);
}

/** New York calendar date of an instant (epoch ms). */
export function nyDateOf(ms: number): IsoDate {
  return isoOf(Math.floor(nyLocalMs(ms) / DAY_MS));
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** `HH:MM:SS` in New York time for an instant (epoch ms), for the wire; uses the cached offset of the day. */
export function formatNyTime(ms: number): string {
  const local = nyLocalMs(ms);
  const secondOfDay = Math.floor((local - Math.floor(local / DAY_MS) * DAY_MS) / 1000);
  const h = Math.floor(secondOfDay / 3600);
  const m = Math.floor(secondOfDay / 60) - h * 60;
  const s = secondOfDay - h * 3600 - m * 60;
  return `${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s]}`;
}

/**
 * Session minute of an instant: whole minutes since 09:30 New York on the New York date of `ms`. 0 is the
 * 09:30 bar, 389 the 15:59 bar (the last regular one; 209 on an early close); negative values are
 * pre-market (-330 = 04:00) and 390+ post-market. It is pure clock arithmetic on the cached UTC offset of
 * the day — it does not ask whether the market is open; combine it with `NyseCalendar.session` for that.
 */
export function minuteOfSession(ms: number): number {
  const local = nyLocalMs(ms);
  return Math.floor((local - Math.floor(local / DAY_MS) * DAY_MS) / 60_000) - REGULAR_OPEN_MINUTE;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/**
 * Epoch ms of a New York wall time (`HH:MM` or `HH:MM:SS`) on a date, e.g. ('2025-07-02', '09:30') →
 * 1751463000000. A day-granularity helper (one Temporal call); keep it out of per-bar loops.
 */
export function nyTimeToMs(date: IsoDate, hhmm: string): number {
  const { year, month, day } = civilOf(dayNumberOfIso(date));
  const m = typeof hhmm === 'string' ? HH_MM.exec(hhmm) : null;
  if (m === null) throw new InvalidTimeError(hhmm, 'expected HH:MM or HH:MM:SS (24-hour), e.g. 09:30');
  const fields = { year, month, day, hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3] ?? 0) };
  try {
    return Temporal.PlainDateTime.from(fields).toZonedDateTime(MARKET_TIME_ZONE, { disambiguation: 'reject' })
      .epochMilliseconds;
  } catch {
    throw new InvalidTimeError(
      `${date} ${hhmm}`,
      `this New York wall time is skipped or repeated by a daylight-saving change (market hours never are)`,
    );
  }
}

/** Epoch ms of 00:00 New York on a date (New York changes offset at 02:00, so midnight always exists once). */
export function nyMidnightMs(date: IsoDate): number {
  return nyTimeToMs(date, '00:00');
}

/**
 * The instant a bar becomes visible: when its interval has ended. A bar that starts at `barStartMs` covers
 * [start, start + interval), so it is known only from start + interval — the one no-look-ahead rule.
 */
export function visibleFromMs(barStartMs: number, intervalMs: number): number {
  return barStartMs + intervalMs;
}
