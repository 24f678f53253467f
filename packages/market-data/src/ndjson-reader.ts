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
  return validateBar(scanFlatBar(text) ?? parseJsonBar(text, where), where);
}

const QUOTE = 34;
const BACKSLASH = 92;

/** True for the characters a JSON number may hold. */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

function skipSpace(text: string, i: number): number {
  let c = text.charCodeAt(i);
  while (c === 32 || c === 9 || c === 13 || c === 10) c = text.charCodeAt(++i);
  return i;
}

/**
 * The fast path of a live feed's hot loop: a flat object of the bar's keys with plain values, `start_ms`
 * as a number, read without building a JSON tree. Anything else (a `timestamp`, an escape, another key, a
 * nested value, a number JSON would refuse) gives undefined and the line is read by JSON.parse instead, so
 * both paths accept exactly the same lines.
 */
function scanFlatBar(text: string): Bar | undefined {
  let symbol: string | undefined;
  let startMs = Number.NaN;
  let open = Number.NaN;
  let high = Number.NaN;
  let low = Number.NaN;
  let close = Number.NaN;
  let volume = Number.NaN;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 123) return undefined;
  i = skipSpace(text, i + 1);
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd);
    i = skipSpace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== 58) return undefined;
    i = skipSpace(text, i + 1);
    if (text.charCodeAt(i) === QUOTE) {
      const end = text.indexOf('"', i + 1);
      if (end < 0 || key !== 'symbol') return undefined;
      const value = text.slice(i + 1, end);
      for (let k = 0; k < value.length; k++)
        if (value.charCodeAt(k) < 32 || value.charCodeAt(k) === BACKSLASH) return undefined;
      symbol = value;
      i = end + 1;
    } else {
      const start = i;
      while (isNumberChar(text.charCodeAt(i))) i++;
      const raw = text.slice(start, i);
      // JSON numbers: no leading +, no leading zero before a digit, digits after a point.
      if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(raw)) return undefined;
      const value = Number(raw);
      if (key === 'start_ms') startMs = value;
      else if (key === 'open') open = value;
      else if (key === 'high') high = value;
      else if (key === 'low') low = value;
      else if (key === 'close') close = value;
      else if (key === 'volume') volume = value;
      else return undefined;
    }
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === 44) {
      i = skipSpace(text, i + 1);
      continue;
    }
    if (c !== 125) return undefined;
    if (skipSpace(text, i + 1) !== text.length) return undefined;
    break;
  }
  if (symbol === undefined) return undefined;
  // A key that never came leaves its NaN.
  if (
    Number.isNaN(startMs) ||
    Number.isNaN(open) ||
    Number.isNaN(high) ||
    Number.isNaN(low) ||
    Number.isNaN(close) ||
    Number.isNaN(volume)
  )
    return undefined;
  return { symbol, startMs, open, high, low, close, volume };
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
