import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, tempDir } from '../test/helpers.js';
import { CsvBarSource, CsvFormatError, readCsvBars } from './csv.js';
import { BarFileError } from './errors.js';
import { BarValidationError } from './index.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

function file(name: string, content: string | Buffer): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, content);
  return path;
}

/** The error a read fails with (the test fails when it does not fail). */
async function failure(path: string, options = {}): Promise<Error> {
  try {
    await collect(readCsvBars(path, options));
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected ${path} to be refused`);
}

const HEADER = 'timestamp,symbol,open,high,low,close,volume';

describe('CSV reader on hostile input (issue 20)', () => {
  it('item 4: reads year 0025 as 0025, not 1925, and refuses it as outside the calendar, naming file:line', async () => {
    const path = file('Y.csv', `${HEADER}\n0025-07-02T13:30:00Z,X,10,11,9,10,100\n`);
    const error = await failure(path);
    expect(error).toBeInstanceOf(BarValidationError);
    expect(error.message).toContain(`${path}:2`);
    expect(error.message).toContain('0025-07-02T13:30:00.000Z');
    expect(error.message).not.toContain('1925');
  });

  it('item 9: a 2 MB line with no line break stops at the bound, quoting at most 200 characters', async () => {
    const path = file('long.csv', 'x'.repeat(2 * 1024 * 1024));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CsvFormatError);
    expect((error as CsvFormatError).line).toBe(1);
    expect(error.message).toMatch(/longer than 65,536 characters/);
    expect(error.message.length).toBeLessThan(400);
  });

  it('item 9: a long bad header is quoted cut to 200 characters', async () => {
    const path = file('wide.csv', `${'a'.repeat(50_000)}\n1,2\n`);
    const error = await failure(path);
    expect(error).toBeInstanceOf(CsvFormatError);
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).toContain('(50,000 characters)');
  });

  it('item 16: a symbol in bad UTF-8 is refused with file:line, not stored as U+FFFD', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\n2025-07-02T13:30:00Z,CAF`),
      Buffer.from([0xc3]), // a lead byte without its continuation
      Buffer.from(',10,11,9,10,100\n'),
    ]);
    const path = file('utf8.csv', bytes);
    const error = await failure(path);
    expect(error).toBeInstanceOf(BarValidationError);
    expect(error.message).toContain(`${path}:2`);
    expect(error.message).toMatch(/not valid UTF-8/);
  });

  it('item 15: a symbol the config would refuse (a space, 65 characters) is refused at import', async () => {
    const spaced = await failure(file('sp.csv', `${HEADER}\n2025-07-02T13:30:00Z,BRK B,10,11,9,10,100\n`));
    expect(spaced).toBeInstanceOf(BarValidationError);
    expect(spaced.message).toMatch(/:2: .*symbol "BRK B" is not valid/);
    const long = await failure(
      file('long-sym.csv', `${HEADER}\n2025-07-02T13:30:00Z,${'A'.repeat(65)},10,11,9,10,100\n`),
    );
    expect(long.message).toMatch(/has 65 characters/);
  });

  it('item 17: CR-only line endings are read as lines', async () => {
    const path = file(
      'cr.csv',
      `${HEADER}\r2025-07-02T13:30:00Z,AAPL,10,11,9,10,100\r2025-07-02T13:31:00Z,AAPL,10,11,9,10.5,200\r`,
    );
    const bars = await collect(readCsvBars(path));
    expect(bars.map((b) => [b.symbol, b.close, b.volume])).toEqual([
      ['AAPL', 10, 100],
      ['AAPL', 10.5, 200],
    ]);
  });

  it('item 17: CRLF still works, and a CR-only file without a final break is a truncated last line', async () => {
    const crlf = file('crlf.csv', `${HEADER}\r\n2025-07-02T13:30:00Z,AAPL,10,11,9,10,100\r\n`);
    expect(await collect(readCsvBars(crlf))).toHaveLength(1);
    const cut = file('cr-cut.csv', `${HEADER}\r2025-07-02T13:30:00Z,AAPL,10,11,9,10,100`);
    const error = await failure(cut);
    expect(error.message).toMatch(/:2: truncated last line/);
  });

  it('item 18: RFC 4180 quoting: quoted commas, escaped quotes and quoted line breaks stay in their field', async () => {
    // A symbol with a comma breaks the symbol rule, but the row must reach that rule whole (7 fields).
    const comma = await failure(file('q1.csv', `${HEADER}\n2025-07-02T13:30:00Z,"BRK,B",10,11,9,10,100\n`));
    expect(comma).toBeInstanceOf(BarValidationError);
    expect(comma.message).toContain('symbol "BRK,B"');
    const escaped = await failure(file('q2.csv', `${HEADER}\n2025-07-02T13:30:00Z,"A""B",10,11,9,10,100\n`));
    expect(escaped.message).toContain('symbol "A\\"B"');
    const broken = await failure(
      file(
        'q3.csv',
        `${HEADER}\n2025-07-02T13:30:00Z,"BRK\nB",10,11,9,10,100\n2025-07-02T13:31:00Z,X,1,1,1,1,1\n`,
      ),
    );
    expect(broken.message).toContain('symbol "BRK\\nB"');
    expect(broken.message).toContain(':2:');
  });

  it('item 18: quoted fields that are valid are read, and line numbers after a quoted break stay right', async () => {
    const path = file(
      'q4.csv',
      `"timestamp","symbol","open","high","low","close","volume"\n` +
        `"2025-07-02T13:30:00Z","BRK.B","10","11","9","10","100"\n` +
        `2025-07-02T13:31:00Z,"X\nY",1,1,1,1,1\n` +
        '2025-07-02T13:32:00Z,BRK.B,1,1,1,1,x\n',
    );
    const errors: string[] = [];
    const bars: unknown[] = [];
    try {
      for await (const bar of readCsvBars(path)) bars.push(bar);
    } catch (error) {
      errors.push((error as Error).message);
    }
    expect(bars).toEqual([
      {
        symbol: 'BRK.B',
        startMs: Date.UTC(2025, 6, 2, 13, 30),
        open: 10,
        high: 11,
        low: 9,
        close: 10,
        volume: 100,
      },
    ]);
    // The quoted break makes the X row lines 3-4; its symbol is refused at line 3.
    expect(errors[0]).toContain(':3:');
  });

  it('item 18: a stray quote and an unclosed quote are format errors naming the line', async () => {
    const stray = await failure(file('q5.csv', `${HEADER}\n2025-07-02T13:30:00Z,A"B,10,11,9,10,100\n`));
    expect(stray).toBeInstanceOf(CsvFormatError);
    const unclosed = await failure(file('q6.csv', `${HEADER}\n2025-07-02T13:30:00Z,"AB,10,11,9,10,100\n`));
    expect(unclosed).toBeInstanceOf(CsvFormatError);
    expect((unclosed as CsvFormatError).line).toBe(2);
  });

  it('item 20: a source path that is a directory names the path', async () => {
    const dir = join(tmp.dir, 'a-dir.csv');
    mkdirSync(dir);
    const error = await failure(dir);
    expect(error).toBeInstanceOf(BarFileError);
    expect((error as BarFileError).code).toBe('BAR_FILE');
    expect(error.message).toContain(dir);
    expect(error.message).toMatch(/is a directory/);
    await expect(new CsvBarSource(dir).listSymbols()).rejects.toThrow(dir);
  });
});
