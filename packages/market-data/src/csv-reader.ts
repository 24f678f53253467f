import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { SysError } from '@sys/core';
import { type Bar, BarSequenceValidator, BarValidationError } from './bar.js';
import { BarFileError, CsvFormatError, type ParquetFormatError } from './errors.js';
import { fastDecimal, NumberFieldError, parseNumberField } from './numbers.js';
import { quoteInput } from './quote.js';
import {
  type BarQuery,
  type BarSource,
  inQuery,
  mergeByTime,
  resolveQuery,
  sortWithinMinute,
} from './source.js';
import { TimestampError, TimestampReader, ZoneResolver } from './timestamp.js';

/** How to read a bar file. */
export interface ReadBarsOptions {
  /** IANA zone of naive timestamps (without Z or offset); without it such timestamps are refused. */
  zone?: string;
  /** Symbol of every row when the file has no `symbol` column (default: from the file name, `AAPL_….csv`). */
  symbol?: string;
}

/** A row that could not become a bar. */
export type BadRowError = CsvFormatError | ParquetFormatError | BarValidationError;

/** Internal reading options: bad rows go to `onBadRow` instead of ending the read. */
export interface BatchReadOptions extends ReadBarsOptions {
  onBadRow?: (line: number, error: BadRowError) => void;
  batchRows?: number;
}

/** Bars read so far, with the line (or row) each came from. */
export interface BarBatch {
  readonly bars: Bar[];
  readonly lines: number[];
  /** Data rows read from the start of the file up to the end of this batch, bad ones included. */
  readonly rowsRead: number;
}

const REQUIRED = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
/**
 * Longest line (or quoted record) read, in characters. A bar row is under a hundred; past this the file is
 * not a bar file (a 50 MB file with no line break), and reading on would only buffer it whole.
 */
export const MAX_LINE_CHARS = 64 * 1024;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const SYMBOL_IN_NAME = /^([A-Z][A-Z0-9.-]*)(?:_|$)/;

interface Layout {
  readonly width: number;
  readonly timestamp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** -1 when the symbol comes from the options or the file name. */
  readonly symbol: number;
}

/** The symbol a file name implies (`AAPL_2025-07-02.csv` → `AAPL`), or undefined. */
export function symbolFromFileName(path: string): string | undefined {
  const stem = basename(path, extname(path));
  return SYMBOL_IN_NAME.exec(stem)?.[1];
}

