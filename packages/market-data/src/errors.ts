import { SysError } from '@sys/core';
/**
 * A CSV file that cannot be read as bars: missing columns, a malformed number or timestamp, a naive
 * timestamp without a zone, an empty file, a truncated last line. `line` is 1-based (the header is line 1).
 */
export class CsvFormatError extends SysError {
  /** The file as it was given. */
  readonly file: string;
  /** 1-based line number (the header is line 1). */
  readonly line: number;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(file: string, line: number, reason: string) {
    super('CSV_FORMAT', `${file}:${line}: ${reason}`);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** A bar file that cannot be opened or read at all (missing, a directory, unreadable); names the path. */
export class BarFileError extends SysError {
  /** The path as given. */
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('BAR_FILE', `${file}: ${reason}`, options);
    this.file = file;
  }

  /** The error of a failed open or read (ENOENT, EISDIR, EACCES …) as a BarFileError naming `file`. */
  static from(file: string, cause: unknown): BarFileError {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason =
      code === 'EISDIR'
        ? 'is a directory, not a bar file; name the files in it (or `sys data import DIR` imports every .csv and .parquet file of it)'
        : code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : `cannot read (${(cause as Error).message})`;
    return new BarFileError(file, reason, { cause });
  }
}

/** A Parquet file that cannot be read as bars (missing column, unsupported column type, bad value). */
export class ParquetFormatError extends SysError {
  /** The file as it was given. */
  readonly file: string;
  /** 1-based row number, or 0 for a problem with the file's schema. */
  readonly row: number;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(file: string, row: number, reason: string) {
    super('PARQUET_FORMAT', `${file}${row > 0 ? `:row ${row}` : ''}: ${reason}`);
    this.file = file;
    this.row = row;
    this.reason = reason;
  }
}

/** A time zone name the runtime does not know (IANA names such as `America/New_York` are expected). */
export class UnknownZoneError extends SysError {
  /** The zone as given. */
  readonly zone: string;

  constructor(zone: string) {
    super(
      'ZONE_UNKNOWN',
      `unknown time zone ${JSON.stringify(zone)}; name an IANA zone such as "America/New_York" or "UTC"`,
    );
    this.zone = zone;
  }
}

/** An imported bar that differs from the bar already stored for the same symbol and minute. */
export class BarConflictError extends SysError {
  /** Where the incoming bar came from (file:line). */
  readonly where: string;
  /** Symbol of the conflicting bar. */
  readonly symbol: string;
  /** Start of the conflicting bar, epoch ms. */
  readonly startMs: number;
  /** How many incoming bars of this batch conflict. */
  readonly conflicts: number;

  constructor(where: string, symbol: string, startMs: number, conflicts: number, detail: string) {
    super(
      'BAR_CONFLICT',
      `${where}: ${symbol}@${new Date(startMs).toISOString()} differs from the stored bar (${detail})` +
        `${conflicts > 1 ? ` and ${conflicts - 1} more bars conflict` : ''}; nothing from this file was ` +
        'imported — pass replace to overwrite the stored bars',
    );
    this.where = where;
    this.symbol = symbol;
    this.startMs = startMs;
    this.conflicts = conflicts;
  }
}

/** A malformed bar query (dates out of order, an invalid date). */
export class BarQueryError extends SysError {
  constructor(reason: string) {
    super('BAR_QUERY', reason);
  }
}

/** The store could not be opened or used (locked by another process, not a sys store, unreadable path). */
export class StoreError extends SysError {
  /** The store file. */
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('STORE', `bar store ${path}: ${reason}`, options);
    this.path = path;
  }
}

/** A bundled sample that does not exist. */
export class SampleNotFoundError extends SysError {
  /** The name asked for. */
  readonly sample: string;

  constructor(sample: string, available: readonly string[]) {
    super(
      'SAMPLE_MISSING',
      `no bundled sample ${JSON.stringify(sample)}; available: ${available.join(', ') || '(none)'}`,
    );
    this.sample = sample;
  }
}

/** Options of the synthetic generator that cannot work (a gap rate outside [0, 1), no symbols, reversed dates). */
export class SyntheticOptionsError extends SysError {
  constructor(reason: string) {
    super('SYNTHETIC_OPTIONS', `synthetic bar source: ${reason}`);
  }
}

/**
 * An NDJSON line that cannot be read as a bar (not JSON, not an object, a missing or ill-typed field, a
 * timestamp without a zone). Code `LIVE_INPUT`, the code live feeds have always failed with, so a caller's
 * exit code stays the same.
 */
export class NdjsonBarError extends SysError {
  /** Where the line came from: `name:line`. */
  readonly where: string;
  /** What is wrong, without the location. */
  readonly reason: string;

  constructor(where: string, reason: string) {
    super('LIVE_INPUT', `${where}: ${reason}`);
    this.where = where;
    this.reason = reason;
  }
}

/**
 * A live feed that cannot go on or an item of it that is not a bar: where (`url`, `url#message[i]`) and
 * what. Code `LIVE_FEED`.
 */
export class LiveFeedError extends SysError {
  /** The feed or message it concerns. */
  readonly where: string;

  constructor(where: string, reason: string) {
    super('LIVE_FEED', `${where}: ${reason}`);
    this.where = where;
  }
}
