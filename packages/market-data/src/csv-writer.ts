import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Bar } from './bar.js';

/** Options of writeCsvBars. */
export interface WriteCsvOptions {
  /** Write a `symbol` column (default true); without it the file holds one symbol, named by the file. */
  symbolColumn?: boolean;
}

const FLUSH_BYTES = 1 << 20;
/** Room left after the flush mark for one more line. */
const LINE_ROOM_BYTES = 4096;
const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** ISO 8601 UTC text of epoch ms, reusing the date part: `toISOString` costs about 1 µs a bar. */
class IsoFormatter {
  #day = Number.NaN;
  #prefix = '';

  format(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    const inDay = ms - day * DAY_MS;
    if (inDay % 1000 !== 0) return new Date(ms).toISOString();
    const seconds = inDay / 1000;
    const h = Math.floor(seconds / 3600);
    const m = Math.floor(seconds / 60) % 60;
    return `${this.#prefix}${TWO[h] ?? h}:${TWO[m]}:${TWO[seconds % 60]}Z`;
  }
}

/**
 * Writes bars as CSV (`timestamp,symbol,open,high,low,close,volume`, timestamps ISO 8601 UTC), streaming.
 * Numbers are written in their shortest exact form, so reading the file back gives the same bars.
 * Returns how many bars were written.
 */
export async function writeCsvBars(
  path: string,
  bars: Iterable<Bar> | AsyncIterable<Bar>,
  options: WriteCsvOptions = {},
): Promise<number> {
  const withSymbol = options.symbolColumn ?? true;
  const out = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const iso = new IsoFormatter();
  // Lines go straight into a byte buffer: building one big string of small pieces costs more than the
  // formatting itself.
  let chunk = Buffer.allocUnsafe(FLUSH_BYTES + LINE_ROOM_BYTES);
  let used = chunk.write(
    withSymbol ? 'timestamp,symbol,open,high,low,close,volume\n' : 'timestamp,open,high,low,close,volume\n',
  );
  let count = 0;
  const flush = async (): Promise<void> => {
    const full = chunk.subarray(0, used);
    chunk = Buffer.allocUnsafe(FLUSH_BYTES + LINE_ROOM_BYTES);
    used = 0;
    if (!out.write(full)) await Promise.race([once(out, 'drain'), failed]);
  };
  const add = (bar: Bar): void => {
    const time = iso.format(bar.startMs);
    const line = withSymbol
      ? `${time},${bar.symbol},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`
      : `${time},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}\n`;
    if (line.length * 3 > LINE_ROOM_BYTES)
      throw new RangeError(`bar of ${bar.symbol} does not fit a CSV line`);
    used += chunk.write(line, used);
    count++;
  };
  if (Symbol.iterator in bars) {
    for (const bar of bars) {
      add(bar);
      if (used >= FLUSH_BYTES) await flush();
    }
  } else {
    for await (const bar of bars) {
      add(bar);
      if (used >= FLUSH_BYTES) await flush();
    }
  }
  await flush();
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return count;
}