function readHeader(file: string, line: string): Layout {
  const names = splitRecord(line.replace(/^\uFEFF/, ''), file, 1).map((n) => n.trim().toLowerCase());
  const index = (name: string): number => names.indexOf(name);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new CsvFormatError(file, 1, `column ${quoteInput(n)} appears twice in the header`);
    seen.add(n);
  }
  const missing = REQUIRED.filter((n) => index(n) < 0);
  if (missing.length > 0) {
    throw new CsvFormatError(
      file,
      1,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header must name ` +
        `${REQUIRED.join(',')} (and optionally symbol), found ${quoteInput(line)}`,
    );
  }
  return {
    width: names.length,
    timestamp: index('timestamp'),
    open: index('open'),
    high: index('high'),
    low: index('low'),
    close: index('close'),
    volume: index('volume'),
    symbol: index('symbol'),
  };
}

/**
 * Field `column` of a row whose field bounds are in `bounds` (start, end pairs), without surrounding blanks.
 * Only rows without double quotes come here (quotedRow reads the others), so there are no quotes to strip.
 */
function textAt(row: string, bounds: Int32Array, column: number): string {
  return row.slice(bounds[2 * column], bounds[2 * column + 1]).trim();
}

/** Numeric field `column`: the fast exact path for plain decimals, else the full parser. */
function numberAt(row: string, bounds: Int32Array, column: number, name: string): number {
  const start = bounds[2 * column] ?? 0;
  const end = bounds[2 * column + 1] ?? 0;
  const fast = fastDecimal(row, start, end);
  return !Number.isNaN(fast) ? fast : parseNumberField(row.slice(start, end).trim(), name);
}

/**
 * The fields of one record by RFC 4180: a field in double quotes may hold commas, line breaks and `""` (one
 * quote); blanks around a field are kept for the caller to trim. Throws CsvFormatError on a stray quote.
 */
export function splitRecord(record: string, file: string, line: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let start = i;
    while (start < record.length && (record.charCodeAt(start) === 32 || record.charCodeAt(start) === 9))
      start++;
    if (record.charCodeAt(start) === QUOTE) {
      let value = '';
      let j = start + 1;
      for (;;) {
        const close = record.indexOf('"', j);
        if (close < 0)
          throw new CsvFormatError(file, line, 'a quoted field is not closed (a `"` is missing)');
        value += record.slice(j, close);
        if (record.charCodeAt(close + 1) === QUOTE) {
          value += '"';
          j = close + 2;
        } else {
          j = close + 1;
          break;
        }
      }
      while (j < record.length && (record.charCodeAt(j) === 32 || record.charCodeAt(j) === 9)) j++;
      if (j < record.length && record.charCodeAt(j) !== 44) {
        throw new CsvFormatError(
          file,
          line,
          `text after the closing quote of field ${fields.length + 1}; a quote inside a quoted field is written twice ("")`,
        );
      }
      fields.push(value);
      if (j >= record.length) return fields;
      i = j + 1;
    } else {
      const comma = record.indexOf(',', i);
      const end = comma < 0 ? record.length : comma;
      const value = record.slice(i, end);
      if (value.includes('"')) {
        throw new CsvFormatError(
          file,
          line,
          `a quote inside unquoted field ${fields.length + 1}; quote the whole field and double the quotes inside`,
        );
      }
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

/** True when the double quotes of `text` are balanced, so a quoted field does not go on past its end. */
function quotesClosed(text: string): boolean {
  let open = false;
  for (let at = text.indexOf('"'); at >= 0; at = text.indexOf('"', at + 1)) open = !open;
  return !open;
}

/**
 * The line break of a file, from its first one: LF (CRLF counts as LF, its CR is dropped) or a lone CR (old
 * Mac exports). Undecided (0) while the text seen has no break, or ends in a CR that an LF may follow.
 */
function lineBreakOf(text: string, final: boolean): number {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (cr < 0 || (lf >= 0 && lf <= cr + 1)) return lf >= 0 ? LF : 0;
  if (cr === text.length - 1 && !final) return 0;
  return CR;
}

/**
 * Reads a CSV file as batches of validated bars, streaming (flat memory whatever the file size). The header
 * names the columns; rows must keep each symbol's times strictly increasing. Fatal problems (empty file,
 * missing column, unknown zone) always throw; a bad row throws after the bars before it were yielded,
 * unless `onBadRow` takes it.
 */
export async function* readCsvBatches(
  file: string,
  options: BatchReadOptions = {},
): AsyncGenerator<BarBatch> {
  const zone = options.zone === undefined ? undefined : new ZoneResolver(options.zone);
  const timestamps = new TimestampReader(zone);
  const batchRows = options.batchRows ?? 8192;
  const validator = new BarSequenceValidator();
  let layout: Layout | undefined;
  let fixedSymbol = '';
  let lineNo = 0;
  let rowsRead = 0;
  let bars: Bar[] = [];
  let lines: number[] = [];
  let failure: BadRowError | undefined;
  let bounds = new Int32Array(0);
  const prefix = `${file}:`;

  const bad = (line: number, error: BadRowError): void => {
    if (options.onBadRow === undefined) failure = error;
    else options.onBadRow(line, error);
  };

  // A row with quotes, read by the RFC 4180 splitter (the fast path below only splits on commas).
  const quotedRow = (text: string, line: number, l: Layout): Bar => {
    const fields = splitRecord(text, file, line);
    if (fields.length !== l.width) {
      throw new CsvFormatError(
        file,
        line,
        `expected ${l.width} fields as in the header, found ${fields.length}`,
      );
    }
    const field = (column: number): string => (fields[column] ?? '').trim();
    return {
      symbol: l.symbol < 0 ? fixedSymbol : field(l.symbol),
      startMs: timestamps.read(field(l.timestamp)),
      open: parseNumberField(field(l.open), 'open'),
      high: parseNumberField(field(l.high), 'high'),
      low: parseNumberField(field(l.low), 'low'),
      close: parseNumberField(field(l.close), 'close'),
      volume: parseNumberField(field(l.volume), 'volume'),
    };
  };

  // A row without quotes (nearly all): field bounds in one pass, no split, so a row costs its Bar and one
  // timestamp substring.
  const plainRow = (text: string, line: number, l: Layout): Bar => {
    let count = 0;
    let from = 0;
    for (;;) {
      const comma = text.indexOf(',', from);
      const to = comma < 0 ? text.length : comma;
      if (count < bounds.length / 2) {
        bounds[2 * count] = from;
        bounds[2 * count + 1] = to;
      }
      count++;
      if (comma < 0) break;
      from = comma + 1;
    }
    if (count !== l.width) {
      throw new CsvFormatError(file, line, `expected ${l.width} fields as in the header, found ${count}`);
    }
    return {
      symbol: l.symbol < 0 ? fixedSymbol : textAt(text, bounds, l.symbol),
      startMs: timestamps.read(textAt(text, bounds, l.timestamp)),
      open: numberAt(text, bounds, l.open, 'open'),
      high: numberAt(text, bounds, l.high, 'high'),
      low: numberAt(text, bounds, l.low, 'low'),
      close: numberAt(text, bounds, l.close, 'close'),
      volume: numberAt(text, bounds, l.volume, 'volume'),
    };
  };

  const row = (text: string, line: number): void => {
    if (layout === undefined) {
      layout = readHeader(file, text);
      bounds = new Int32Array(2 * layout.width);
      if (layout.symbol < 0) {
        const symbol = options.symbol ?? symbolFromFileName(file);
        if (symbol === undefined) {
          throw new CsvFormatError(
            file,
            1,
            'no symbol column and no symbol in the file name (like AAPL_2025-07-02.csv); name it ' +
              '(`--symbol AAPL` for `sys data import`, option `symbol` in the API)',
          );
        }
        fixedSymbol = symbol;
      }
      return;
    }
    rowsRead++;
    let bar: Bar;
    try {
      bar = text.indexOf('"') >= 0 ? quotedRow(text, line, layout) : plainRow(text, line, layout);
      validator.checkAt(bar, prefix, line);
    } catch (error) {
      if (error instanceof TimestampError || error instanceof NumberFieldError) {
        bad(line, new CsvFormatError(file, line, error.message));
      } else if (error instanceof CsvFormatError || error instanceof BarValidationError) {
        bad(line, error);
      } else {
        throw error;
      }
      return;
    }
    bars.push(bar);
    lines.push(line);
  };

  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineBreak = 0;
  // A record whose quoted field holds line breaks: its text so far and the line it started on.
  let open: string | undefined;
  let openLine = 0;
  const tooLong = (line: number): CsvFormatError =>
    new CsvFormatError(
      file,
      line,
      `line longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters (a bar row is under 100); ` +
        'is this a CSV file of bars, with line breaks?',
    );
  const record = (text: string): void => {
    lineNo++;
    let full = text;
    let at = lineNo;
    if (open !== undefined) {
      full = `${open}\n${text}`;
      at = openLine;
    } else if (text.length === 0) return;
    if (full.indexOf('"') >= 0 && !quotesClosed(full)) {
      if (full.length > MAX_LINE_CHARS) throw tooLong(at);
      open = full;
      openLine = at;
      return;
    }
    open = undefined;
    row(full, at);
  };
  try {
    try {
      for await (const chunk of stream) {
        const text = rest + decoder.write(chunk as Buffer);
        if (lineBreak === 0) lineBreak = lineBreakOf(text, false);
        let start = 0;
        if (lineBreak !== 0) {
          const sep = lineBreak === LF ? '\n' : '\r';
          for (;;) {
            const nl = text.indexOf(sep, start);
            if (nl < 0) break;
            const end = lineBreak === LF && nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
            record(text.slice(start, end));
            start = nl + 1;
            if (failure !== undefined) break;
          }
        }
        rest = text.slice(start);
        if (rest.length > MAX_LINE_CHARS) throw tooLong(lineNo + 1);
        if (failure !== undefined || bars.length >= batchRows) {
          yield { bars, lines, rowsRead };
          bars = [];
          lines = [];
          if (failure !== undefined) throw failure;
        }
      }
    } catch (error) {
      // The stream's own errors (a directory, a missing or unreadable file) name no path: say which.
      if (!(error instanceof Error) || error instanceof SysError) throw error;
      if (typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
      throw BarFileError.from(file, error);
    }
  } finally {
    stream.destroy();
  }
  rest += decoder.end();
  if (lineBreak === 0) lineBreak = lineBreakOf(rest, true);
  if (lineBreak === CR && rest.length > 0 && failure === undefined) {
    // A lone-CR file: the chunk loop left its last lines (or all of them, in a small file) here.
    const parts = rest.split('\r');
    rest = parts.pop() ?? '';
    for (const part of parts) {
      record(part);
      if (failure !== undefined) break;
    }
  }
  if (failure === undefined && open !== undefined) {
    throw new CsvFormatError(file, openLine, 'a quoted field is not closed before the end of the file');
  }
  if (failure === undefined && rest.length > 0) {
    lineNo++;
    if (layout === undefined) {
      row(rest, lineNo);
    } else {
      rowsRead++;
      bad(
        lineNo,
        new CsvFormatError(
          file,
          lineNo,
          'truncated last line: the file does not end with a newline, so this row may be cut short; ' +
            're-export the file (or, if the row is complete, end the file with a newline)',
        ),
      );
    }
  }
  if (layout === undefined) {
    throw new CsvFormatError(file, 1, 'empty file: expected a header timestamp,open,high,low,close,volume');
  }
  if (rowsRead === 0) throw new CsvFormatError(file, 2, 'no data rows after the header');
  if (bars.length > 0 || failure !== undefined) yield { bars, lines, rowsRead };
  if (failure !== undefined) throw failure;
}

/**
 * Reads a CSV file of one-minute bars as a stream (flat memory). Header-driven:
 * `timestamp,open,high,low,close,volume` plus an optional `symbol` column, else the symbol comes from the
 * options or the file name. Every bar is validated; the first bad row throws CsvFormatError or
 * BarValidationError naming file:line.
 */
export async function* readCsvBars(file: string, options: ReadBarsOptions = {}): AsyncGenerator<Bar> {
  for await (const batch of readCsvBatches(file, options)) yield* batch.bars;
}

/** Makes the located format error of one file type. */
export type FileErrorFactory = (file: string, line: number, reason: string) => Error;

/** One file's bars, refusing time that goes back across symbols (merging by time needs each file in order). */
async function* timeOrdered(
  batches: AsyncIterable<BarBatch>,
  file: string,
  orderError: FileErrorFactory,
): AsyncGenerator<Bar> {
  let lastMs = Number.NEGATIVE_INFINITY;
  for await (const batch of batches) {
    for (let i = 0; i < batch.bars.length; i++) {
      const bar = batch.bars[i];
      if (bar === undefined) continue;
      if (bar.startMs < lastMs) {
        throw orderError(
          file,
          batch.lines[i] ?? 0,
          'rows are not in time order across symbols, which streaming a file as a source needs; sort the ' +
            'file by time, or import it into a BarStore (which does not care)',
        );
      }
      lastMs = bar.startMs;
      yield bar;
    }
  }
}

/** Streams bars of files as a source, merged by time; shared by the CSV and Parquet sources. */
export async function* streamFiles(
  files: readonly string[],
  query: BarQuery,
  read: (file: string) => AsyncIterable<BarBatch>,
  orderError: FileErrorFactory,
): AsyncGenerator<Bar> {
  const q = resolveQuery(query);
  const perFile = files.map((file) =>
    sortWithinMinute(timeOrdered(read(file), file, orderError), () => {
      throw new Error('unreachable: timeOrdered refuses time going backwards');
    }),
  );
  async function* filtered(bars: AsyncIterable<Bar>): AsyncGenerator<Bar> {
    for await (const bar of bars) {
      if (bar.startMs >= q.toMs) return;
      if (inQuery(bar, q)) yield bar;
    }
  }
  yield* mergeByTime(perFile.map(filtered));
}

const csvError: FileErrorFactory = (file, line, reason) => new CsvFormatError(file, line, reason);

/** CSV files as a bar source: each file streamed in time order, several files merged by time. */
export class CsvBarSource implements BarSource {
  readonly #files: readonly string[];
  readonly #options: ReadBarsOptions;

  constructor(paths: string | string[], options: ReadBarsOptions = {}) {
    this.#files = typeof paths === 'string' ? [paths] : [...paths];
    this.#options = { ...options };
    if (options.zone !== undefined) new ZoneResolver(options.zone);
  }

  /** Symbols in the files (reads them through, validating every row). */
  async listSymbols(): Promise<string[]> {
    const symbols = new Set<string>();
    for (const file of this.#files) {
      for await (const batch of readCsvBatches(file, this.#options)) {
        for (const bar of batch.bars) symbols.add(bar.symbol);
      }
    }
    return [...symbols].sort();
  }

  /** Bars of the query in time order, then symbol. A file must be in time order across its symbols. */
  streamBars(query: BarQuery): AsyncIterable<Bar> {
    return streamFiles(this.#files, query, (file) => readCsvBatches(file, this.#options), csvError);
  }

  /** Nothing to release: files are opened per stream. */
  async close(): Promise<void> {}
}
