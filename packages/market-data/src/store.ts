import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DOUBLE, type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, INTEGER } from '@duckdb/node-api';
import { addDays, type IsoDate, nyDateOf, nyMidnightMs } from '@sys/market-time';
import type { Bar } from './bar.js';
import { type BadRowError, type BarBatch, type ReadBarsOptions, readCsvBatches } from './csv-reader.js';
import { BarConflictError, StoreError } from './errors.js';
import { readParquetBatches } from './parquet-reader.js';
import { type BarQuery, type BarSource, resolveQuery } from './source.js';

/** Options of an import. */
export interface ImportOptions extends ReadBarsOptions {
  /** Import the good rows and report the bad ones (default: any bad row and the file imports nothing). */
  skipBad?: boolean;
  /** Overwrite stored bars that differ from the file's (default: such a conflict fails the file). */
  replace?: boolean;
  /** Called as the file is read with the number of data rows read so far. */
  onProgress?: (rows: number) => void;
}

/** What importing one file did. */
export interface ImportReport {
  readonly file: string;
  /** Data rows in the file, bad ones included. */
  readonly rowsRead: number;
  /** New bars stored. */
  readonly inserted: number;
  /** Bars already stored with exactly these values (a re-import). */
  readonly unchanged: number;
  /** Stored bars overwritten (only with `replace`). */
  readonly replaced: number;
  /** Rows left out (only with `skipBad`), with why. */
  readonly skipped: { line: number; reason: string }[];
}

/** Stored bars of one symbol. */
export interface CoverageRow {
  readonly symbol: string;
  /** First New York trading date with a bar. */
  readonly firstDay: IsoDate;
  readonly lastDay: IsoDate;
  /** Distinct dates with at least one bar. */
  readonly days: number;
  readonly bars: number;
}

/** Tuning of a store; the defaults suit imports of any size. */
export interface BarStoreOptions {
  /** Rows staged before they are merged into the bars table, inside the file's one transaction. */
  mergeRows?: number;
  /** Rows one streaming query sorts at most; longer ranges are read as several windows of whole days. */
  queryWindowRows?: number;
  /**
   * DuckDB's memory limit, e.g. `'1GB'` (default: DuckDB's own, 80% of RAM). DuckDB keeps the pages of a
   * large import cached up to this limit, so it is what bounds the store's share of RSS.
   */
  memoryLimit?: string;
}

const SCHEMA_VERSION = '1';
const DAY_MS = 86_400_000;
const MERGE_ROWS = 1_000_000;
const WINDOW_ROWS = 500_000;
const CHUNK_ROWS = 2048;
const STAGE_TYPES = [DOUBLE, INTEGER, INTEGER, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE];

/** `<cwd>/data/sys.duckdb`: where the store lives unless told otherwise. */
export function defaultStorePath(cwd: string = process.cwd()): string {
  return join(cwd, 'data', 'sys.duckdb');
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function dayNumber(date: IsoDate): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
}

/** New York date of an instant as a day number, remembering the current day's bounds so most bars cost a compare. */
class NyDayIndex {
  #fromMs = Number.POSITIVE_INFINITY;
  #toMs = Number.NEGATIVE_INFINITY;
  #day = 0;

  dayOf(ms: number): number {
    if (ms >= this.#fromMs && ms < this.#toMs) return this.#day;
    const date = nyDateOf(ms);
    this.#fromMs = nyMidnightMs(date);
    this.#toMs = nyMidnightMs(addDays(date, 1));
    this.#day = dayNumber(date);
    return this.#day;
  }
}

function isParquet(file: string): boolean {
  return /\.parquet$/i.test(file);
}

/** DuckDB counts and BIGINTs arrive as bigint; everything this store reads back fits a double. */
function asNumber(value: unknown): number {
  return Number(value);
}

/**
 * The embedded bar store: one DuckDB file. Imports run in one transaction per file, so a file is stored
 * whole or not at all (a killed import leaves the store as it was). Bars are checked by the one bar
 * validation on the way in, and queries stream. One writer at a time: DuckDB locks the file.
 */
export class BarStore implements BarSource {
  /** The store file (`:memory:` for a store that is never written to disk). */
  readonly path: string;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #mergeRows: number;
  readonly #windowRows: number;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    path: string,
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    options: BarStoreOptions,
  ) {
    this.path = path;
    this.#instance = instance;
    this.#connection = connection;
    this.#mergeRows = Math.max(1, options.mergeRows ?? MERGE_ROWS);
    this.#windowRows = Math.max(1, options.queryWindowRows ?? WINDOW_ROWS);
  }

