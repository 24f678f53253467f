import { addDays, type IsoDate, nyDateOf, nyMidnightMs } from '@sys/market-time';

const DAY_MS = 86_400_000;

/** A date as a count of days since 1970-01-01 (the number DuckDB's DATE holds). */
export function dayNumber(date: IsoDate): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
}

/**
 * New York date of an instant, remembering the current day's bounds so most bars (streamed in time order)
 * cost a compare, not a date lookup.
 */
export class NyDayIndex {
  #fromMs = Number.POSITIVE_INFINITY;
  #toMs = Number.NEGATIVE_INFINITY;
  #date: IsoDate = '1970-01-01';
  #day = 0;

  /** The New York date of `ms`. */
  dateOf(ms: number): IsoDate {
    if (ms < this.#fromMs || ms >= this.#toMs) {
      const date = nyDateOf(ms);
      this.#fromMs = nyMidnightMs(date);
      this.#toMs = nyMidnightMs(addDays(date, 1));
      this.#date = date;
      this.#day = dayNumber(date);
    }
    return this.#date;
  }

  /** The New York date of `ms` as a day number (see dayNumber). */
  dayOf(ms: number): number {
    this.dateOf(ms);
    return this.#day;
  }
}
