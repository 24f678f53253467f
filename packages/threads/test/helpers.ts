import type { Bar, BarQuery, BarSource } from '@sys/market-data';
import { addDays, nyMidnightMs, type SetTimer } from '@sys/market-time';
import { expect } from 'vitest';

/** One turn of the event loop. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Turns the event loop until `condition` holds; fails (naming `what`) after `maxTurns` turns. */
export async function until(condition: () => boolean, what: string, maxTurns = 20_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Turns the event loop `turns` times so workers reach their next wait. */
export async function settle(turns = 30): Promise<void> {
  for (let i = 0; i < turns; i++) await tick();
}

/** The read-ahead invariant every test checks: every bar read is either applied or still buffered. */
export function expectReadAheadBalanced(run: { toJson(o: { debug: boolean }): unknown }): void {
  const json = run.toJson({ debug: true }) as {
    threads: { stream_coordinator: { queues: { read_ahead?: Record<string, number> } } };
  };
  const s = json.threads.stream_coordinator.queues.read_ahead;
  expect(s).toBeDefined();
  expect(s?.enqueued).toBe((s?.dequeued ?? Number.NaN) + (s?.depth ?? Number.NaN));
  expect(s?.dropped).toBe(0);
}

/** A source over an array of bars (any order of symbols within a minute); honours the query. */
export class ArraySource implements BarSource {
  readonly #bars: readonly Bar[];
  /** How many times streamBars was called. */
  calls = 0;

  constructor(bars: readonly Bar[]) {
    this.#bars = [...bars].sort((a, b) => a.startMs - b.startMs || (a.symbol < b.symbol ? -1 : 1));
  }

  async listSymbols(): Promise<string[]> {
    return [...new Set(this.#bars.map((b) => b.symbol))].sort();
  }

  async *streamBars(query: BarQuery): AsyncGenerator<Bar> {
    this.calls++;
    const fromMs = nyMidnightMs(query.startDate);
    const toMs = nyMidnightMs(addDays(query.endDate, 1));
    const wanted = query.symbols.length === 0 ? null : new Set(query.symbols);
    for (const bar of this.#bars) {
      if (bar.startMs < fromMs || bar.startMs >= toMs) continue;
      if (wanted !== null && !wanted.has(bar.symbol)) continue;
      yield bar;
    }
  }
}

/** Wraps a source so that the stream of `symbol` throws `message` after yielding `after` of its bars. */
export function failingSource(inner: BarSource, symbol: string, after: number, message: string): BarSource {
  return {
    listSymbols: () => inner.listSymbols(),
    async *streamBars(query: BarQuery): AsyncGenerator<Bar> {
      let n = 0;
      for await (const bar of inner.streamBars(query)) {
        if (bar.symbol === symbol && n++ === after) throw new Error(message);
        yield bar;
      }
    },
  };
}

/** Collects every bar a source yields for a query (the test's own count of what goes in). */
export async function collect(source: BarSource, query: BarQuery): Promise<Bar[]> {
  const out: Bar[] = [];
  for await (const bar of source.streamBars(query)) out.push(bar);
  return out;
}

/** A wall clock and timers moved by hand, for a BacktestClock with speed in deterministic tests. */
export class FakeWall {
  nowMs = 0;
  readonly #timers: { atMs: number; callback: () => void; live: boolean }[] = [];

  readonly now = (): number => this.nowMs;

  readonly setTimer: SetTimer = (callback, delayMs) => {
    const timer = { atMs: this.nowMs + delayMs, callback, live: true };
    this.#timers.push(timer);
    return () => {
      timer.live = false;
    };
  };

  /** Moves wall time by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.live && t.atMs <= target).sort((a, b) => a.atMs - b.atMs)[0];
      if (due === undefined) break;
      due.live = false;
      this.nowMs = Math.max(this.nowMs, due.atMs);
      due.callback();
    }
    this.nowMs = target;
  }
}

/** A bar with the given start and prices around `price`. */
export function bar(symbol: string, startMs: number, price = 100, volume = 100): Bar {
  return { symbol, startMs, open: price, high: price + 1, low: price - 1, close: price, volume };
}
