import { type Bar, BarSequenceValidator, validateBar } from './bar.js';
import { NdjsonBarError } from './errors.js';

/** A Z or a numeric offset at the end: a timestamp without one would be read in the machine's zone. */
const ZONED = /[zZ]|[+-]\d\d:?\d\d$/;

/** The fields of one NDJSON line as a bar, not yet checked by the bar rules; throws NdjsonBarError. */
function parseJsonBar(text: string, where: string): Bar {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new NdjsonBarError(where, `not JSON: ${(e as Error).message}`);
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new NdjsonBarError(where, 'expected an object');
  const r = o as Record<string, unknown>;
  let startMs: number;
  if (typeof r.start_ms === 'number') startMs = r.start_ms;
  else if (typeof r.timestamp === 'string') {
    if (!ZONED.test(r.timestamp)) throw new NdjsonBarError(where, 'timestamp needs a Z or an offset');
    startMs = Date.parse(r.timestamp);
    // Date.parse gives NaN for text it cannot read; name the field rather than fail a bar rule on NaN.
    if (Number.isNaN(startMs))
      throw new NdjsonBarError(where, `timestamp ${JSON.stringify(r.timestamp)} is not ISO 8601`);
  } else throw new NdjsonBarError(where, 'needs "timestamp" (ISO 8601 with offset) or "start_ms"');
  const num = (k: string): number => {
    const v = r[k];
    if (typeof v !== 'number')
      throw new NdjsonBarError(where, `"${k}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof r.symbol !== 'string') throw new NdjsonBarError(where, '"symbol" must be a string');
  return {
    symbol: r.symbol,
    startMs,
    open: num('open'),
    high: num('high'),
    low: num('low'),
    close: num('close'),
    volume: num('volume'),
  };
}

/**
 * One NDJSON line (`{symbol, timestamp|start_ms, open, high, low, close, volume}`) to a bar checked by the
 * bar rules (not by order: one line knows no previous bar). `timestamp` is ISO 8601 with a Z or an offset;
 * `start_ms` epoch ms. Throws NdjsonBarError or BarValidationError naming `where` (`name:line`).
 */
export function barFromJsonLine(text: string, where: string): Bar {
  return validateBar(parseJsonBar(text, where), where);
}

/**
 * Bars of NDJSON lines (stdin, a socket, a file's lines), validated as they come: the bar rules and, per
 * symbol, strictly increasing times. Blank lines are skipped but counted, so errors name `sourceName:line`.
 */
export async function* readNdjsonBars(
  lines: AsyncIterable<string>,
  sourceName = 'stdin',
): AsyncGenerator<Bar> {
  const validator = new BarSequenceValidator();
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    const where = `${sourceName}:${line}`;
    yield validator.check(parseJsonBar(text, where), where);
  }
}
