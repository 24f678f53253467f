import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type Bar, BarSequenceValidator, BarValidationError } from './bar.js';
import {
  type BarBatch,
  type BatchReadOptions,
  type FileErrorFactory,
  type ReadBarsOptions,
  streamFiles,
  symbolFromFileName,
} from './csv-reader.js';
import { ParquetFormatError } from './errors.js';
import { NumberFieldError, parseNumberField } from './numbers.js';
import type { BarQuery, BarSource } from './source.js';
import { parseTimestamp, TimestampError, ZoneResolver } from './timestamp.js';

const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const NUMERIC =
  /^(?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;
const INTEGER = /^(?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;

/** How the timestamp column is turned into epoch ms. */
type TimestampKind = 'instant' | 'naive' | 'epoch' | 'text';

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const parquetError: FileErrorFactory = (file, row, reason) => new ParquetFormatError(file, row, reason);

/**
 * Reads a Parquet file (columns timestamp, open, high, low, close, volume and optionally symbol) through
 * DuckDB as batches of validated bars, streaming. Timestamps may be TIMESTAMPTZ, epoch integers, ISO text,
 * or a naive TIMESTAMP when a zone is named. Rows are numbered from 1 in file order.
 */
export async function* readParquetBatches(
  connection: DuckDBConnection,
  file: string,
  options: BatchReadOptions = {},
): AsyncGenerator<BarBatch> {
  const zone = options.zone === undefined ? undefined : new ZoneResolver(options.zone);
  const from = `read_parquet(${sqlString(file)})`;
  let described: Record<string, unknown>[];
  try {
    described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS();
  } catch (cause) {
    throw new ParquetFormatError(file, 0, `cannot be read as Parquet (${(cause as Error).message})`);
  }
  const columns = new Map<string, { name: string; type: string }>();
  for (const row of described) {
    const name = String(row.column_name);
    columns.set(name.toLowerCase(), { name, type: String(row.column_type) });
  }
  const missing = ['timestamp', ...PRICE_COLUMNS].filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new ParquetFormatError(
      file,
      0,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; expected timestamp, open, high, ` +
        `low, close, volume (and optionally symbol), found ${[...columns.values()].map((c) => c.name).join(', ')}`,
    );
  }
  const column = (name: string): { name: string; type: string } => {
    const c = columns.get(name);
    if (c === undefined) throw new ParquetFormatError(file, 0, `missing column ${name}`);
    return c;
  };

  const ts = column('timestamp');
  let kind: TimestampKind;
  let tsExpr: string;
  if (ts.type === 'TIMESTAMP WITH TIME ZONE') {
    kind = 'instant';
    tsExpr = `CAST(epoch_ms(${quoteIdent(ts.name)}) AS DOUBLE)`;
  } else if (/^TIMESTAMP(?:_S|_MS|_NS)?$/.test(ts.type)) {
    kind = 'naive';
    tsExpr = `CAST(epoch_ms(CAST(${quoteIdent(ts.name)} AS TIMESTAMP)) AS DOUBLE)`;
  } else if (INTEGER.test(ts.type)) {
    kind = 'epoch';
    tsExpr = `CAST(${quoteIdent(ts.name)} AS VARCHAR)`;
  } else if (ts.type === 'VARCHAR') {
    kind = 'text';
    tsExpr = quoteIdent(ts.name);
  } else {
    throw new ParquetFormatError(
      file,
      0,
      `timestamp column has type ${ts.type}; use TIMESTAMP WITH TIME ZONE, epoch seconds/ms, or ISO 8601 text`,
    );
  }
  if (kind === 'naive' && zone === undefined) {
    throw new ParquetFormatError(
      file,
      0,
      `timestamp column is a ${ts.type} without a zone; name the zone it is written in (option zone, e.g. ` +
        '"America/New_York"), or store TIMESTAMP WITH TIME ZONE',
    );
  }
  const valueExprs = PRICE_COLUMNS.map((name) => {
    const c = column(name);
    if (NUMERIC.test(c.type)) return `CAST(${quoteIdent(c.name)} AS DOUBLE)`;
    if (c.type === 'VARCHAR') return quoteIdent(c.name);
    throw new ParquetFormatError(file, 0, `column ${name} has type ${c.type}; expected a number`);
  });
  const symbolColumn = columns.get('symbol');
  let fixedSymbol = '';
  if (symbolColumn === undefined) {
    const symbol = options.symbol ?? symbolFromFileName(file);
    if (symbol === undefined) {
      throw new ParquetFormatError(
        file,
        0,
        'no symbol column and no symbol in the file name (like AAPL_2025-07-02.parquet); pass the symbol option',
      );
    }
    fixedSymbol = symbol;
  }
  const select = [tsExpr, ...valueExprs];
  if (symbolColumn !== undefined) select.push(`CAST(${quoteIdent(symbolColumn.name)} AS VARCHAR)`);

  const validator = new BarSequenceValidator();
  const rowPrefix = `${file}:row `;
  const result = await connection.stream(`SELECT ${select.join(', ')} FROM ${from}`);
  let rowNo = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const vectors = Array.from({ length: select.length }, (_, i) => chunk.getColumnVector(i));
    const bars: Bar[] = [];
    const lines: number[] = [];
    let failure: Error | undefined;
    for (let r = 0; r < chunk.rowCount; r++) {
      rowNo++;
      try {
        const value = (i: number, name: string): number => {
          const v = vectors[i]?.getItem(r);
          if (typeof v === 'number') return v;
          if (typeof v === 'string') return parseNumberField(v.trim(), name);
          throw new ParquetFormatError(file, rowNo, `${name} is ${v === null ? 'null' : 'not a number'}`);
        };
        const rawTs = vectors[0]?.getItem(r);
        let startMs: number;
        if (typeof rawTs === 'number') {
          startMs = kind === 'naive' && zone !== undefined ? zone.toEpochMs(rawTs) : rawTs;
        } else if (typeof rawTs === 'string') {
          startMs = parseTimestamp(rawTs.trim(), zone);
        } else {
          throw new ParquetFormatError(file, rowNo, 'timestamp is null');
        }
        let symbol = fixedSymbol;
        if (symbolColumn !== undefined) {
          const s = vectors[6]?.getItem(r);
          if (typeof s !== 'string') throw new ParquetFormatError(file, rowNo, 'symbol is null');
          symbol = s.trim();
        }
        const bar: Bar = {
          symbol,
          startMs,
          open: value(1, 'open'),
          high: value(2, 'high'),
          low: value(3, 'low'),
          close: value(4, 'close'),
          volume: value(5, 'volume'),
        };
        validator.checkAt(bar, rowPrefix, rowNo);
        bars.push(bar);
        lines.push(rowNo);
      } catch (error) {
        let bad: ParquetFormatError | BarValidationError;
        if (error instanceof TimestampError || error instanceof NumberFieldError) {
          bad = new ParquetFormatError(file, rowNo, error.message);
        } else if (error instanceof ParquetFormatError || error instanceof BarValidationError) {
          bad = error;
        } else {
          throw error;
        }
        if (options.onBadRow === undefined) {
          failure = bad;
          break;
        }
        options.onBadRow(rowNo, bad);
      }
    }
    if (bars.length > 0) yield { bars, lines, rowsRead: rowNo };
    if (failure !== undefined) throw failure;
  }
  if (rowNo === 0) throw new ParquetFormatError(file, 0, 'no rows');
}

/** Parquet files as a bar source (read through an in-memory DuckDB): each file in time order, merged by time. */
export class ParquetBarSource implements BarSource {
  readonly #files: readonly string[];
  readonly #options: ReadBarsOptions;
  #instance: Promise<DuckDBInstance> | undefined;

  constructor(paths: string | string[], options: ReadBarsOptions = {}) {
    this.#files = typeof paths === 'string' ? [paths] : [...paths];
    this.#options = { ...options };
    if (options.zone !== undefined) new ZoneResolver(options.zone);
  }

  async #connect(): Promise<DuckDBConnection> {
    this.#instance ??= DuckDBInstance.create(':memory:');
    return (await this.#instance).connect();
  }

  async *#read(file: string): AsyncGenerator<BarBatch> {
    const connection = await this.#connect();
    try {
      yield* readParquetBatches(connection, file, this.#options);
    } finally {
      connection.closeSync();
    }
  }

  /** Symbols in the files (reads them through, validating every row). */
  async listSymbols(): Promise<string[]> {
    const symbols = new Set<string>();
    for (const file of this.#files) {
      for await (const batch of this.#read(file)) for (const bar of batch.bars) symbols.add(bar.symbol);
    }
    return [...symbols].sort();
  }

  /** Bars of the query in time order, then symbol. A file must be in time order across its symbols. */
  streamBars(query: BarQuery): AsyncIterable<Bar> {
    return streamFiles(this.#files, query, (file) => this.#read(file), parquetError);
  }

  /** Closes the in-memory DuckDB. */
  async close(): Promise<void> {
    const instance = this.#instance;
    this.#instance = undefined;
    if (instance !== undefined) (await instance).closeSync();
  }
}

/** Reads a Parquet file as a stream of validated bars (its own in-memory DuckDB, closed at the end). */
export async function* readParquetBars(file: string, options: ReadBarsOptions = {}): AsyncGenerator<Bar> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for await (const batch of readParquetBatches(connection, file, options)) yield* batch.bars;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
