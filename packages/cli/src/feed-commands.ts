import { waitFor } from '@sys/core';
import type { Bar, BarSource } from '@sys/market-data';
import type { SysContext } from './commands.js';
import { range } from './data-commands.js';
import { CancelledError, UsageError } from './errors.js';
import { param, requiredPositional } from './params.js';
import { type CommandEntry, commandsFor } from './registry.js';
import { openStore } from './store.js';

const define = commandsFor<SysContext>();

/** The bars to replay: a store (`.duckdb`) or a CSV/Parquet file, over the dates and symbols asked. */
async function readBars(
  path: string,
  query: { symbols: string[]; startDate: string; endDate: string },
  cwd: string,
): Promise<Bar[]> {
  let source: BarSource;
  if (/\.duckdb$/i.test(path)) source = (await openStore(path, cwd, 'read')).store;
  else if (/\.parquet$/i.test(path)) {
    const { ParquetBarSource } = await import('@sys/market-data/parquet');
    source = new ParquetBarSource([path]);
  } else {
    const { CsvBarSource } = await import('@sys/market-data/csv');
    source = new CsvBarSource([path]);
  }
  try {
    const bars: Bar[] = [];
    for await (const bar of source.streamBars(query)) bars.push(bar);
    return bars;
  } finally {
    await source.close?.();
  }
}

const feedReplay = define({
  namespace: 'feed',
  name: 'replay',
  description: 'Serve stored bars as a live WebSocket feed on 127.0.0.1 (Alpaca v2 or Polygon AM format)',
  params: {
    source: requiredPositional(
      param.path({
        description: 'A store (.duckdb) or a CSV/Parquet file of bars',
        placeholder: 'csv|store',
      }),
    ),
    format: param.enum(['alpaca', 'polygon'], { description: 'Message format', default: 'alpaca' }),
    port: param.number({
      description: 'Port on 127.0.0.1 (0: any free port)',
      integer: true,
      min: 0,
      max: 65535,
      default: 7071,
      placeholder: 'n',
    }),
    speed: param.number({
      description: 'Market minutes per wall minute (60: a minute a second) or max',
      above: 0,
      keywords: ['max'],
      default: 60,
      placeholder: 'x|max',
    }),
    from: param.date({ description: 'First New York date (default: all)', placeholder: 'YYYY-MM-DD' }),
    to: param.date({ description: 'Last New York date (default: all)', placeholder: 'YYYY-MM-DD' }),
    symbols: param.string({ description: 'Comma-separated symbols (default: all)', placeholder: 'A,B' }),
    key: param.string({ description: 'The key clients must send (default: any)', placeholder: 'key' }),
  },
  examples: [
    'feed replay data/sys.duckdb --format alpaca --port 7071 --speed 60',
    'feed replay AAPL_2025-07-02.csv --format polygon --from 2025-07-02 --to 2025-07-02 --speed max',
  ],
  handler: async (args, ctx) => {
    const command = 'feed replay';
    const { from: startDate, to: endDate } = range(command, args.from, args.to);
    const symbols =
      args.symbols === undefined
        ? []
        : args.symbols
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '');
    const bars = await readBars(args.source, { symbols, startDate, endDate }, ctx.cwd);
    if (bars.length === 0)
      throw new UsageError(`${command}: no bars in ${args.source} for that range`, command);
    const { FeedReplayServer } = await import('@sys/market-data/live');
    const server = new FeedReplayServer({
      format: args.format,
      bars,
      port: args.port,
      speed: args.speed,
      ...(args.key === undefined ? {} : { key: args.key }),
    });
    const url = await server.listen();
    const names = [...new Set(bars.map((b) => b.symbol))];
    ctx.out.note(
      `serving ${bars.length.toLocaleString('en-US')} bars of ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''} as a ${args.format} feed at ${url} (speed ${String(args.speed)}); the replay starts at the first subscription`,
    );
    try {
      await waitFor(server.done(), ctx.signal);
      const s = server.status();
      ctx.out.note(
        `replay finished: ${s.minutesSent} minutes, ${s.barsSent.toLocaleString('en-US')} bars sent`,
      );
    } catch (error) {
      if (ctx.signal.aborted && error === ctx.signal.reason) throw new CancelledError(command, 'stopped');
      throw error;
    } finally {
      await server.close();
    }
  },
});

/** `feed replay`. */
export function feedCommands(): CommandEntry<SysContext>[] {
  return [feedReplay];
}
