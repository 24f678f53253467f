import type { Json } from '@sys/core';
import { type DayQuality, qualityReport } from '@sys/market-data';
import { NyseCalendar } from '@sys/market-time';
import type { SysContext } from './commands.js';
import { UsageError } from './errors.js';
import { table } from './output.js';
import { param, requiredPositional } from './params.js';
import { type CommandEntry, commandsFor } from './registry.js';
import { dbParam, openStore } from './store.js';

const define = commandsFor<SysContext>();

const fromParam = param.date({ description: 'First New York date (inclusive)', placeholder: 'YYYY-MM-DD' });
const toParam = param.date({ description: 'Last New York date (inclusive)', placeholder: 'YYYY-MM-DD' });

/** The dates of a command, checked: both or neither default to all, an end before the start is refused. */
export function range(
  command: string,
  from: string | undefined,
  to: string | undefined,
): { from: string; to: string } {
  const r = { from: from ?? '1970-01-01', to: to ?? '2100-12-31' };
  if (r.to < r.from) throw new UsageError(`${command}: --to ${r.to} is before --from ${r.from}`, command);
  return r;
}

const dataExport = define({
  namespace: 'data',
  name: 'export',
  description: 'Write stored bars of a symbol (or all) to a CSV or Parquet file, streamed and atomic',
  params: {
    symbol: requiredPositional(param.string({ description: 'A symbol, or all', placeholder: 'symbol|all' })),
    from: fromParam,
    to: toParam,
    format: param.enum(['csv', 'parquet'], { description: 'File format (default: from --out, else csv)' }),
    out: param.path({ description: 'The file to write', required: true, placeholder: 'file' }),

    db: dbParam,
  },
  examples: [
    'data export AAPL --from 2025-07-01 --to 2025-07-31 --out aapl.parquet',
    'data export all --format csv --out all.csv',
  ],
  handler: async (args, ctx) => {
    const command = 'data export';
    const r = range(command, args.from, args.to);
    const format = args.format ?? (/\.parquet$/i.test(args.out) ? 'parquet' : 'csv');
    const { store } = await openStore(args.db, ctx.cwd, 'read');
    try {
      const symbols = args.symbol === 'all' ? [] : [args.symbol];
      if (symbols.length > 0 && (await store.countBars(args.symbol, args.from, args.to)) === 0) {
        throw new UsageError(
          `${command}: the store has no bars of ${args.symbol} in ${r.from} … ${r.to}`,
          command,
        );
      }
      const n = await store.exportBars(args.out, { symbols, startDate: r.from, endDate: r.to }, format);
      ctx.out.note(`wrote ${n.toLocaleString('en-US')} bars to ${args.out} (${format})`);
    } finally {
      await store.close();
    }
  },
});

const dataDelete = define({
  namespace: 'data',
  name: 'delete',
  description: 'Delete the stored bars of a symbol, all or between dates (asks first on a terminal)',
  params: {
    symbol: requiredPositional(param.string({ description: 'The symbol', placeholder: 'symbol' })),
    from: fromParam,
    to: toParam,
    yes: param.boolean({ description: 'Delete without asking (needed when not on a terminal)', short: 'y' }),
    db: dbParam,
  },
  examples: ['data delete AAPL --from 2025-07-01 --to 2025-07-02', 'data delete TSLA --yes'],
  handler: async (args, ctx) => {
    const command = 'data delete';
    const r = range(command, args.from, args.to);
    const { store, path } = await openStore(args.db, ctx.cwd, 'import');
    try {
      const n = await store.countBars(args.symbol, args.from, args.to);
      const what = `${n.toLocaleString('en-US')} bars of ${args.symbol}${args.from === undefined && args.to === undefined ? '' : ` in ${r.from} … ${r.to}`}`;
      if (n === 0) {
        ctx.out.note(`nothing to delete: ${path} holds no bars of ${args.symbol} in that range`);
        return;
      }
      if (!args.yes) {
        if (ctx.confirm === undefined)
          throw new UsageError(
            `${command}: would delete ${what}; not on a terminal, so add --yes to confirm`,
            command,
          );
        if (!(await ctx.confirm(`delete ${what} from ${path}? [y/N] `))) {
          ctx.out.note('nothing deleted');
          return;
        }
      }
      const deleted = await store.deleteBars(args.symbol, args.from, args.to);
      ctx.out.note(`deleted ${deleted.toLocaleString('en-US')} bars of ${args.symbol}`);
    } finally {
      await store.close();
    }
  },
});

function qualityJson(q: DayQuality): Json {
  return {
    symbol: q.symbol,
    date: q.date,
    trading_day: q.tradingDay,
    expected: q.expected,
    present: q.present,
    missing: q.missing.map((m) => ({ start: m.start, minutes: m.minutes })),
    extended: q.extended,
    outside: q.outside,
    quality: q.quality,
  };
}

const dataQuality = define({
  namespace: 'data',
  name: 'quality',
  description:
    'Per symbol and day: regular minutes expected, present, missing ranges, bars outside the session',
  params: {
    symbol: param.string({
      description: 'One symbol (default: every stored one)',
      positional: true,
      placeholder: 'symbol',
    }),
    from: fromParam,
    to: toParam,
    json: param.boolean({ description: 'JSON rows instead of a table' }),
    db: dbParam,
  },
  examples: ['data quality', 'data quality AAPL --from 2025-07-01 --to 2025-07-31 --json'],
  handler: async (args, ctx) => {
    const command = 'data quality';
    const { store } = await openStore(args.db, ctx.cwd, 'read');
    try {
      const coverage = (await store.coverage()).filter(
        (c) => args.symbol === undefined || c.symbol === args.symbol,
      );
      if (coverage.length === 0) {
        throw new UsageError(
          `${command}: the store has no bars${args.symbol === undefined ? '' : ` of ${args.symbol}`}`,
          command,
        );
      }
      // Without dates: each symbol's own stored span.
      const from = args.from ?? coverage.map((c) => c.firstDay).sort()[0];
      const to =
        args.to ??
        coverage
          .map((c) => c.lastDay)
          .sort()
          .at(-1);
      const r = range(command, from, to);
      const symbols = coverage.map((c) => c.symbol);
      const rows = await qualityReport(
        store.streamBars({ symbols, startDate: r.from, endDate: r.to }),
        symbols,
        r.from,
        r.to,
        new NyseCalendar(),
      );
      if (args.json) {
        ctx.out.json(rows.map(qualityJson));
        return;
      }
      const missingText = (q: DayQuality) =>
        q.missing.length === 0
          ? '-'
          : q.missing
              .slice(0, 4)
              .map((m) => `${m.start}+${m.minutes}`)
              .join(' ') + (q.missing.length > 4 ? ` (+${q.missing.length - 4} more)` : '');
      ctx.out.line(
        table(
          ['symbol', 'date', 'expected', 'present', 'quality', 'extended', 'outside', 'missing'],
          rows.map((q) => [
            q.symbol,
            q.date,
            q.expected,
            q.present,
            q.quality === null ? 'closed' : `${q.quality}%`,
            q.extended,
            q.outside,
            missingText(q),
          ]),
        ),
      );
    } finally {
      await store.close();
    }
  },
});

/** `data export`, `data delete`, `data quality`. */
export function dataCommands(): CommandEntry<SysContext>[] {
  return [dataExport, dataDelete, dataQuality];
}
