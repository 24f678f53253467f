export {
  CALENDAR_FIRST_YEAR,
  CALENDAR_LAST_YEAR,
  NyseCalendar,
  type NyseCalendarOptions,
  type ReplayScope,
  type ReplayWindow,
  type SessionWindow,
} from './calendar.js';
export {
  BacktestClock,
  type BacktestClockOptions,
  type Clock,
  LiveClock,
  ManualClock,
  type ReplayWindows,
  type SetTimer,
} from './clock.js';
export { ONE_OFF_CLOSURES, ONE_OFF_TABLE_KNOWN_THROUGH, type OneOffClosure } from './closures.js';
export { addDays, type IsoDate, parseIsoDate } from './days.js';
export { ClockStateError, InvalidDateError, InvalidSpeedError, InvalidTimeError } from './errors.js';
export {
  formatNyTime,
  MARKET_TIME_ZONE,
  MINUTE_MS,
  minuteOfSession,
  nyDateOf,
  nyMidnightMs,
  nyTimeToMs,
  visibleFromMs,
} from './ny-time.js';
export { parseSpeed, type Speed } from './speed.js';
