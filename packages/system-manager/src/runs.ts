import type { BarSource } from '@sys/market-data';
import type { Clock, NyseCalendar, Speed } from '@sys/market-time';
import type { SessionData } from '@sys/session-data';
import { Backtest, LiveRun, type Run } from '@sys/threads';
import { ConfigError, type SessionConfig } from './config.js';
import { openFeed } from './feeds.js';
import { checkSymbols, openSource } from './sources.js';

/** What a run needs besides its config. */
export interface RunDeps {
  readonly sessionData: SessionData;
  readonly calendar: NyseCalendar;
  readonly speed: Speed;
  /** Market clock of a live run (default the wall clock). */
  readonly clock?: Clock;
  readonly daemon?: boolean;
  /** A source to use instead of the config's (not closed by the run's owner). */
  readonly source?: BarSource;
}

/**
 * The one place a config's mode is looked at: a backtest over its source and window, or a live run fed
 * through `ingest`. The source is opened and every symbol checked before the run exists; on any problem the
 * source is closed again and the error thrown.
 */
export async function createRun(
  config: SessionConfig,
  deps: RunDeps,
): Promise<{ run: Run; source: BarSource | null }> {
  const common = { sessionData: deps.sessionData, calendar: deps.calendar, scope: config.sessions };
  const daemon = deps.daemon === undefined ? {} : { daemon: deps.daemon };
  if (config.mode === 'live') {
    const clock = deps.clock === undefined ? {} : { clock: deps.clock };
    const feed = await openFeed(config, deps.calendar);
    const run = new LiveRun({
      symbols: config.symbols,
      ...common,
      ...clock,
      ...daemon,
      followFeed: config.clock === 'feed',
      ...(feed === null ? {} : { feed: feed.bars, endWithFeed: feed.finite, feedStatus: feed.status }),
    });
    // The manager closes a run's source when the run is over: the feed is closed the same way.
    const closer: BarSource | null =
      feed === null
        ? null
        : { listSymbols: async () => [], streamBars: async function* () {}, close: () => feed.close() };
    return { run, source: closer };
  }
  const w = config.backtest;
  if (w === undefined) throw new ConfigError([{ path: 'backtest', message: 'a backtest needs a window' }]);
  const given = deps.source;
  const source = given ?? (await openSource(config, deps.calendar));
  try {
    await checkSymbols(config, source);
  } catch (e) {
    if (given === undefined) await source.close?.();
    throw e;
  }
  const run = new Backtest({
    symbols: config.symbols,
    source,
    startDate: w.start_date,
    endDate: w.end_date,
    speed: deps.speed,
    historyDays: config.historical_days,
    ...common,
    ...daemon,
  });
  return { run, source: given === undefined ? source : null };
}
