import type { Bar } from '@sys/market-data';
import { ManualClock, MINUTE_MS, NyseCalendar } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { describe, expect, it } from 'vitest';
import { bar, settle } from '../test/helpers.js';
import { LiveRun } from './live.js';

type Loose = any;

const jul2 = new NyseCalendar().session('2025-07-02');
if (jul2 === null) throw new Error('Jul 2 2025 is a trading day');
const open = jul2.regularOpenMs;

function liveRun(feed?: AsyncIterable<Bar>) {
  const clock = new ManualClock(open - MINUTE_MS);
  const sessionData = new SessionData();
  const run = new LiveRun({ symbols: ['AAPL', 'MSFT'], sessionData, clock, ...(feed ? { feed } : {}) });
  const aapl = () => (sessionData.toJson() as Loose).symbols.AAPL;
  const session = () => (sessionData.toJson() as Loose).session;
  const move = async (ms: number) => {
    clock.advanceTo(ms);
    await settle(4);
  };
  return { clock, sessionData, run, aapl, session, move };
}

describe('LiveRun', () => {
  it('applies a bar once its minute has ended, and opens and closes the session by the clock', async () => {
    const { run, aapl, session, move } = liveRun();
    run.start();
    expect(session()).toMatchObject({ date: '2025-07-02', time: '09:29:00', active: false });
    run.push(bar('AAPL', open, 200, 1000)); // stamped 09:30: its minute is not over at 09:29
    expect(aapl().volume).toBe(0);
    await move(open + MINUTE_MS);
    expect(session()).toMatchObject({ time: '09:31:00', active: true });
    expect(aapl()).toMatchObject({ volume: 1000, high: 201, low: 199 });
    run.push(bar('AAPL', open + MINUTE_MS, 210, 500)); // arrives after its minute: applied at once
    await move(open + 2 * MINUTE_MS);
    expect(aapl()).toMatchObject({ volume: 1500, high: 211, bar_counts: { '1m': 2 } });
    await move(jul2.regularCloseMs + 5000);
    expect(session()).toMatchObject({ time: '16:00:05', active: false });
    const threads = (run.toJson() as Loose).threads;
    expect(threads.session_coordinator).toMatchObject({ phase: 'closed', days_done: 1 }); // regular scope: the day ends at the close
    expect(threads.data_upkeep).toMatchObject({ bars_ingested: 2, state: 'running' });
    await run.stop();
    const frozen = run.marketNowMs();
    await move(jul2.regularCloseMs + 60_000);
    expect(run.marketNowMs()).toBe(frozen); // stopped: market time stays at the last tick
    expect(run.state).toBe('stopped');
  });

  it('paused, holds arriving bars and market time; resume applies them in order', async () => {
    const { run, aapl, session, move } = liveRun();
    run.start();
    await move(open + 10 * MINUTE_MS);
    run.pause();
    run.push(bar('AAPL', open + 5 * MINUTE_MS, 100, 10));
    run.push(bar('AAPL', open + 3 * MINUTE_MS, 100, 20)); // out of arrival order, in time order once applied
    await move(open + 20 * MINUTE_MS);
    expect(aapl().volume).toBe(0);
    expect(session().time).toBe('09:40:00');
    expect((run.toJson() as Loose).threads.stream_coordinator.bars_pending).toBe(2);
    run.resume();
    expect(aapl()).toMatchObject({ volume: 30, bar_counts: { '1m': 2 } });
    expect(session().time).toBe('09:50:00');
    await run.stop();
  });

  it('refuses a bad bar, an unknown symbol, step and speed, and keeps nothing of them', async () => {
    const { run, aapl, move } = liveRun();
    expect(() => run.push(bar('AAPL', open))).toThrow(
      /cannot take bars into the live run while it is created/,
    );
    run.start();
    await move(open + 2 * MINUTE_MS);
    expect(() => run.push({ ...bar('AAPL', open), high: 1, low: 5 })).toThrow(/low <= high/);
    expect(() => run.push(bar('TSLA', open))).toThrow(/symbols are AAPL, MSFT/);
    expect(() => run.step()).toThrow(/step works in backtests/);
    expect(() => run.setSpeed()).toThrow(/speed works in backtests/);
    expect(aapl().volume).toBe(0);
    expect(run.speed).toBeNull();
    await run.stop();
  });

  it('reads a feed: bad bars are counted and the session goes on', async () => {
    async function* feed() {
      yield bar('AAPL', open, 100, 7);
      yield { ...bar('AAPL', open + MINUTE_MS), volume: -1 };
      yield bar('MSFT', open, 50, 3);
    }
    const { run, sessionData, move } = liveRun(feed());
    run.start();
    await move(open + 5 * MINUTE_MS);
    const json = sessionData.toJson() as Loose;
    expect(json.symbols.AAPL.volume).toBe(7);
    expect(json.symbols.MSFT.volume).toBe(3);
    const stream = (run.toJson() as Loose).threads.stream_coordinator;
    expect(stream).toMatchObject({ bars_received: 2, bars_rejected: 1 });
    expect(stream.last_rejection).toMatch(/volume/);
    await run.stop();
  });
});
