import { describe, expect, it } from 'vitest';
import { collect } from '../test/helpers.js';
import { BarValidationError } from './index.js';
import { barFromJsonLine, NdjsonBarError, readNdjsonBars } from './ndjson.js';

const OPEN_MS = Date.parse('2025-07-02T13:30:00Z');
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({
    symbol: 'AAPL',
    start_ms: OPEN_MS,
    open: 10,
    high: 11,
    low: 9,
    close: 10.5,
    volume: 100,
    ...fields,
  });

async function* lines(...texts: string[]): AsyncGenerator<string> {
  yield* texts;
}

describe('barFromJsonLine', () => {
  it('reads start_ms or a timestamp with a Z or an offset', () => {
    const bar = { symbol: 'AAPL', startMs: OPEN_MS, open: 10, high: 11, low: 9, close: 10.5, volume: 100 };
    expect(barFromJsonLine(line({}), 'feed:1')).toEqual(bar);
    expect(
      barFromJsonLine(line({ start_ms: undefined, timestamp: '2025-07-02T13:30:00Z' }), 'feed:1'),
    ).toEqual(bar);
    expect(
      barFromJsonLine(line({ start_ms: undefined, timestamp: '2025-07-02T09:30:00-04:00' }), 'feed:1'),
    ).toEqual(bar);
  });

  it.each([
    ['{', /^feed\.ndjson:3: not JSON: /],
    ['[1]', /^feed\.ndjson:3: expected an object$/],
    ['null', /^feed\.ndjson:3: expected an object$/],
    [line({ start_ms: undefined }), /needs "timestamp" \(ISO 8601 with offset\) or "start_ms"$/],
    [line({ start_ms: undefined, timestamp: '2025-07-02T09:33:00' }), /timestamp needs a Z or an offset$/],
    [line({ start_ms: undefined, timestamp: 'Zulu time' }), /timestamp "Zulu time" is not ISO 8601$/],
    [line({ high: '11' }), /"high" must be a number, got "11"$/],
    [line({ volume: undefined }), /"volume" must be a number, got undefined$/],
    [line({ symbol: 7 }), /"symbol" must be a string$/],
  ])('refuses %s with an NdjsonBarError naming the line', (text, message) => {
    const error = (() => {
      try {
        barFromJsonLine(text, 'feed.ndjson:3');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NdjsonBarError);
    // The code live feeds have always failed with, so callers' exit codes stay the same.
    expect(error).toMatchObject({ code: 'LIVE_INPUT', where: 'feed.ndjson:3' });
    expect((error as Error).message).toMatch(message);
  });

  it('checks the bar rules, naming the line', () => {
    expect(() => barFromJsonLine(line({ high: 10, low: 10.8 }), 'feed.ndjson:1')).toThrow(BarValidationError);
    expect(() => barFromJsonLine(line({ high: 10, low: 10.8 }), 'feed.ndjson:1')).toThrow(
      /^feed\.ndjson:1: bar breaks rule "low <= high"/,
    );
  });
});

describe('readNdjsonBars', () => {
  it('yields the bars of the lines, skipping blank ones', async () => {
    const bars = await collect(
      readNdjsonBars(
        lines(line({}), '', '  ', line({ start_ms: OPEN_MS + 60_000 }), line({ symbol: 'MSFT' })),
        'feed.ndjson',
      ),
    );
    expect(bars.map((b) => `${b.symbol}@${b.startMs - OPEN_MS}`)).toEqual(['AAPL@0', 'AAPL@60000', 'MSFT@0']);
  });

  it('names source:line, blank lines counted, and refuses a symbol going back in time', async () => {
    await expect(collect(readNdjsonBars(lines(line({}), '', '{')))).rejects.toThrow(/^stdin:3: not JSON/);
    await expect(
      collect(readNdjsonBars(lines(line({ start_ms: OPEN_MS + 60_000 }), line({})), 'feed.ndjson')),
    ).rejects.toThrow(/^feed\.ndjson:2: bar breaks rule "times strictly increasing"/);
  });
});
