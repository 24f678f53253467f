import { closeSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DOUBLE, type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, INTEGER } from '@duckdb/node-api';
import { SysError } from '@sys/core';
import type { IsoDate } from '@sys/market-time';
import type { Bar } from './bar.js';
import { type BadRowError, type BarBatch, type ReadBarsOptions, readCsvBatches } from './csv-reader.js';
import { BarConflictError, BarFileError, StoreError } from './errors.js';
import { NyDayIndex } from './ny-day.js';
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
  /**
   * Why the file was refused, when it was (only `importPath` on a directory reports this instead of
   * throwing, so that every file is tried); nothing of a refused file is stored.
   */
  readonly error?: SysError;
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
  /**
   * Open the store read-only (DuckDB's READ_ONLY access mode): a store file without write permission can be
   * read, and nothing is written. Imports fail. Default false.
   */
  readOnly?: boolean;
  /**
   * Create the store (and its directories) when there is no file at the path. Default true; commands that
   * only read pass false, so a mistyped path says "no store at PATH" instead of making an empty store.
   */
  create?: boolean;
}

/** Error codes of a file's own problems: importing a directory reports them per file and goes on. */
const FILE_REFUSALS = new Set(['CSV_FORMAT', 'PARQUET_FORMAT', 'BAR_INVALID', 'BAR_CONFLICT', 'BAR_FILE']);

/** What a DuckDB database file starts with: 8 bytes of checksum, then this. */
const DUCKDB_MAGIC = 'DUCK';

/** Reads the head of an existing file to tell a DuckDB database from anything else (CSV, Parquet …). */
function looksLikeDuckDb(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    const n = readSync(fd, head, 0, 12, 0);
    return n === 12 && head.toString('latin1', 8, 12) === DUCKDB_MAGIC;
  } finally {
    closeSync(fd);
  }
}

const SCHEMA_VERSION = '1';
const MERGE_ROWS = 1_000_000;
const WINDOW_ROWS = 500_000;
const CHUNK_ROWS = 2048;
/** DuckDB's memory limit while a Parquet export sorts (the rest spills to a temp directory). */
const EXPORT_MEMORY = '160MB';
const STAGE_TYPES = [DOUBLE, INTEGER, INTEGER, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE];

