import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NyseCalendar } from './calendar.js';
import { BacktestClock, LiveClock, ManualClock, type SetTimer } from './clock.js';
import { ClockStateError, InvalidSpeedError, InvalidTimeError } from './errors.js';
import { MINUTE_MS, nyTimeToMs, visibleFromMs } from './ny-time.js';
import { parseSpeed } from './speed.js';

/** Records whether a promise has settled, without awaiting it. */
function track(promise: Promise<unknown>): { done: boolean; error: unknown } {
  const state: { done: boolean; error: unknown } = { done: false, error: undefined };
  promise.then(
    () => {
      state.done = true;
    },
    (error: unknown) => {
      state.done = true;
      state.error = error;
    },
  );
  return state;
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const at = (date: string, time: string) => nyTimeToMs(date, time);
const calendar = new NyseCalendar();

describe('parseSpeed', () => {
  it.each([
    [60, 60],
    ['60', 60],
    [' 0.5 ', 0.5],
    [1, 1],
    ['max', 'max'],
  ])('reads %j as %j', (input, speed) => {
    expect(parseSpeed(input)).toBe(speed);
  });

  it.each([
    0,
    '0',
    -1,
    '-60',
    Number.NaN,
    'NaN',
    Number.POSITIVE_INFINITY,
    'fast',
    '60x',
    '',
    null,
    undefined,
  ])('rejects %j with InvalidSpeedError', (input) => {
    expect(() => parseSpeed(input)).toThrow(InvalidSpeedError);
  });

  it('says what to use instead', () => {
    expect(() => parseSpeed(0)).toThrow(/greater than 0.*'max'/);
    expect(() => parseSpeed('fast')).toThrow(expect.objectContaining({ code: 'INVALID_SPEED' }));
  });
});

describe('ManualClock', () => {
  it('stands still until moved, then resolves sleepers in time order', async () => {
    const clock = new ManualClock(1000);
    const order: number[] = [];
    const sleepers = [3000, 2000, 2000, 5000].map((t, i) => clock.sleepUntil(t).then(() => order.push(i)));
    clock.advanceTo(2500);
    await Promise.resolve();
    expect(order).toEqual([1, 2]);
    clock.advanceBy(10_000);
    await Promise.all(sleepers);
    expect(order).toEqual([1, 2, 0, 3]);
    expect(clock.nowMs()).toBe(12_500);
  });

  it('resolves a sleeper for a past time at once and never moves backwards', async () => {
    const clock = new ManualClock(5000);
    await clock.sleepUntil(4000);
    expect(() => clock.advanceTo(4999)).toThrow(ClockStateError);
    expect(() => clock.advanceBy(-1)).toThrow(InvalidTimeError);
    await expect(clock.sleepUntil(Number.NaN)).rejects.toThrow(InvalidTimeError);
  });

  it('rejects with the abort reason and forgets the sleeper', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleepUntil(1000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    await expect(clock.sleepUntil(1, controller.signal)).rejects.toThrow('stop');
    clock.advanceTo(2000); // nothing left to resolve
  });

  it('leaves no abort listener on a long-lived signal, woken or aborted', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const listeners = () => getEventListeners(controller.signal, 'abort').length;
    const sleeps = [1000, 2000, 3000].map((t) => clock.sleepUntil(t, controller.signal));
    expect(listeners()).toBe(3);
    clock.advanceTo(2000);
    await Promise.all(sleeps.slice(0, 2));
    expect(listeners()).toBe(1);
    controller.abort(new Error('stop'));
    await expect(sleeps[2]).rejects.toThrow('stop');
    expect(listeners()).toBe(0);
  });
});