  /** Opens (creating if needed) the store at `path`, default `<cwd>/data/sys.duckdb`. */
  static async open(path: string = defaultStorePath(), options: BarStoreOptions = {}): Promise<BarStore> {
    const file = path === ':memory:' ? path : resolve(path);
    let instance: DuckDBInstance;
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      instance = await DuckDBInstance.create(
        file,
        options.memoryLimit === undefined ? undefined : { memory_limit: options.memoryLimit },
      );
    } catch (cause) {
      throw new StoreError(file, `cannot open (${(cause as Error).message}); is another process using it?`, {
        cause,
      });
    }
    const connection = await instance.connect();
    try {
      await connection.run(`
        CREATE TABLE IF NOT EXISTS store_info (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
        INSERT OR IGNORE INTO store_info VALUES ('schema', '${SCHEMA_VERSION}');
        CREATE TABLE IF NOT EXISTS bars (
          symbol VARCHAR NOT NULL,
          day DATE NOT NULL,
          start_ms BIGINT NOT NULL,
          open DOUBLE NOT NULL,
          high DOUBLE NOT NULL,
          low DOUBLE NOT NULL,
          close DOUBLE NOT NULL,
          volume BIGINT NOT NULL
        );
        CREATE TEMP TABLE stage (line DOUBLE, sym INTEGER, day INTEGER, start_ms DOUBLE,
          open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE);
        CREATE TEMP TABLE stage_symbols (sym INTEGER, symbol VARCHAR);
      `);
      const schema = (
        await connection.runAndReadAll(`SELECT value FROM store_info WHERE key = 'schema'`)
      ).getRows();
      const version = schema[0]?.[0];
      if (version !== SCHEMA_VERSION) {
        throw new StoreError(
          file,
          `has schema version ${String(version)}, this code reads ${SCHEMA_VERSION}`,
        );
      }
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      if (error instanceof StoreError) throw error;
      throw new StoreError(file, `is not a sys bar store (${(error as Error).message})`, { cause: error });
    }
    return new BarStore(file, instance, connection, options);
  }

  /** Runs `task` after every earlier write: the one connection does one import at a time. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError(this.path, 'is closed');
  }

  /**
   * Imports one CSV or Parquet file in one transaction. A bad row fails the whole file (nothing stored)
   * unless `skipBad`; a bar that differs from the stored one for the same symbol and minute fails it unless
   * `replace`; bars already stored with the same values count as unchanged, so re-importing is harmless.
   */
  importFile(file: string, options: ImportOptions = {}): Promise<ImportReport> {
    this.#assertOpen();
    return this.#exclusive(() => this.#import(file, options));
  }

  /** Imports a file, or every .csv and .parquet file of a directory (by name), each file in its own transaction. */
  async importPath(fileOrDir: string, options: ImportOptions = {}): Promise<ImportReport[]> {
    const files = statSync(fileOrDir).isDirectory()
      ? readdirSync(fileOrDir)
          .filter((name) => /\.(?:csv|parquet)$/i.test(name))
          .sort()
          .map((name) => join(fileOrDir, name))
      : [fileOrDir];
    const reports: ImportReport[] = [];
    for (const file of files) reports.push(await this.importFile(file, options));
    return reports;
  }

  async #import(file: string, options: ImportOptions): Promise<ImportReport> {
    const c = this.#connection;
    const skipped: { line: number; reason: string }[] = [];
    const onBadRow = options.skipBad
      ? (line: number, error: BadRowError) => {
          skipped.push({ line, reason: error.reason });
        }
      : undefined;
    const readOptions = { zone: options.zone, symbol: options.symbol, onBadRow };
    let reader: DuckDBConnection | undefined;
    let batches: AsyncIterable<BarBatch>;
    if (isParquet(file)) {
      reader = await this.#instance.connect();
      batches = readParquetBatches(reader, file, readOptions);
    } else {
      batches = readCsvBatches(file, readOptions);
    }

    await c.run('DELETE FROM temp.stage; DELETE FROM temp.stage_symbols;');
    const appender = await c.createAppender('stage', 'main', 'temp');
    const symbolIds = new Map<string, number>();
    const days = new NyDayIndex();
    const chunk = DuckDBDataChunk.create(STAGE_TYPES, CHUNK_ROWS);
    const counts = { inserted: 0, replaced: 0, staged: 0 };
    let pending = 0;
    let appenderOpen = true;

    const appendRows = (
      bars: readonly Bar[],
      lines: readonly number[],
      from: number,
      count: number,
    ): void => {
      chunk.rowCount = count;
      const v = Array.from({ length: STAGE_TYPES.length }, (_, i) => chunk.getColumnVector(i));
      const [vLine, vSym, vDay, vStart, vOpen, vHigh, vLow, vClose, vVolume] = v;
      if (!vLine || !vSym || !vDay || !vStart || !vOpen || !vHigh || !vLow || !vClose || !vVolume) {
        throw new Error('stage chunk has fewer columns than its types');
      }
      for (let i = 0; i < count; i++) {
        const bar = bars[from + i];
        if (bar === undefined) continue;
        let sym = symbolIds.get(bar.symbol);
        if (sym === undefined) {
          sym = symbolIds.size;
          symbolIds.set(bar.symbol, sym);
        }
        vLine.setItem(i, lines[from + i] ?? 0);
        vSym.setItem(i, sym);
        vDay.setItem(i, days.dayOf(bar.startMs));
        vStart.setItem(i, bar.startMs);
        vOpen.setItem(i, bar.open);
        vHigh.setItem(i, bar.high);
        vLow.setItem(i, bar.low);
        vClose.setItem(i, bar.close);
        vVolume.setItem(i, bar.volume);
      }
      for (const vector of v) vector.flush();
      appender.appendDataChunk(chunk);
    };

    const merge = async (): Promise<void> => {
      if (pending === 0) return;
      appender.flushSync();
      await this.#mergeStage(c, file, symbolIds, options.replace === true, counts);
      counts.staged += pending;
      pending = 0;
    };

    await c.run('BEGIN TRANSACTION');
    try {
      for await (const batch of batches) {
        for (let from = 0; from < batch.bars.length; from += CHUNK_ROWS) {
          appendRows(batch.bars, batch.lines, from, Math.min(CHUNK_ROWS, batch.bars.length - from));
        }
        pending += batch.bars.length;
        if (pending >= this.#mergeRows) await merge();
        options.onProgress?.(batch.rowsRead);
      }
      await merge();
      appender.closeSync();
      appenderOpen = false;
      await c.run('COMMIT');
    } catch (error) {
      if (appenderOpen) {
        appender.clear();
        appender.closeSync();
      }
      await c.run('ROLLBACK');
      throw error;
    } finally {
      reader?.closeSync();
    }
    return {
      file,
      // Every row was either staged or skipped (any other outcome threw).
      rowsRead: counts.staged + skipped.length,
      inserted: counts.inserted,
      unchanged: counts.staged - counts.inserted - counts.replaced,
      replaced: counts.replaced,
      skipped,
    };
  }

  /** Moves the staged rows into `bars`: conflicts first, then replacements, then new bars. */
  async #mergeStage(
    c: DuckDBConnection,
    file: string,
    symbolIds: ReadonlyMap<string, number>,
    replace: boolean,
    counts: { inserted: number; replaced: number },
  ): Promise<void> {
    await c.run('DELETE FROM temp.stage_symbols');
    const values = [...symbolIds].map(([symbol, id]) => `(${id}, ${sqlString(symbol)})`).join(', ');
    await c.run(`INSERT INTO temp.stage_symbols VALUES ${values}`);
    const staged = `(SELECT y.symbol, CAST(s.start_ms AS BIGINT) AS start_ms, s.line, s.day, s.open, s.high, s.low,
        s.close, CAST(s.volume AS BIGINT) AS volume FROM temp.stage s JOIN temp.stage_symbols y ON y.sym = s.sym)`;
    const differs = `(b.open <> s.open OR b.high <> s.high OR b.low <> s.low OR b.close <> s.close
        OR b.volume <> s.volume)`;
    if (replace) {
      const updated = await c.run(`
        UPDATE bars b SET open = s.open, high = s.high, low = s.low, close = s.close, volume = s.volume
        FROM ${staged} s WHERE b.symbol = s.symbol AND b.start_ms = s.start_ms AND ${differs}`);
      counts.replaced += updated.rowsChanged;
    } else {
      const conflict = (
        await c.runAndReadAll(`
        SELECT s.line, s.symbol, s.start_ms, b.open, b.high, b.low, b.close, b.volume,
          s.open, s.high, s.low, s.close, s.volume, count(*) OVER () AS n
        FROM ${staged} s JOIN bars b ON b.symbol = s.symbol AND b.start_ms = s.start_ms
        WHERE ${differs} ORDER BY s.line LIMIT 1`)
      ).getRows()[0];
      if (conflict !== undefined) {
        const [line, , startMs, ...rest] = conflict.map(asNumber);
        const stored = rest.slice(0, 5).join('/');
        const incoming = rest.slice(5, 10).join('/');
        throw new BarConflictError(
          `${file}:${line}`,
          String(conflict[1]),
          startMs ?? 0,
          rest[10] ?? 1,
          `stored o/h/l/c/v ${stored}, file ${incoming}`,
        );
      }
    }
    const inserted = await c.run(`
      INSERT INTO bars
      SELECT s.symbol, DATE '1970-01-01' + s.day, s.start_ms, s.open, s.high, s.low, s.close, s.volume
      FROM ${staged} s
      WHERE NOT EXISTS (SELECT 1 FROM bars b WHERE b.symbol = s.symbol AND b.start_ms = s.start_ms)
      ORDER BY s.start_ms, s.symbol`);
    counts.inserted += inserted.rowsChanged;
    await c.run('DELETE FROM temp.stage');
  }

  /** Symbols with at least one stored bar, sorted. */
  async listSymbols(): Promise<string[]> {
    this.#assertOpen();
    return this.#exclusive(async () => {
      const rows = (
        await this.#connection.runAndReadAll('SELECT DISTINCT symbol FROM bars ORDER BY symbol')
      ).getRows();
      return rows.map((r) => String(r[0]));
    });
  }

  /** Per symbol: first and last New York date with bars, how many dates, how many bars. */
  async coverage(): Promise<CoverageRow[]> {
    this.#assertOpen();
    return this.#exclusive(async () => {
      const rows = (
        await this.#connection.runAndReadAll(`
        SELECT symbol, CAST(min(day) AS VARCHAR), CAST(max(day) AS VARCHAR), count(DISTINCT day), count(*)
        FROM bars GROUP BY symbol ORDER BY symbol`)
      ).getRows();
      return rows.map((r) => ({
        symbol: String(r[0]),
        firstDay: String(r[1]) as IsoDate,
        lastDay: String(r[2]) as IsoDate,
        days: asNumber(r[3]),
        bars: asNumber(r[4]),
      }));
    });
  }

  /**
   * Bars of the query in time order, then symbol, streamed on a connection of its own. Long ranges are read
   * in windows of whole days so that the sort DuckDB does for the order stays small.
   */
  async *streamBars(query: BarQuery): AsyncGenerator<Bar> {
    this.#assertOpen();
    resolveQuery(query);
    const symbolFilter =
      query.symbols.length === 0 ? '' : `AND symbol IN (${query.symbols.map(sqlString).join(', ')})`;
    const c = await this.#instance.connect();
    try {
      const perDay = (
        await c.runAndReadAll(
          `SELECT CAST(day AS VARCHAR), count(*) FROM bars
           WHERE day BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE) ${symbolFilter} GROUP BY day ORDER BY day`,
          [query.startDate, query.endDate],
        )
      ).getRows();
      let i = 0;
      while (i < perDay.length) {
        const first = String(perDay[i]?.[0]);
        let rows = 0;
        let last = first;
        while (i < perDay.length && (rows === 0 || rows + asNumber(perDay[i]?.[1]) <= this.#windowRows)) {
          rows += asNumber(perDay[i]?.[1]);
          last = String(perDay[i]?.[0]);
          i++;
        }
        const result = await c.stream(
          `SELECT symbol, CAST(start_ms AS DOUBLE), open, high, low, close, CAST(volume AS DOUBLE) FROM bars
           WHERE day BETWEEN CAST($1 AS DATE) AND CAST($2 AS DATE) ${symbolFilter} ORDER BY start_ms, symbol`,
          [first, last],
        );
        for (;;) {
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          const n = chunk.rowCount;
          const cols = Array.from({ length: 7 }, (_, k) => chunk.getColumnVector(k));
          const [vSymbol, vStart, vOpen, vHigh, vLow, vClose, vVolume] = cols;
          if (!vSymbol || !vStart || !vOpen || !vHigh || !vLow || !vClose || !vVolume) break;
          for (let r = 0; r < n; r++) {
            yield {
              symbol: vSymbol.getItem(r) as string,
              startMs: vStart.getItem(r) as number,
              open: vOpen.getItem(r) as number,
              high: vHigh.getItem(r) as number,
              low: vLow.getItem(r) as number,
              close: vClose.getItem(r) as number,
              volume: vVolume.getItem(r) as number,
            };
          }
        }
      }
    } finally {
      c.closeSync();
    }
  }

  /** Closes the store; later calls fail. Waits for a running import. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}
