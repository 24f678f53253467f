import { readFileSync } from 'node:fs';
import { CsvBarSource, SyntheticBarSource, samplePath, syntheticSymbols } from '@sys/market-data';
import { BacktestClock, ManualClock, MINUTE_MS, NyseCalendar } from '@sys/market-time';
import { SessionData } from '@sys/session-data';
import { describe, expect, it } from 'vitest';
import { collect, expectQueueBalanced, FakeWall, failingSource, settle, until } from '../test/helpers.js';
import { Backtest, runBacktest } from './backtest.js';

interface Expected {
  source_rows: number;
  pre_market: { bars_1m_present: number };
  regular_session: {
    bars_1m: number;
    open: number;
    close: number;
    high: number;
    low: number;
    volume: number;
    vwap_typical_price: number;
  };
  derived_bars_regular_session: Record<string, { data: unknown[] }>;
}

const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as Expected;

describe('the real AAPL day', () => {
  it('replayed at max gives the reference figures', async () => {
    const sessionData = new SessionData();
    const backtest = await runBacktest({
      symbols: ['AAPL'],
      source: new CsvBarSource(samplePath('AAPL_2025-07-02.csv')),
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      sessionData,
    });
    const json = sessionData.toJson() as any;
    const aapl = json.symbols.AAPL;
    const ref = expected.regular_session;
    expect(aapl.volume).toBe(ref.volume);
    expect(aapl.high).toBe(ref.high);
    expect(aapl.low).toBe(ref.low);
    expect(aapl.vwap).toBeCloseTo(ref.vwap_typical_price, 6);
    expect(aapl.bar_counts).toEqual({
      '1m': ref.bars_1m,
      '5m': expected.derived_bars_regular_session['5m']?.data.length,
      '15m': expected.derived_bars_regular_session['15m']?.data.length,
      '30m': expected.derived_bars_regular_session['30m']?.data.length,
      '1h': expected.derived_bars_regular_session['1h']?.data.length,
    });
    expect(json.session).toMatchObject({ date: '2025-07-02', time: '16:00:00', active: false, ended: true });
    expect(backtest.state).toBe('stopped');
    expect(backtest.stream.barsReleased).toBe(ref.bars_1m);
    expectQueueBalanced(backtest.queue);
  });
});

const calendar = new NyseCalendar();
function sessionOf(date: string) {
  const s = calendar.session(date);
  if (s === null) throw new Error(`${date} is closed`);
  return s;
}

/** Records every key of every bar handed to the session data, to prove each goes in exactly once. */
function recordIngest(sessionData: SessionData): string[] {
  const keys: string[] = [];
  const ingestMany = sessionData.ingestMany.bind(sessionData);
  sessionData.ingestMany = (bars) => {
    for (const b of bars) keys.push(`${b.symbol}@${b.startMs}`);
    ingestMany(bars);
  };
  return keys;
}

function sessionJson(sessionData: SessionData) {
  return (sessionData.toJson() as any).session;
}

function counts(sessionData: SessionData, symbol: string) {
  return (sessionData.toJson() as any).symbols[symbol].bar_counts;
}

describe('the real AAPL day with extended hours', () => {
  it('releases pre-market bars apart from the session and loads the day before as history', async () => {
    const sessionData = new SessionData();
    const backtest = await runBacktest({
      symbols: ['AAPL'],
      source: new CsvBarSource(samplePath('AAPL_2025-07-02.csv')),
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      sessionData,
      scope: 'extended',
      historyDays: 1,
    });
    const aapl = (sessionData.toJson() as any).symbols.AAPL;
    const ref = expected.regular_session;
    expect(aapl.volume).toBe(ref.volume);
    expect(aapl.vwap).toBeCloseTo(ref.vwap_typical_price, 6);
    expect(aapl.bar_counts['1m']).toBe(ref.bars_1m);
    expect(aapl.extended_hours.pre_market_bars).toBe(expected.pre_market.bars_1m_present);
    expect(backtest.stream.barsReleased).toBe(ref.bars_1m + expected.pre_market.bars_1m_present);
    // The file's other rows are the post-market of Jul 1: the day before, loaded as history.
    const history = expected.source_rows - ref.bars_1m - expected.pre_market.bars_1m_present;
    expect((backtest.session.toJson() as any).history_bars_loaded).toBe(history);
    expect((sessionData.toJson() as any).session).toMatchObject({ time: '20:00:00', ended: true });
    const a = backtest.toJson({ debug: true });
    expect(backtest.toJson({ debug: true })).toBe(a); // unchanged: the same frozen object
    expect(Object.isFrozen(a)).toBe(true);
    expectQueueBalanced(backtest.queue);
  });
});