describe('BacktestClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const open = at('2025-07-02', '09:30');
  const regular = calendar.replayWindows('regular');
  const make = (speed: number | 'max', startMs = open, paused = false) =>
    new BacktestClock({ startMs, speed, windows: regular, now: () => Date.now(), paused });

  it('advances market time at speed × wall time', async () => {
    const clock = make(60);
    await vi.advanceTimersByTimeAsync(1000);
    expect(clock.nowMs()).toBe(open + MINUTE_MS);
    const bar = open + 5 * MINUTE_MS;
    const visible = track(clock.sleepUntil(visibleFromMs(bar, MINUTE_MS))); // 09:36: 5 more market minutes
    await vi.advanceTimersByTimeAsync(4999);
    expect(visible.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(visible.done).toBe(true);
    expect(clock.nowMs()).toBe(open + 6 * MINUTE_MS);
  });

  it('applies a speed change mid-run from that moment on', async () => {
    const clock = make(60);
    const target = open + 60 * MINUTE_MS; // 10:30
    const woke = track(clock.sleepUntil(target));
    await vi.advanceTimersByTimeAsync(30_000); // 30 market minutes at 60×
    expect(clock.nowMs()).toBe(open + 30 * MINUTE_MS);
    clock.setSpeed(600); // the other 30 market minutes take 3 s instead of 30 s
    expect(clock.speed).toBe(600);
    await vi.advanceTimersByTimeAsync(2999);
    expect(woke.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke.done).toBe(true);
    expect(clock.nowMs()).toBe(target);
    clock.setSpeed(parseSpeed('60')); // slower again, as a CLI would pass it
    await vi.advanceTimersByTimeAsync(1000);
    expect(clock.nowMs()).toBe(target + MINUTE_MS);
  });

  it('freezes on pause and carries on from the same market time on resume', async () => {
    const clock = make(60);
    const woke = track(clock.sleepUntil(open + 10 * MINUTE_MS));
    await vi.advanceTimersByTimeAsync(4000);
    clock.pause();
    expect(clock.paused).toBe(true);
    const frozen = clock.nowMs();
    expect(frozen).toBe(open + 4 * MINUTE_MS);
    await vi.advanceTimersByTimeAsync(3_600_000); // an hour of wall time changes nothing
    expect(clock.nowMs()).toBe(frozen);
    expect(woke.done).toBe(false);
    clock.resume();
    await vi.advanceTimersByTimeAsync(5999);
    expect(woke.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke.done).toBe(true);
  });

  it('steps by one or N market minutes while paused, and only then', async () => {
    const clock = make(60, open, true);
    expect(() => make(60).step()).toThrow(ClockStateError);
    const woke = track(clock.sleepUntil(open + 3 * MINUTE_MS));
    clock.step();
    expect(clock.nowMs()).toBe(open + MINUTE_MS);
    clock.step(2);
    await flush();
    expect(woke.done).toBe(true);
    expect(clock.nowMs()).toBe(open + 3 * MINUTE_MS);
    expect(() => clock.step(0)).toThrow(InvalidTimeError);
    expect(() => clock.step(Number.NaN)).toThrow(InvalidTimeError);
    // Stepping past the close lands in the next session: the night costs no step.
    const lastBar = at('2025-07-02', '15:59');
    const late = make(60, lastBar, true);
    late.step(2);
    expect(late.nowMs()).toBe(at('2025-07-03', '09:31'));
  });

  it('resolves at once a sleep for a time already reached, even while paused', async () => {
    const clock = make(60, open, true);
    const past = track(clock.sleepUntil(open - MINUTE_MS));
    const future = track(clock.sleepUntil(open + MINUTE_MS));
    await flush();
    expect(past.done).toBe(true);
    expect(future.done).toBe(false);
    clock.setSpeed('max'); // still paused: max does not move a paused clock
    await flush();
    expect(future.done).toBe(false);
    clock.resume();
    await flush();
    expect(future.done).toBe(true);
  });

  it('refuses a windows function that goes backwards instead of looping forever', () => {
    const clock = new BacktestClock({
      startMs: 1000,
      speed: 1,
      windows: () => ({ startMs: 0, endMs: 500 }),
      now: () => Date.now(),
    });
    vi.setSystemTime(10);
    expect(() => clock.nowMs()).toThrow(ClockStateError);
  });

  it('at max never waits: sleepers resolve with no timer at all', async () => {
    const clock = make('max');
    for (let minute = 1; minute <= 390; minute++) await clock.sleepUntil(open + minute * MINUTE_MS);
    expect(clock.nowMs()).toBe(at('2025-07-02', '16:00'));
    expect(vi.getTimerCount()).toBe(0);
    // Switching to max mid-wait releases a pending sleeper at once.
    const slow = make(1);
    const woke = track(slow.sleepUntil(open + 60 * MINUTE_MS));
    slow.setSpeed('max');
    await flush();
    expect(woke.done).toBe(true);
    expect(slow.nowMs()).toBe(open + 60 * MINUTE_MS);
  });

  it('skips the Independence Day weekend instantly: early close Thu to Monday 09:31 costs two market minutes', async () => {
    // 2025-07-03 closes at 13:00 (early close); 07-04 is the holiday, then the weekend; next open 07-07 09:30.
    const clock = make(60, at('2025-07-03', '12:59'));
    const monday0931 = at('2025-07-07', '09:31');
    const woke = track(clock.sleepUntil(monday0931));
    await vi.advanceTimersByTimeAsync(1000);
    expect(clock.nowMs()).toBe(at('2025-07-03', '13:00'));
    await vi.advanceTimersByTimeAsync(999);
    expect(woke.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke.done).toBe(true);
    expect(clock.nowMs()).toBe(monday0931);
  });

  it('wakes a sleeper whose time lies in skipped time as the clock passes through it', async () => {
    const clock = make(60, at('2025-07-03', '12:59'));
    const saturdayNoon = at('2025-07-05', '12:00');
    const woke = track(clock.sleepUntil(saturdayNoon));
    await vi.advanceTimersByTimeAsync(1000); // one market minute to the 13:00 close, then nothing to wait for
    expect(woke.done).toBe(true);
    expect(clock.nowMs()).toBe(saturdayNoon);
    await vi.advanceTimersByTimeAsync(1000); // moving on lands in Monday's session
    expect(clock.nowMs()).toBe(at('2025-07-07', '09:31'));
  });

  it('replays pre- and post-market when the windows include them', async () => {
    const clock = new BacktestClock({
      startMs: at('2025-07-02', '19:59'),
      speed: 60,
      windows: calendar.replayWindows('extended'),
      now: () => Date.now(),
    });
    await vi.advanceTimersByTimeAsync(2000);
    expect(clock.nowMs()).toBe(at('2025-07-03', '04:01'));
  });

  it('rejects speed 0, negative, NaN and "fast" and never hangs', async () => {
    for (const bad of [0, -1, Number.NaN, 'fast']) {
      expect(() => make(bad as number)).toThrow(InvalidSpeedError);
    }
    const clock = make(60);
    const woke = track(clock.sleepUntil(open + MINUTE_MS));
    for (const bad of [0, -60, Number.NaN, 'fast']) {
      expect(() => clock.setSpeed(bad as number)).toThrow(InvalidSpeedError);
    }
    expect(clock.speed).toBe(60); // unchanged
    await vi.advanceTimersByTimeAsync(1000);
    expect(woke.done).toBe(true);
  });

  it('rejects an aborted sleep with the reason and keeps waking the others', async () => {
    const clock = make(60);
    const controller = new AbortController();
    const first = track(clock.sleepUntil(open + MINUTE_MS, controller.signal));
    const second = track(clock.sleepUntil(open + 2 * MINUTE_MS));
    controller.abort(new Error('user stopped'));
    await flush();
    expect(first.error).toEqual(new Error('user stopped'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(second.done).toBe(true);
  });

  it('runs without windows as one continuous span', async () => {
    const clock = new BacktestClock({ startMs: 0, speed: 2, now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(1500);
    expect(clock.nowMs()).toBe(3000);
  });

  it('uses an injected wall clock and timer', () => {
    let wallMs = 0;
    const timers: { at: number; run: () => void }[] = [];
    const setTimer: SetTimer = (run, delayMs) => {
      const timer = { at: wallMs + delayMs, run };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    };
    const clock = new BacktestClock({
      startMs: open,
      speed: 30,
      windows: regular,
      now: () => wallMs,
      setTimer,
    });
    void clock.sleepUntil(open + MINUTE_MS);
    expect(timers.map((t) => t.at)).toEqual([2000]);
    wallMs = 2000;
    timers.shift()?.run();
    expect(clock.nowMs()).toBe(open + MINUTE_MS);
    expect(timers).toEqual([]);
  });
});

describe('LiveClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2025-07-02T13:30:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the wall clock', async () => {
    const clock = new LiveClock();
    const start = clock.nowMs();
    const woke = track(clock.sleepUntil(start + 5000));
    await vi.advanceTimersByTimeAsync(4999);
    expect(woke.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke.done).toBe(true);
    expect(clock.nowMs()).toBe(start + 5000);
  });
});
