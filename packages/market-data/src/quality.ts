import { formatNyTime, type IsoDate, MINUTE_MS, type NyseCalendar } from '@sys/market-time';
import { NyDayIndex } from './ny-day.js';

/** A run of missing regular minutes: the first missing minute (New York `HH:MM`) and how many. */
export interface MissingRange {
  readonly start: string;
  readonly minutes: number;
}

/** Data quality of one symbol on one New York date. */
export interface DayQuality {
  readonly symbol: string;
  readonly date: IsoDate;
  /** False on a weekend or holiday: every bar of the date is outside a session. */
  readonly tradingDay: boolean;
  /** Regular minutes the calendar has that day (390, 210 on an early close, 0 when closed). */
  readonly expected: number;
  /** Regular minutes with a bar. */
  readonly present: number;
  readonly missing: readonly MissingRange[];
  /** Bars in the pre- and post-market windows. */
  readonly extended: number;
  /** Bars outside every window of the day (before 04:00, after the post-market, or on a closed day). */
  readonly outside: number;
  /** present ÷ expected × 100, null on a closed day. */
  readonly quality: number | null;
}

/**
 * Quality of one symbol's bars of one date, from the calendar: the regular minutes expected, those present,
 * the missing ones as ranges, and the bars outside the regular session. `startsMs` are the bars' starts, in
 * increasing order, all of that New York date.
 */
export function dayQuality(
  symbol: string,
  date: IsoDate,
  startsMs: readonly number[],
  calendar: NyseCalendar,
): DayQuality {
  const w = calendar.session(date);
  if (w === null) {
    return {
      symbol,
      date,
      tradingDay: false,
      expected: 0,
      present: 0,
      missing: [],
      extended: 0,
      outside: startsMs.length,
      quality: null,
    };
  }
  const expected = Math.round((w.regularCloseMs - w.regularOpenMs) / MINUTE_MS);
  const missing: MissingRange[] = [];
  let present = 0;
  let extended = 0;
  let outside = 0;
  let next = w.regularOpenMs;
  for (const t of startsMs) {
    if (t >= w.regularOpenMs && t < w.regularCloseMs) {
      if (t > next)
        missing.push({ start: formatNyTime(next).slice(0, 5), minutes: Math.round((t - next) / MINUTE_MS) });
      if (t >= next) {
        present++;
        next = t + MINUTE_MS;
      }
    } else if (t >= w.preMarketStartMs && t < w.postMarketEndMs) extended++;
    else outside++;
  }
  if (next < w.regularCloseMs)
    missing.push({
      start: formatNyTime(next).slice(0, 5),
      minutes: Math.round((w.regularCloseMs - next) / MINUTE_MS),
    });
  return {
    symbol,
    date,
    tradingDay: true,
    expected,
    present,
    missing,
    extended,
    outside,
    quality: Math.round((present / expected) * 10_000) / 100,
  };
}

/**
 * Quality per symbol and date of bars streamed in (time, symbol) order. Trading days in [startDate,
 * endDate] with no bar at all for a symbol are reported too (all missing), for every symbol in `symbols`.
 */
export async function qualityReport(
  bars: AsyncIterable<{ symbol: string; startMs: number }>,
  symbols: readonly string[],
  startDate: IsoDate,
  endDate: IsoDate,
  calendar: NyseCalendar,
): Promise<DayQuality[]> {
  const byKey = new Map<string, number[]>();
  const days = new NyDayIndex();
  for await (const bar of bars) {
    const key = `${bar.symbol}\u0000${days.dateOf(bar.startMs)}`;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [bar.startMs]);
    else list.push(bar.startMs);
  }
  for (const symbol of symbols)
    for (const d of calendar.tradingDays(startDate, endDate)) {
      const key = `${symbol}\u0000${d}`;
      if (!byKey.has(key)) byKey.set(key, []);
    }
  const out: DayQuality[] = [];
  for (const [key, starts] of byKey) {
    const [symbol = '', d = ''] = key.split('\u0000');
    out.push(dayQuality(symbol, d, starts, calendar));
  }
  return out.sort((a, b) =>
    a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : 0,
  );
}
