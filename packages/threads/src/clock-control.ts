import type { Clock, Speed } from '@sys/market-time';

/** What a clock with speed offers besides waiting (a `BacktestClock`): pause, resume, speed. */
export interface ClockControl {
  readonly speed: Speed;
  readonly paused: boolean;
  setSpeed(speed: Speed): void;
  pause(): void;
  resume(): void;
  /** While paused: advances market time by `minutes` of replayed time. */
  step?(minutes?: number): void;
}

/** The clock's speed controls, or null for a clock without them (manual, live). */
export function clockControl(clock: Clock): ClockControl | null {
  const c = clock as Partial<ClockControl>;
  return typeof c.setSpeed === 'function' && typeof c.pause === 'function' && typeof c.resume === 'function'
    ? (clock as Clock & ClockControl)
    : null;
}
