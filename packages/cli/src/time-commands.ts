import type { Json } from '@sys/core';
import { formatNyTime, type IsoDate, NyseCalendar, nyDateOf, type SessionWindow } from '@sys/market-time';
import type { SysContext } from './commands.js';
import { param } from './params.js';
import { type CommandEntry, commandsFor } from './registry.js';

const define = commandsFor<SysContext>();

function both(ms: number): Json {
  return { new_york: formatNyTime(ms).slice(0, 5), utc: new Date(ms).toISOString().replace('.000Z', 'Z') };
}

/** A day's windows in New York and UTC, its early close, or the holiday that closes it. */
export function sessionJson(calendar: NyseCalendar, date: IsoDate): Json {
  const w = calendar.session(date);
  if (w === null) {
    const holiday = calendar.holidays(Number(date.slice(0, 4))).find((h) => h.date === date);
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
    return {
      date,
      trading_day: false,
      reason: holiday?.name ?? (weekday === 0 || weekday === 6 ? 'weekend' : 'closed'),
      next_trading_day: calendar.nextTradingDay(date),
    };
  }
  return {
    date,
    trading_day: true,
    early_close: w.earlyClose,
    pre_market: { start: both(w.preMarketStartMs), end: both(w.regularOpenMs) },
    regular: { open: both(w.regularOpenMs), close: both(w.regularCloseMs) },
    post_market: { start: both(w.regularCloseMs), end: both(w.postMarketEndMs) },
    regular_minutes: (w.regularCloseMs - w.regularOpenMs) / 60_000,
  };
}

/** Where the market is at `nowMs`: closed, pre-market, open or post-market, and its next open and close. */
export function statusJson(calendar: NyseCalendar, nowMs: number): Json {
  const today = nyDateOf(nowMs);
  const w: SessionWindow | null = calendar.session(today);
  let phase = 'closed';
  if (w !== null) {
    if (nowMs >= w.preMarketStartMs && nowMs < w.regularOpenMs) phase = 'pre_market';
    else if (nowMs >= w.regularOpenMs && nowMs < w.regularCloseMs) phase = 'open';
    else if (nowMs >= w.regularCloseMs && nowMs < w.postMarketEndMs) phase = 'post_market';
  }
  // The next open is today's if it is still ahead, else the next trading day's.
  let openDay = w !== null && nowMs < w.regularOpenMs ? w : calendar.session(calendar.nextTradingDay(today));
  if (openDay === null) openDay = w;
  const closeDay =
    w !== null && nowMs < w.regularCloseMs ? w : calendar.session(calendar.nextTradingDay(today));
  return {
    now: both(nowMs),
    date: today,
    trading_day: w !== null,
    phase,
    open: phase === 'open',
    next_open: openDay === null ? null : { date: openDay.date, ...(both(openDay.regularOpenMs) as object) },
    next_close:
      closeDay === null
        ? null
        : {
            date: closeDay.date,
            early_close: closeDay.earlyClose,
            ...(both(closeDay.regularCloseMs) as object),
          },
  };
}

const timeSession = define({
  namespace: 'time',
  name: 'session',
  description:
    'A day’s session: pre-market, open, close (early close), post-market in New York and UTC, or why closed',
  params: {
    date: param.date({
      description: 'The day (default: today in New York)',
      positional: true,
      placeholder: 'YYYY-MM-DD',
    }),
  },
  examples: ['time session', 'time session 2025-11-28', 'time session 2025-07-04'],
  handler: (args, ctx) => {
    ctx.out.json(sessionJson(new NyseCalendar(), args.date ?? nyDateOf(Date.now())));
  },
});

const timeStatus = define({
  namespace: 'time',
  name: 'status',
  description: 'Is the market open now; the next open and close',
  params: {},
  handler: (_args, ctx) => {
    ctx.out.json(statusJson(new NyseCalendar(), Number(ctx.env.SYS_NOW_MS ?? Date.now())));
  },
});

/** `time session`, `time status`. */
export function timeCommands(): CommandEntry<SysContext>[] {
  return [timeSession, timeStatus];
}