describe('a three-day synthetic backtest on the manual clock', () => {
  it('spans a holiday and a weekend, closes early on Jul 3, and keeps session true at every step', async () => {
    const symbols = ['SYN001', 'SYN002', 'SYN003'];
    const source = new SyntheticBarSource({
      symbols,
      startDate: '2025-06-30',
      endDate: '2025-07-08',
      seed: 11,
    });
    const sessionData = new SessionData();
    const days: string[] = [];
    const startDay = sessionData.startDay.bind(sessionData);
    sessionData.startDay = (w) => {
      days.push(w.date);
      startDay(w);
    };
    const keys = recordIngest(sessionData);
    const jul2 = sessionOf('2025-07-02');
    const jul3 = sessionOf('2025-07-03');
    const jul7 = sessionOf('2025-07-07');
    const clock = new ManualClock(jul2.preMarketStartMs);
    const backtest = new Backtest({
      symbols,
      source,
      startDate: '2025-07-02',
      endDate: '2025-07-07',
      sessionData,
      clock,
      historyDays: 1,
    });
    const step = async (ms: number, session: object, what: string) => {
      clock.advanceTo(ms);
      await until(() => {
        const s = sessionJson(sessionData);
        return JSON.stringify({ ...s, ...session }) === JSON.stringify(s);
      }, what);
      expectQueueBalanced(backtest.queue);
    };
    backtest.start();
    expect(backtest.session.tradingDays).toEqual(['2025-07-02', '2025-07-03', '2025-07-07']);
    await step(
      jul2.preMarketStartMs,
      { date: '2025-07-02', time: '04:00:00', active: false, ended: false },
      'Jul 2 pre-market',
    );
    expect((backtest.session.toJson() as any).phase).toBe('pre_market');
    const still = backtest.toJson({ debug: true });
    await settle();
    expect(backtest.toJson({ debug: true })).toBe(still); // nothing moved: the same object, diffs skip it
    expect((backtest.session.toJson() as any).history_through).toBe('2025-07-01');
    expect(backtest.stream.barsReleased).toBe(0);
    await step(jul2.regularOpenMs, { time: '09:30:00', active: true }, 'Jul 2 open');
    await step(jul2.regularOpenMs + 150 * MINUTE_MS, { time: '12:00:00', active: true }, 'Jul 2 noon');
    await until(() => counts(sessionData, 'SYN001')['1m'] === 150, '150 bars by noon');
    expect(backtest.stream.barsReleased).toBe(450);
    await step(jul2.regularCloseMs, { time: '16:00:00', active: false, ended: false }, 'Jul 2 close');
    expect(counts(sessionData, 'SYN002')).toEqual({ '1m': 390, '5m': 78, '15m': 26, '30m': 13, '1h': 7 });
    await step(
      jul3.preMarketStartMs,
      { date: '2025-07-03', time: '04:00:00', active: false },
      'Jul 3 pre-market',
    );
    expect(counts(sessionData, 'SYN002')['1m']).toBe(0); // a new day starts afresh
    expect((backtest.session.toJson() as any).history_through).toBe('2025-07-02');
    await step(jul3.regularCloseMs, { time: '13:00:00', active: false }, 'Jul 3 early close');
    expect(counts(sessionData, 'SYN003')).toEqual({ '1m': 210, '5m': 42, '15m': 14, '30m': 7, '1h': 4 });
    // The holiday and the weekend are never visited: the next day started is Monday Jul 7.
    await step(
      jul7.preMarketStartMs,
      { date: '2025-07-07', time: '04:00:00', active: false },
      'Jul 7 pre-market',
    );
    expect(days).toEqual(['2025-07-02', '2025-07-03', '2025-07-07']);
    // historyDays: 1 keeps only the day before (Jul 3, an early close), not every day passed.
    expect((sessionData.toJson({ debug: true }) as any).symbols.SYN001.historical_summary).toMatchObject({
      date_range: { start: '2025-07-03', end: '2025-07-03' },
      bar_counts: { '1m': 210, '1h': 4 },
    });
    await step(
      jul7.regularCloseMs,
      { date: '2025-07-07', time: '16:00:00', active: false, ended: true },
      'the end',
    );
    await backtest.join();
    expect(backtest.state).toBe('stopped');
    expect((sessionData.toJson() as any).system).toEqual({ state: 'stopped', mode: 'backtest' });
    const expected = (await collect(source, { symbols, startDate: '2025-07-02', endDate: '2025-07-07' })).map(
      (b) => `${b.symbol}@${b.startMs}`,
    );
    expect(keys).toEqual(expected);
    expect(backtest.stream.barsReleased).toBe(3 * (390 + 210 + 390));
    const json = backtest.toJson() as any;
    expect(json.threads.session_coordinator).toMatchObject({
      phase: 'ended',
      days_done: 3,
      last_day_done: '2025-07-07',
    });
    expect(json.threads.session_coordinator.history_bars_loaded).toBe(3 * (390 + 390 + 210));
    expectQueueBalanced(backtest.queue);
  });
});

