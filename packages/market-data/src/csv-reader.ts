import { createReadStream } from 'node:fs';
import { basename, extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { type Bar, BarSequenceValidator, BarValidationError } from './bar.js';
import { CsvFormatError, type ParquetFormatError } from './errors.js';
import { fastDecimal, NumberFieldError, parseNumberField } from './numbers.js';
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
  const names = line
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((n) =>
      n
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase(),
    );
  const index = (name: string): number => names.indexOf(name);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new CsvFormatError(file, 1, `column ${JSON.stringify(n)} appears twice in the header`);
    seen.add(n);
  }
  const missing = REQUIRED.filter((n) => index(n) < 0);
  if (missing.length > 0) {
    throw new CsvFormatError(
      file,
      1,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header must name ` +
        `${REQUIRED.join(',')} (and optionally symbol), found ${JSON.stringify(line)}`,
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

/** Field `column` of a row whose field bounds are in `bounds` (start, end pairs). */
function textAt(row: string, bounds: Int32Array, column: number): string {
  return unquote(row.slice(bounds[2 * column], bounds[2 * column + 1]));
}

/** Numeric field `column`: the fast exact path for plain decimals, else the full parser. */
function numberAt(row: string, bounds: Int32Array, column: number, name: string): number {
  const start = bounds[2 * column] ?? 0;
  const end = bounds[2 * column + 1] ?? 0;
  const fast = fastDecimal(row, start, end);
  return !Number.isNaN(fast) ? fast : parseNumberField(unquote(row.slice(start, end)), name);
}

/** A field without surrounding blanks or double quotes. */
function unquote(raw: string): string {
  const text = raw.trim();
  return text.length > 1 && text.charCodeAt(0) === 34 && text.charCodeAt(text.length - 1) === 34
    ? text.slice(1, -1).trim()
    : text;
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
            'no symbol column and no symbol in the file name (like AAPL_2025-07-02.csv); pass the symbol option',
          );
        }
        fixedSymbol = symbol;
      }
      return;
    }
    rowsRead++;
    let bar: Bar;
    try {
      // Field bounds in one pass, no split: a row costs its Bar and one timestamp substring.
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
      if (count !== layout.width) {
        throw new CsvFormatError(
          file,
          line,
          `expected ${layout.width} fields as in the header, found ${count}`,
        );
      }
      bar = {
        symbol: layout.symbol < 0 ? fixedSymbol : textAt(text, bounds, layout.symbol),
        startMs: timestamps.read(textAt(text, bounds, layout.timestamp)),
        open: numberAt(text, bounds, layout.open, 'open'),
        high: numberAt(text, bounds, layout.high, 'high'),
        low: numberAt(text, bounds, layout.low, 'low'),
        close: numberAt(text, bounds, layout.close, 'close'),
        volume: numberAt(text, bounds, layout.volume, 'volume'),
      };
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
  try {
    for await (const chunk of stream) {
      const text = rest + decoder.write(chunk as Buffer);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        lineNo++;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (end > start) row(text.slice(start, end), lineNo);
        start = nl + 1;
        if (failure !== undefined) break;
      }
      rest = text.slice(start);
      if (failure !== undefined || bars.length >= batchRows) {
        yield { bars, lines, rowsRead };
        bars = [];
        lines = [];
        if (failure !== undefined) throw failure;
      }
    }
  } finally {
    stream.destroy();
  }
  rest += decoder.end();
  if (rest.length > 0) {
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
