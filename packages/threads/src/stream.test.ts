import { SyntheticBarSource } from '@sys/market-data';
import { ManualClock, MINUTE_MS, NyseCalendar } from '@sys/market-time';
import { describe, expect, it } from 'vitest';
import {
  ArraySource,
  bar,
  collect,
  expectQueueBalanced,
  failingSource,
  settle,
  until,
} from '../test/helpers.js';
import { StreamOrderError, UpstreamFailedError } from './errors.js';
import { BoundedQueue } from './queue.js';
import { BacktestStreamCoordinator, type MinuteBatch } from './stream.js';

const day = new NyseCalendar().session('2025-07-02');
if (day === null) throw new Error('2025-07-02 is a trading day');
const OPEN = day.regularOpenMs;
const at = (minutes: number) => OPEN + minutes * MINUTE_MS;

function labels(batch: MinuteBatch): string[] {
  return batch.bars.map((b) => `${b.symbol}@${(b.startMs - OPEN) / MINUTE_MS}`);
}

describe('BacktestStreamCoordinator', () => {
  it('merges per-symbol streams and releases a minute only once it has ended', async () => {
    const source = new ArraySource([
      bar('A', at(0)),
      bar('A', at(1)),
      bar('A', at(3)),
      bar('B', at(0)),
      bar('B', at(2)),
      bar('C', at(1)),
      bar('C', at(3)),
      bar('C', at(-30)), // pre-market: outside the regular scope
    ]);
    const clock = new ManualClock(OPEN);
    const stream = new BacktestStreamCoordinator({
      source,
      symbols: ['C', 'A', 'B'],
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      clock,
    });
    const q = stream.queue;
    stream.start();
    await settle();
    expect(source.calls).toBe(3); // one stream per symbol
    expect(q.depth).toBe(0);
    clock.advanceTo(at(1) - 1);
    await settle();
    expect(q.depth).toBe(0); // the 09:30 minute has not ended yet
    clock.advanceTo(at(1));
    await until(() => q.depth === 1, 'the 09:30 minute');
    const first = q.takeUpTo(1)[0] as MinuteBatch;
    expect(labels(first)).toEqual(['A@0', 'B@0']);
    expect(first.visibleMs).toBe(at(1));
    clock.advanceTo(at(10));
    await until(() => stream.exhausted, 'the end of the streams');
    expect(q.takeUpTo(10).map(labels)).toEqual([['A@1', 'C@1'], ['B@2'], ['A@3', 'C@3']]);
    await stream.join();
    const json = stream.toJson() as any;
    expect(json).toMatchObject({
      state: 'stopped',
      bars_released: 7,
      minutes_released: 4,
      bars_outside_scope: 1,
      market_time: '2025-07-02 09:34:00',
      exhausted: true,
      speed: null,
    });
    expectQueueBalanced(q);
  });

  it('waits on a full queue instead of dropping, and releases everything once drained', async () => {
    const source = new SyntheticBarSource({
      symbols: 3,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      seed: 1,
    });
    const expected = await collect(source, { symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' });
    const clock = new ManualClock(day.regularCloseMs);
    const queue = new BoundedQueue<MinuteBatch>({ capacity: 2 });
    const stream = new BacktestStreamCoordinator({
      source,
      symbols: ['SYN001', 'SYN002', 'SYN003'],
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      clock,
      queue,
    });
    stream.start();
    await until(() => queue.stats().waiting_producers === 1, 'a blocked producer');
    expect(queue.depth).toBe(2);
    expect(stream.barsReleased).toBe(6);
    expectQueueBalanced(queue);
    const seen: string[] = [];
    while (seen.length < expected.length) {
      for (const b of (await queue.take()).bars) seen.push(`${b.symbol}@${b.startMs}`);
      expectQueueBalanced(queue);
    }
    expect(seen).toEqual(expected.map((b) => `${b.symbol}@${b.startMs}`));
    expect(queue.stats()).toMatchObject({ high_water: 2, dropped: 0, enqueued: 390 });
    await stream.join();
  });

  it('stopped mid-day and started again, releases every bar exactly once', async () => {
    const source = new SyntheticBarSource({
      symbols: 4,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      seed: 7,
      gapRate: 0.3,
    });
    const expected = await collect(source, { symbols: [], startDate: '2025-07-02', endDate: '2025-07-02' });
    const clock = new ManualClock(OPEN);
    const stream = new BacktestStreamCoordinator({
      source,
      symbols: await source.listSymbols(),
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      clock,
    });
    const seen: string[] = [];
    const drain = () => {
      for (const m of stream.queue.takeUpTo(1000))
        for (const b of m.bars) seen.push(`${b.symbol}@${b.startMs}`);
    };
    stream.start();
    for (let m = 1; m <= 120; m++) {
      clock.advanceTo(at(m));
      await settle(4);
      drain();
    }
    await stream.stop();
    expect(stream.state).toBe('stopped');
    const before = stream.barsReleased;
    expect(before).toBeGreaterThan(0);
    clock.advanceTo(at(200) + 30_000); // time moved on while it was stopped
    stream.start();
    clock.advanceTo(day.regularCloseMs);
    await until(() => {
      drain();
      return stream.exhausted;
    }, 'the end of the day');
    await stream.join();
    drain();
    expect(seen).toEqual(expected.map((b) => `${b.symbol}@${b.startMs}`));
    expect(new Set(seen).size).toBe(seen.length);
    expect(stream.barsReleased).toBe(expected.length);
    expectQueueBalanced(stream.queue);
  });

  it('a source that throws mid-stream puts the stream in error with the message, and fails its waiters', async () => {
    const inner = new SyntheticBarSource({
      symbols: 2,
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      seed: 3,
    });
    const clock = new ManualClock(day.regularCloseMs);
    const stream = new BacktestStreamCoordinator({
      source: failingSource(inner, 'SYN002', 50, 'disk read failed at row 51'),
      symbols: ['SYN001', 'SYN002'],
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      clock,
      gated: true,
    });
    stream.start();
    const through = stream.whenReleasedThrough(day.regularCloseMs).then(
      () => null,
      (error: unknown) => error,
    );
    stream.allowThrough(day.regularCloseMs);
    const drained = (async () => {
      while (stream.worker.isAlive) {
        stream.queue.takeUpTo(100);
        await settle(1);
      }
    })();
    await stream.join();
    await drained;
    expect(stream.state).toBe('error');
    expect(await through).toBeInstanceOf(UpstreamFailedError);
    const json = stream.toJson() as any;
    expect(json.error.message).toBe('disk read failed at row 51');
    expect(json.thread_info.is_alive).toBe(false);
    expect(stream.barsReleased).toBe(100); // 50 minutes of both symbols, then the read of SYN002's 51st failed
    expectQueueBalanced(stream.queue);
  });

  it('refuses a stream that goes back in time', async () => {
    const bad = new ArraySource([bar('A', at(2))]);
    const source = {
      listSymbols: () => bad.listSymbols(),
      async *streamBars() {
        yield bar('A', at(2));
        yield bar('A', at(1));
      },
    };
    const stream = new BacktestStreamCoordinator({
      source,
      symbols: ['A'],
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      clock: new ManualClock(day.regularCloseMs),
    });
    stream.start();
    await stream.join();
    expect(stream.worker.error).toBeInstanceOf(StreamOrderError);
    expect(stream.worker.error?.message).toMatch(
      /A: a bar starting 2025-07-02 09:31:00 came after one starting 2025-07-02 09:32:00/,
    );
  });

  it('holds bars behind the gate until allowed through', async () => {
    const source = new ArraySource([bar('A', at(0)), bar('A', at(5))]);
    const clock = new ManualClock(day.regularCloseMs);
    const stream = new BacktestStreamCoordinator({
      source,
      symbols: ['A'],
      startDate: '2025-07-02',
      endDate: '2025-07-02',
      clock,
      gated: true,
    });
    stream.start();
    await settle();
    expect(stream.barsReleased).toBe(0);
    stream.allowThrough(at(3));
    await stream.whenReleasedThrough(at(3));
    expect(stream.barsReleased).toBe(1);
    stream.allowThrough(at(1)); // a limit never goes back
    stream.allowThrough(Number.POSITIVE_INFINITY);
    await stream.join();
    expect(stream.barsReleased).toBe(2);
    expectQueueBalanced(stream.queue);
  });
});
