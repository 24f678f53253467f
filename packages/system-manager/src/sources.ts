import type { BarSource } from '@sys/market-data';
import type { NyseCalendar } from '@sys/market-time';
import { ConfigError, type SessionConfig } from './config.js';

/**
 * Opens the bar source a config names; the caller closes it. Each adapter is imported here, when its source
 * is opened, so importing @sys/system-manager loads no DuckDB (native) and no file reader until a config
 * asks for one.
 */
export async function openSource(config: SessionConfig, calendar: NyseCalendar): Promise<BarSource> {
  const s = config.source;
  switch (s.type) {
    case 'store': {
      const { BarStore, defaultStorePath } = await import('@sys/market-data/duckdb');
      // Only `data import` creates a store; a session reads one, read-only, or says there is none.
      return BarStore.open(s.path ?? defaultStorePath(), { readOnly: true, create: false });
    }
    case 'csv': {
      const { CsvBarSource } = await import('@sys/market-data/csv');
      return new CsvBarSource(s.paths, s.zone === undefined ? {} : { zone: s.zone });
    }
    case 'parquet': {
      const { ParquetBarSource } = await import('@sys/market-data/parquet');
      return new ParquetBarSource(s.paths, s.zone === undefined ? {} : { zone: s.zone });
    }
    case 'synthetic': {
      const w = config.backtest;
      if (w === undefined)
        throw new ConfigError([{ path: 'backtest', message: 'a synthetic source needs a window' }]);
      const { SyntheticBarSource } = await import('@sys/market-data/synthetic');
      return new SyntheticBarSource({
        symbols: config.symbols,
        startDate: w.start_date,
        endDate: w.end_date,
        seed: s.seed,
        calendar,
        sessions: config.sessions,
        ...(s.gap_rate === undefined ? {} : { gapRate: s.gap_rate }),
      });
    }
    default:
      throw new ConfigError([
        { path: 'source.type', message: `a ${s.type} feed is read by a live run, not replayed` },
      ]);
  }
}

/** Every config symbol must be in the source: an unknown one is a config error naming it. */
export async function checkSymbols(config: SessionConfig, source: BarSource): Promise<void> {
  const known = new Set(await source.listSymbols());
  const where = config.source.type === 'store' ? 'the store' : `the ${config.source.type} source`;
  const sample = [...known].slice(0, 10).join(', ') || 'none';
  const issues = config.symbols.flatMap((symbol, i) =>
    known.has(symbol)
      ? []
      : [
          {
            path: `symbols[${i}]`,
            message: `unknown symbol "${symbol}" in ${where} (it has: ${sample}); import its bars first`,
          },
        ],
  );
  if (issues.length > 0) throw new ConfigError(issues);
}
