import { addDays, type IsoDate, nyMidnightMs } from '@sys/market-time';
import { type Bar, BarSequenceValidator, barLabel } from './bar.js';
import { BarQueryError } from './errors.js';

/** Which bars to read: some symbols (all of them when the list is empty) over inclusive New York dates. */
export interface BarQuery {
  symbols: readonly string[];
  startDate: IsoDate;
  /** Inclusive. */
  endDate: IsoDate;
}

/** Anything that yields bars: files, the store, the synthetic generator. */
export interface BarSource {
  /** Symbols the source holds, sorted. */
  listSymbols(): Promise<string[]>;
  /** Bars of the query, in time order and, within a minute, by symbol. */
  streamBars(query: BarQuery): AsyncIterable<Bar>;
  /**
   * The same bars in batches (each in that order, batch after batch), for readers that take many bars at a
   * time: one await per batch instead of one per bar. Optional; without it a reader batches `streamBars`.
   */
  streamBatches?(query: BarQuery): AsyncIterable<readonly Bar[]>;
  /** Releases files and connections. */
  close?(): Promise<void>;
}

/** A query resolved to epoch ms: bars with fromMs <= startMs < toMs, of `symbols` (null: all). */
export interface ResolvedQuery {
  readonly fromMs: number;
  readonly toMs: number;
  readonly symbols: ReadonlySet<string> | null;
}

/** Resolves the New York dates of a query to [fromMs, toMs); throws BarQueryError when they are reversed. */
export function resolveQuery(query: BarQuery): ResolvedQuery {
  if (query.startDate > query.endDate) {
    throw new BarQueryError(
      `query startDate ${query.startDate} is after endDate ${query.endDate}; swap them`,
    );
  }
  return {
    fromMs: nyMidnightMs(query.startDate),
    toMs: nyMidnightMs(addDays(query.endDate, 1)),
    symbols: query.symbols.length === 0 ? null : new Set(query.symbols),
  };
}

/** True when `bar` falls in the resolved query. */
export function inQuery(bar: Bar, q: ResolvedQuery): boolean {
  return bar.startMs >= q.fromMs && bar.startMs < q.toMs && (q.symbols === null || q.symbols.has(bar.symbol));
}

function before(a: Bar, b: Bar): boolean {
  return a.startMs < b.startMs || (a.startMs === b.startMs && a.symbol < b.symbol);
}

/**
 * Orders bars that come in time order but, within one minute, in any symbol order: holds one minute at a
 * time, so memory stays flat. `outOfOrder` is called (and must throw) when time goes backwards.
 */
export async function* sortWithinMinute(
  bars: AsyncIterable<Bar>,
  outOfOrder: (bar: Bar, previousStartMs: number) => never,
): AsyncGenerator<Bar> {
  let group: Bar[] = [];
  for await (const bar of bars) {
    const head = group[0];
    if (head !== undefined && bar.startMs !== head.startMs) {
      if (bar.startMs < head.startMs) outOfOrder(bar, head.startMs);
      if (group.length > 1) group.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
      yield* group;
      group = [];
    }
    group.push(bar);
  }
  if (group.length > 1) group.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  yield* group;
}

/**
 * Merges streams that are each in (time, symbol) order into one. With more than one input the same symbol
 * and minute from two inputs is a duplicate and fails validation.
 */
export async function* mergeByTime(inputs: readonly AsyncIterable<Bar>[]): AsyncGenerator<Bar> {
  const only = inputs[0];
  if (inputs.length === 1 && only !== undefined) {
    yield* only;
    return;
  }
  const iterators = inputs.map((input) => input[Symbol.asyncIterator]());
  const heads: (Bar | undefined)[] = await Promise.all(
    iterators.map(async (it) => {
      const r = await it.next();
      return r.done ? undefined : r.value;
    }),
  );
  const validator = new BarSequenceValidator();
  try {
    for (;;) {
      let pick = -1;
      let best: Bar | undefined;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (best === undefined || before(h, best))) {
          best = h;
          pick = i;
        }
      }
      const it = iterators[pick];
      if (best === undefined || it === undefined) return;
      yield validator.check(best, barLabel(best.symbol, best.startMs));
      const r = await it.next();
      heads[pick] = r.done ? undefined : r.value;
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}