/** `<cwd>/data/sys.duckdb`: where the store lives unless told otherwise. */
export function defaultStorePath(cwd: string = process.cwd()): string {
  return join(cwd, 'data', 'sys.duckdb');
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** `AND day …` for optional inclusive New York dates (already checked as dates by the caller). */
function dayRange(startDate: IsoDate | undefined, endDate: IsoDate | undefined): string {
  return (
    (startDate === undefined ? '' : ` AND day >= CAST(${sqlString(startDate)} AS DATE)`) +
    (endDate === undefined ? '' : ` AND day <= CAST(${sqlString(endDate)} AS DATE)`)
  );
}

function isParquet(file: string): boolean {
  return /\.parquet$/i.test(file);
}

/**
 * The import's first error with the failures of its clean-up added: a SysError keeps its class and code
 * (its message gains the note); any other error (DuckDB's own, e.g. a full disk) becomes a StoreError naming
 * the store and the file, with the original as its cause.
 */
function withCleanup(store: string, file: string, error: unknown, cleanup: readonly string[]): unknown {
  const note = cleanup.length === 0 ? '' : `; ${cleanup.join('; ')}`;
  if (error instanceof SysError) {
    if (note !== '') error.message += note;
    return error;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(store, `importing ${file} failed: ${message}${note}; nothing of it was stored`, {
    cause: error,
  });
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
  readonly #readOnly: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #staging = false;

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
    this.#readOnly = options.readOnly === true;
  }

  /** True when the store was opened read-only. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /**
   * Opens the store at `path` (default `<cwd>/data/sys.duckdb`), creating it when there is no file there
   * (unless `create: false`). A file that is not a DuckDB database (a CSV, a Parquet file) or a DuckDB
   * database of another program is refused with StoreError and left exactly as it was.
   */
  static async open(path: string = defaultStorePath(), options: BarStoreOptions = {}): Promise<BarStore> {
    const file = path === ':memory:' ? path : resolve(path);
    const readOnly = options.readOnly === true;
    if (file !== ':memory:') {
      let exists = true;
      try {
        const stat = statSync(file);
        if (!stat.isFile())
          throw new StoreError(file, 'is not a file; name a store file such as ./data/sys.duckdb');
        if (stat.size === 0)
          throw new StoreError(file, 'is an empty file, not a sys bar store; nothing was changed');
        if (!looksLikeDuckDb(file)) {
          throw new StoreError(
            file,
            'is not a sys bar store (not a DuckDB database: a CSV or Parquet file is imported with ' +
              '`sys data import FILE`, not opened as --db); nothing was changed',
          );
        }
      } catch (error) {
        if (error instanceof StoreError) throw error;
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new StoreError(file, `cannot read (${(error as Error).message})`, { cause: error });
        }
        exists = false;
      }
      if (!exists && (options.create === false || readOnly)) {
        throw new StoreError(file, 'no store at this path; `sys data import FILE --db PATH` creates one');
      }
    }
    let instance: DuckDBInstance;
    try {
      if (file !== ':memory:' && !readOnly) mkdirSync(dirname(file), { recursive: true });
      const config: Record<string, string> = {};
      if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
      if (readOnly) config.access_mode = 'READ_ONLY';
      instance = await DuckDBInstance.create(file, config);
    } catch (cause) {
      throw new StoreError(file, `cannot open (${(cause as Error).message}); is another process using it?`, {
        cause,
      });
    }
    const connection = await instance.connect();
    try {
      const tables = new Set(
        (
          await connection.runAndReadAll(
            `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`,
          )
        )
          .getRows()
          .map((r) => String(r[0])),
      );
      if (!tables.has('store_info')) {
        if (tables.size > 0 || readOnly) {
          const held = tables.size === 0 ? 'no tables' : `tables ${[...tables].sort().join(', ')}`;
          throw new StoreError(
            file,
            `is a DuckDB database but not a sys bar store (it holds ${held}); nothing was changed`,
          );
        }
        await connection.run(`
          CREATE TABLE store_info (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
          INSERT INTO store_info VALUES ('schema', '${SCHEMA_VERSION}');
          CREATE TABLE bars (
            symbol VARCHAR NOT NULL,
            day DATE NOT NULL,
            start_ms BIGINT NOT NULL,
            open DOUBLE NOT NULL,
            high DOUBLE NOT NULL,
            low DOUBLE NOT NULL,
            close DOUBLE NOT NULL,
            volume BIGINT NOT NULL
          );
        `);
      }
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
    if (this.#readOnly)
      throw new StoreError(this.path, 'is open read-only; open it without readOnly to import');
    return this.#exclusive(() => this.#import(file, options));
  }

  /**
   * Imports a file, or every .csv and .parquet file of a directory (by name), each file in its own
   * transaction. A single file that is refused throws. In a directory every file is tried: a file refused
   * for its own content (a format error, a bad bar, a conflict, an unreadable file) is reported with its
   * `error` and nothing of it stored; any other failure (a cancel, the disk) stops the import and throws.
   */
  async importPath(fileOrDir: string, options: ImportOptions = {}): Promise<ImportReport[]> {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(fileOrDir).isDirectory();
    } catch (cause) {
      throw BarFileError.from(fileOrDir, cause);
    }
    if (!isDirectory) return [await this.importFile(fileOrDir, options)];
    const files = readdirSync(fileOrDir)
      .filter((name) => /\.(?:csv|parquet)$/i.test(name))
      .sort()
      .map((name) => join(fileOrDir, name));
    const reports: ImportReport[] = [];
    for (const file of files) {
      try {
        reports.push(await this.importFile(file, options));
      } catch (error) {
        if (!(error instanceof SysError) || !FILE_REFUSALS.has(error.code)) throw error;
        reports.push({ file, rowsRead: 0, inserted: 0, unchanged: 0, replaced: 0, skipped: [], error });
      }
    }
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

    if (!this.#staging) {
      // Made on the first import, not at open: a read-only store (or one only read) needs no stage.
      await c.run(`
        CREATE TEMP TABLE IF NOT EXISTS stage (line DOUBLE, sym INTEGER, day INTEGER, start_ms DOUBLE,
          open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE);
        CREATE TEMP TABLE IF NOT EXISTS stage_symbols (sym INTEGER, symbol VARCHAR);`);
      this.#staging = true;
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
      // The first error is the one to report: a failing clean-up (a full disk often fails the ROLLBACK
      // too) is added to it, never put in its place.
      const cleanup: string[] = [];
      if (appenderOpen) {
        try {
          appender.clear();
          appender.closeSync();
        } catch (e) {
          cleanup.push(`closing the stage also failed: ${(e as Error).message}`);
        }
      }
      try {
        await c.run('ROLLBACK');
      } catch (e) {
        cleanup.push(`the rollback also failed: ${(e as Error).message}`);
      }
      throw withCleanup(this.path, file, error, cleanup);
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

  /**
   * Writes the bars of a query to `file` in (time, symbol) order: Parquet through DuckDB's COPY (timestamp
   * as TIMESTAMP WITH TIME ZONE, symbol, open…close as DOUBLE, volume as BIGINT), CSV through the CSV writer
   * (shortest exact numbers). Streamed, never whole in memory; the file appears whole or not at all (it is
   * written beside `file`, then renamed). Returns the bars written.
   */
  async exportBars(file: string, query: BarQuery, format: 'csv' | 'parquet'): Promise<number> {
    this.#assertOpen();
    resolveQuery(query);
    const target = resolve(file);
    const temp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      let n: number;
      if (format === 'csv') {
        const { writeCsvBars } = await import('./csv-writer.js');
        n = await writeCsvBars(temp, this.streamBars(query));
      } else {
        const symbolFilter =
          query.symbols.length === 0 ? '' : `AND symbol IN (${query.symbols.map(sqlString).join(', ')})`;
        const c = await this.#instance.connect();
        // The ORDER BY sorts every row: under a memory limit DuckDB spills the sort to disk instead of
        // holding it, so an export of any size stays within a few hundred MB. The limit is the instance's,
        // so it is put back afterwards.
        const before = String(
          (await c.runAndReadAll("SELECT current_setting('memory_limit')")).getRows()[0]?.[0],
        );
        await c.run(`SET memory_limit = '${EXPORT_MEMORY}'`);
        try {
          const result = await c.run(
            `COPY (SELECT to_timestamp(CAST(start_ms / 1000 AS BIGINT)) AS timestamp, symbol, open, high, low,
               close, volume FROM bars
               WHERE day BETWEEN CAST(${sqlString(query.startDate)} AS DATE) AND CAST(${sqlString(query.endDate)} AS DATE)
               ${symbolFilter} ORDER BY start_ms, symbol)
             TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`,
          );
          n = asNumber(result.rowsChanged);
        } finally {
          await c.run(`SET memory_limit = ${sqlString(before)}`).catch(() => undefined);
          c.closeSync();
        }
      }
      renameSync(temp, target);
      return n;
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }

  /** Bars of `symbol` stored between the dates (inclusive; all dates when absent). */
  async countBars(symbol: string, startDate?: IsoDate, endDate?: IsoDate): Promise<number> {
    this.#assertOpen();
    return this.#exclusive(async () => {
      const rows = (
        await this.#connection.runAndReadAll(
          `SELECT count(*) FROM bars WHERE symbol = $1 ${dayRange(startDate, endDate)}`,
          [symbol],
        )
      ).getRows();
      return asNumber(rows[0]?.[0]);
    });
  }

  /** Deletes the bars of `symbol` between the dates (inclusive; all when absent); returns how many. */
  async deleteBars(symbol: string, startDate?: IsoDate, endDate?: IsoDate): Promise<number> {
    this.#assertOpen();
    if (this.#readOnly)
      throw new StoreError(this.path, 'is open read-only; open it without readOnly to delete');
    return this.#exclusive(async () => {
      const result = await this.#connection.run(
        `DELETE FROM bars WHERE symbol = $1 ${dayRange(startDate, endDate)}`,
        [symbol],
      );
      return asNumber(result.rowsChanged);
    });
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
