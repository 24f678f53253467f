import type { Json } from '@sys/core';
import type { Bar, BarSource } from '@sys/market-data';
import { type NyseCalendar, nyDateOf } from '@sys/market-time';
import type { SessionConfig } from './config.js';
import { openSource } from './sources.js';

/** A live feed a config names, opened: its bars, its status for the run's JSON, and how to close it. */
export interface OpenFeed {
  readonly bars: AsyncIterable<Bar | readonly Bar[]>;
  /** True when the feed ends by itself (a file or stdin read to its end, a replay that finished). */
  readonly finite: boolean;
  readonly status: { version(): number; toJson(): Json };
  close(): Promise<void>;
}

/**
 * Opens the live feed of a config whose source is `ndjson`, `alpaca` or `polygon`, or null for any other
 * source (a live run then takes bars through `SystemManager.ingest`). The adapters are imported here, when
 * a feed is opened, so importing @sys/system-manager loads no socket code.
 */
export async function openFeed(
  config: SessionConfig,
  calendar: NyseCalendar,
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<OpenFeed | null> {
  const s = config.source;
  if (s.type === 'ndjson') {
    const live = await import('@sys/market-data/live');
    const name = s.url ?? (s.path === undefined || s.path === '-' ? 'stdin' : s.path);
    const status = { source: name, lines: 0, bars: 0, malformed: 0, lastMalformed: null as string | null };
    const controller = new AbortController();
    let chunks: AsyncIterable<Buffer | string>;
    if (s.url !== undefined) {
      const [host = '', port = ''] = s.url.slice('tcp://'.length).split(':');
      chunks = live.tcpChunks(host, Number(port));
    } else if (s.path === undefined || s.path === '-') chunks = stdin;
    else if (s.follow === true) chunks = live.tailChunks(s.path, { signal: controller.signal });
    else chunks = live.fileChunks(s.path);
    let version = 0;
    const bars = (async function* () {
      for await (const batch of live.ndjsonBatches(chunks, status)) {
        version++;
        yield batch;
      }
    })();
    return {
      bars,
      finite: s.follow !== true,
      status: {
        version: () => version + status.malformed,
        toJson: () => ({
          source: status.source,
          lines: status.lines,
          bars: status.bars,
          malformed: status.malformed,
          last_malformed: status.lastMalformed,
        }),
      },
      close: async () => {
        controller.abort();
        await bars.return(undefined);
      },
    };
  }
  if (s.type !== 'alpaca' && s.type !== 'polygon') return null;
  const live = await import('@sys/market-data/live');
  let backfillSource: BarSource | null = null;
  const b = s.backfill;
  if (b !== undefined) backfillSource = await openSource({ ...config, source: b }, calendar);
  let version = 0;
  const feed = new live.WsBarFeed({
    format: s.type,
    url: s.url,
    symbols: s.symbols ?? config.symbols,
    key: s.key,
    secret: s.secret,
    ...(s.heartbeat_ms === undefined ? {} : { heartbeatMs: s.heartbeat_ms }),
    ...(s.max_attempts === undefined ? {} : { maxAttempts: s.max_attempts }),
    backoff: {
      ...(s.backoff?.initial_ms === undefined ? {} : { initialMs: s.backoff.initial_ms }),
      ...(s.backoff?.max_ms === undefined ? {} : { maxMs: s.backoff.max_ms }),
      ...(s.backoff?.jitter === undefined ? {} : { jitter: s.backoff.jitter }),
    },
    onStatus: () => {
      version++;
    },
    ...(backfillSource === null ? {} : { backfill: backfillFrom(backfillSource) }),
  });
  return {
    bars: feed,
    finite: true,
    status: {
      version: () => version,
      toJson: () => {
        const f = feed.status();
        return {
          source: s.type,
          url: f.url,
          state: f.state,
          connects: f.connects,
          reconnects: f.reconnects,
          attempt: f.attempt,
          retry_in_ms: f.retryInMs,
          last_error: f.lastError,
          bars: f.bars,
          backfilled: f.backfilled,
          malformed: f.malformed,
          last_malformed: f.lastMalformed,
        };
      },
    },
    close: async () => {
      await feed.close();
      await backfillSource?.close?.();
    },
  };
}

/** Reads the missed minutes from a bar source: its New York dates around the range, bars inside it. */
function backfillFrom(source: BarSource) {
  return async function* (fromMs: number, toMs: number, symbols: readonly string[]): AsyncGenerator<Bar> {
    const query = { symbols, startDate: nyDateOf(fromMs), endDate: nyDateOf(toMs - 1) };
    for await (const bar of source.streamBars(query)) {
      if (bar.startMs >= fromMs && bar.startMs < toMs) yield bar;
    }
  };
}
