import {
  type BarSource,
  BarStore,
  CsvBarSource,
  defaultStorePath,
  ParquetBarSource,
  SyntheticBarSource,
} from '@sys/market-data';
import type { NyseCalendar } from '@sys/market-time';
import { ConfigError, type SessionConfig } from './config.js';

/** Opens the bar source a config names; the caller closes it. */
export async function openSource(config: SessionConfig, calendar: NyseCalendar): Promise<BarSource> {
  const s = config.source;
  switch (s.type) {
    case 'store':
      return BarStore.open(s.path ?? defaultStorePath());
    case 'csv':
      return new CsvBarSource(s.paths, s.zone === undefined ? {} : { zone: s.zone });
    case 'parquet':
      return new ParquetBarSource(s.paths, s.zone === undefined ? {} : { zone: s.zone });
    case 'synthetic': {
      const w = config.backtest;
      if (w === undefined)
        throw new ConfigError([{ path: 'backtest', message: 'a synthetic source needs a window' }]);
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