/** Moves a fake wall clock in steps, letting the workers run after each. */
async function runWall(wall: FakeWall, ms: number, stepMs = 1000): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    wall.advance(Math.min(stepMs, ms - t));
    await settle(12);
  }
}

function speedRun(speed: number, seed = 5) {
  const wall = new FakeWall();
  const symbols = ['SYN001', 'SYN002'];
  const source = new SyntheticBarSource({
    symbols,
    startDate: '2025-07-02',
    endDate: '2025-07-03',
    seed,
    gapRate: 0.1,
  });
  const sessionData = new SessionData();
  const keys = recordIngest(sessionData);
  const clock = new BacktestClock({
    startMs: sessionOf('2025-07-02').preMarketStartMs,
    speed,
    windows: calendar.replayWindows('regular'),
    now: wall.now,
    setTimer: wall.setTimer,
  });
  const backtest = new Backtest({
    symbols,
    source,
    startDate: '2025-07-02',
    endDate: '2025-07-03',
    sessionData,
    clock,
  });
  return { wall, backtest, sessionData, keys, clock, source, symbols };
}

describe('speed, pause and stop mid-day', () => {
  it('pause freezes the run, resume goes on, stop and start again continues where it was', async () => {
    const { wall, backtest, sessionData, keys, source, symbols } = speedRun(60);
    backtest.start();
    await runWall(wall, 60_000); // a market minute per wall second: 09:30 → 10:30
    expect(sessionJson(sessionData)).toMatchObject({ date: '2025-07-02', time: '10:30:00', active: true });
    backtest.pause();
    expect(backtest.state).toBe('paused');
    expect((sessionData.toJson() as any).system.state).toBe('paused');
    const paused = keys.length;
    await runWall(wall, 60_000);
    expect(keys.length).toBe(paused);
    expect(sessionJson(sessionData).time).toBe('10:30:00');
    backtest.step(5); // five more market minutes, still paused
    await settle(40);
    expect(backtest.state).toBe('paused');
    expect(sessionJson(sessionData).time).toBe('10:35:00');
    await runWall(wall, 10_000);
    expect(sessionJson(sessionData).time).toBe('10:35:00');
    backtest.resume();
    await runWall(wall, 25_000);
    expect(sessionJson(sessionData).time).toBe('11:00:00');
    await backtest.stop();
    expect(backtest.state).toBe('stopped');
    for (const w of backtest.workers) expect(w.state).toBe('stopped');
    expectQueueBalanced(backtest.queue);
    const stopped = keys.length;
    await runWall(wall, 10_000);
    expect(keys.length).toBe(stopped);
    backtest.start();
    expect(backtest.state).toBe('running');
    await runWall(wall, 520_000); // the 510 market minutes left (11:00–16:00, then 09:30–13:00) and a bit
    await backtest.join();
    expect(backtest.ended).toBe(true);
    expect(sessionJson(sessionData)).toMatchObject({ date: '2025-07-03', time: '13:00:00', ended: true });
    const expected = (await collect(source, { symbols, startDate: '2025-07-02', endDate: '2025-07-03' })).map(
      (b) => `${b.symbol}@${b.startMs}`,
    );
    expect(keys).toEqual(expected);
    expectQueueBalanced(backtest.queue);
  });

  it('a speed change mid-day takes effect at once', async () => {
    const { wall, backtest, sessionData } = speedRun(60);
    backtest.start();
    await runWall(wall, 30_000);
    expect(sessionJson(sessionData).time).toBe('10:00:00');
    backtest.setSpeed(600); // ten market minutes per wall second
    expect((backtest.toJson() as any).speed).toBe(600);
    expect((backtest.stream.toJson() as any).speed).toBe(600);
    await runWall(wall, 3_000, 100);
    expect(sessionJson(sessionData).time).toBe('10:30:00');
    backtest.setSpeed('max');
    await backtest.join();
    expect(backtest.ended).toBe(true);
    expectQueueBalanced(backtest.queue);
  });

  it.each([1, 60, 'max'] as const)('releases every source bar exactly once at speed %s', async (speed) => {
    const { wall, backtest, keys, clock, source, symbols } = speedRun(speed === 'max' ? 60 : speed, 9);
    if (speed === 'max') clock.setSpeed('max');
    backtest.start();
    // At speed 1 a wall step of 20 s is a third of a minute: releases land on and between minute boundaries.
    const stepMs = speed === 1 ? 20_000 : 1000;
    for (let i = 0; i < 5000 && backtest.state === 'running'; i++) {
      wall.advance(stepMs);
      await settle(6);
      expectQueueBalanced(backtest.queue);
    }
    await backtest.join();
    const expected = (await collect(source, { symbols, startDate: '2025-07-02', endDate: '2025-07-03' })).map(
      (b) => `${b.symbol}@${b.startMs}`,
    );
    expect(keys).toEqual(expected);
    expect(new Set(keys).size).toBe(keys.length);
    expect(backtest.stream.barsReleased).toBe(expected.length);
    expect(backtest.upkeep.barsIngested).toBe(expected.length);
  });

  it('releases every bar exactly once on a manual clock moved in uneven steps', async () => {
    const symbols = ['SYN001', 'SYN002', 'SYN003'];
    const source = new SyntheticBarSource({
      symbols,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      seed: 2,
      gapRate: 0.2,
    });
    const sessionData = new SessionData();
    const keys = recordIngest(sessionData);
    const jul2 = sessionOf('2025-07-02');
    const clock = new ManualClock(jul2.preMarketStartMs);
    const backtest = new Backtest({
      symbols,
      source,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      sessionData,
      clock,
    });
    backtest.start();
    const steps = [59_999, 1, 60_000, 60_001, 119_999, 1, 7 * 60_000 + 30_000];
    let t = jul2.regularOpenMs;
    clock.advanceTo(t);
    for (let i = 0; t < jul2.regularCloseMs; i++) {
      t = Math.min(jul2.regularCloseMs, t + (steps[i % steps.length] as number));
      clock.advanceTo(t);
      await settle(6);
      expectQueueBalanced(backtest.queue);
    }
    await backtest.join();
    const expected = (await collect(source, { symbols, startDate: '2025-07-02', endDate: '2025-07-02' })).map(
      (b) => `${b.symbol}@${b.startMs}`,
    );
    expect(keys).toEqual(expected);
    expect(backtest.ended).toBe(true);
  });
});

describe('failures', () => {
  it('a source that throws mid-stream: the stream and the run go to error, the others stop, nothing hangs', async () => {
    const symbols = ['SYN001', 'SYN002', 'SYN003'];
    const inner = new SyntheticBarSource({
      symbols,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      seed: 4,
    });
    const sessionData = new SessionData();
    const backtest = new Backtest({
      symbols,
      source: failingSource(inner, 'SYN003', 200, 'AAPL.csv:201: connection reset'),
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      sessionData,
    });
    backtest.start();
    await backtest.join();
    expect(backtest.state).toBe('error');
    expect(backtest.error?.message).toBe('stream_coordinator: AAPL.csv:201: connection reset');
    expect(backtest.stream.state).toBe('error');
    expect(backtest.upkeep.state).toBe('stopped');
    expect(backtest.session.state).toBe('stopped');
    const json = backtest.toJson() as any;
    expect(json.state).toBe('error');
    expect(json.error).toBe('stream_coordinator: AAPL.csv:201: connection reset');
    expect(json.threads.stream_coordinator.error.message).toBe('AAPL.csv:201: connection reset');
    expect(json.threads.data_upkeep.state).toBe('stopped');
    expect(json.threads.session_coordinator.error).toBeNull();
    expect((sessionData.toJson() as any).system.state).toBe('error');
    expectQueueBalanced(backtest.queue);
    await expect(
      runBacktest({
        symbols,
        source: failingSource(inner, 'SYN001', 10, 'gone'),
        startDate: '2025-07-02',
        endDate: '2025-07-02',
        sessionData: new SessionData(),
      }),
    ).rejects.toThrow('stream_coordinator: gone');
  });

  it('an upkeep failure (a symbol removed mid-run) fails the run with its message', async () => {
    const symbols = ['SYN001', 'SYN002'];
    const source = new SyntheticBarSource({
      symbols,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      seed: 4,
    });
    const sessionData = new SessionData();
    const jul2 = sessionOf('2025-07-02');
    const clock = new ManualClock(jul2.regularOpenMs);
    const backtest = new Backtest({
      symbols,
      source,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      sessionData,
      clock,
    });
    backtest.start();
    clock.advanceTo(jul2.regularOpenMs + 10 * MINUTE_MS);
    await until(() => backtest.upkeep.barsIngested === 20, '10 minutes stored');
    sessionData.removeSymbol('SYN002');
    clock.advanceTo(jul2.regularCloseMs);
    await backtest.join();
    expect(backtest.state).toBe('error');
    expect(backtest.upkeep.state).toBe('error');
    expect(backtest.error?.message).toMatch(/^data_upkeep: unknown symbol "SYN002"/);
    expect(backtest.stream.state).toBe('stopped');
    expect(backtest.session.state).toBe('stopped');
    expectQueueBalanced(backtest.queue);
  });
});

describe('the event loop stays free', () => {
  it('a 100 ms timer fires on time while a 500-symbol backtest runs at max', async () => {
    const symbols = syntheticSymbols(500);
    const source = new SyntheticBarSource({
      symbols,
      startDate: '2025-07-02',
      endDate: '2025-07-03',
      seed: 1,
    });
    const backtest = new Backtest({
      symbols,
      source,
      startDate: '2025-07-02',
      endDate: '2025-07-03',
      sessionData: new SessionData(),
    });
    backtest.start();
    // Time it in the steady state: the first minutes of a process pay one-off costs (Temporal's time-zone
    // set-up, JIT warm-up of the hot paths) that are not what this test is about.
    await until(() => backtest.stream.barsReleased >= 500 * 30, 'half an hour replayed');
    const t0 = performance.now();
    const fired = new Promise<{ lateMs: number; running: boolean }>((resolve) => {
      setTimeout(
        () => resolve({ lateMs: performance.now() - t0 - 100, running: backtest.state === 'running' }),
        100,
      );
    });
    const { lateMs, running } = await fired;
    expect(running).toBe(true); // the backtest was still busy when the timer came due
    expect(Math.abs(lateMs)).toBeLessThanOrEqual(50);
    await backtest.join();
    expect(backtest.state).toBe('stopped');
    expect(backtest.stream.barsReleased).toBe(500 * (390 + 210));
    expectQueueBalanced(backtest.queue);
  });
});
