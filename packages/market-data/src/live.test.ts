import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bar } from './bar.js';
import { readFeedMessage } from './feed-formats.js';
import { ndjsonBatches, tailChunks, tcpChunks } from './live-ndjson.js';
import { barFromJsonLine } from './ndjson-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'sys-live-md-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t0 = Date.parse('2025-07-02T13:30:00Z');
const status = (source = 'test') => ({ source, lines: 0, bars: 0, malformed: 0, lastMalformed: null });

async function all<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const batch of it) out.push(...batch);
  return out;
}

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  yield* parts;
}

describe('feed messages', () => {
  it('reads Alpaca v2 bars, updated bars and the handshake, and reports what is not a bar', () => {
    const m = readFeedMessage(
      'alpaca',
      JSON.stringify([
        { T: 'success', msg: 'authenticated' },
        { T: 'b', S: 'AAPL', o: 1, h: 2, l: 0.5, c: 1.5, v: 100, t: '2025-07-02T13:30:00Z', n: 3, vw: 1.2 },
        { T: 'u', S: 'AAPL', o: 1, h: 2, l: 0.5, c: 1.6, v: 120, t: '2025-07-02T13:30:00Z' },
        { T: 'b', S: 'AAPL', o: 1, h: 0.1, l: 0.5, c: 1.5, v: 100, t: '2025-07-02T13:31:00Z' },
        { T: 'b', S: 'AAPL', o: 1, h: 2, l: 0.5, c: 1.5, v: 100, t: '2025-07-02 13:32' },
        { T: 't', S: 'AAPL', p: 1 },
      ]),
      'feed#1',
    );
    expect(m.events).toEqual([{ kind: 'authenticated', text: 'authenticated' }]);
    expect(m.bars).toEqual([
      { symbol: 'AAPL', startMs: t0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 100 },
      { symbol: 'AAPL', startMs: t0, open: 1, high: 2, low: 0.5, close: 1.6, volume: 120 },
    ]);
    expect(m.malformed).toHaveLength(2);
    expect(m.malformed[0]).toMatch(/feed#1\[3\]/);
    expect(m.malformed[1]).toMatch(/feed#1\[4\].*not an RFC 3339 time with a zone/);
  });

  it('reads Polygon AM events (s/e epoch ms spanning a minute) and its status messages', () => {
    const m = readFeedMessage(
      'polygon',
      JSON.stringify([
        { ev: 'status', status: 'auth_failed', message: 'authentication failed' },
        { ev: 'AM', sym: 'MSFT', o: 1, h: 2, l: 0.5, c: 1.5, v: 100, s: t0, e: t0 + 60_000 },
        { ev: 'AM', sym: 'MSFT', o: 1, h: 2, l: 0.5, c: 1.5, v: 100, s: t0, e: t0 + 1000 },
      ]),
      'p#2',
    );
    expect(m.events).toEqual([{ kind: 'auth_failed', text: 'authentication failed' }]);
    expect(m.bars).toHaveLength(1);
    expect(m.malformed[0]).toMatch(/must span 60000 ms/);
    expect(readFeedMessage('polygon', '{oops', 'p#3').malformed[0]).toMatch(/p#3: not JSON/);
  });
});

describe('NDJSON live input', () => {
  it('reads bars across chunk boundaries and CRLF, counting and skipping malformed lines', async () => {
    const line = (m: number, v: number) =>
      `{"symbol":"AAPL","start_ms":${t0 + m * 60_000},"open":1,"high":2,"low":0.5,"close":1.5,"volume":${v}}`;
    const text = `${line(0, 10)}\r\n${line(1, 20)}\nnot json\n\n${line(2, 30)}`;
    const s = status();
    const bars = await all(ndjsonBatches(chunks(text.slice(0, 37), text.slice(37, 120), text.slice(120)), s));
    expect(bars.map((b) => b.volume)).toEqual([10, 20, 30]);
    expect(s).toMatchObject({ lines: 5, bars: 3, malformed: 1 });
    expect(s.lastMalformed).toMatch(/^test:3: not JSON/);
  });

  it('the fast path and JSON.parse accept and refuse the same lines', () => {
    const ok = `{"symbol":"A","start_ms":${t0},"open":1e2,"high":200,"low":50.5,"close":100,"volume":7}`;
    expect(barFromJsonLine(ok, 'x')).toEqual({
      symbol: 'A',
      startMs: t0,
      open: 100,
      high: 200,
      low: 50.5,
      close: 100,
      volume: 7,
    });
    for (const bad of [
      `{"symbol":"A","start_ms":${t0},"open":01,"high":2,"low":0.5,"close":1,"volume":7}`,
      `{"symbol":"A","start_ms":${t0},"open":+1,"high":2,"low":0.5,"close":1,"volume":7}`,
      `{"symbol":"A","start_ms":${t0},"open":1.,"high":2,"low":0.5,"close":1,"volume":7}`,
      `{"symbol":"A","start_ms":${t0},"open":1,"high":2,"low":0.5,"close":1,"volume":7} x`,
      `{"symbol":"A","start_ms":${t0},"open":1,"high":2,"low":0.5,"close":1}`,
    ])
      expect(() => barFromJsonLine(bad, 'x')).toThrow();
    // Keys the fast path does not know (and escapes) go to JSON.parse, which reads them the same way.
    expect(
      barFromJsonLine(
        `{"symbol":"\\u0041","extra":[1],"start_ms":${t0},"open":1,"high":2,"low":0.5,"close":1,"volume":7}`,
        'x',
      ),
    ).toMatchObject({ symbol: 'A' });
  });

  test.prop([
    fc.record({
      open: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
      spread: fc.double({ min: 0, max: 100, noNaN: true }),
      volume: fc.integer({ min: 0, max: 1e9 }),
      minute: fc.integer({ min: 0, max: 10_000 }),
      space: fc.constantFrom('', ' ', '\t'),
    }),
  ])('any bar written as JSON reads back exactly', ({ open, spread, volume, minute, space }) => {
    const bar: Bar = {
      symbol: 'SYM',
      startMs: t0 + minute * 60_000,
      open,
      high: open + spread,
      low: open,
      close: open,
      volume,
    };
    const text = `{${space}"symbol":${space}"SYM",${space}"start_ms":${bar.startMs},"open":${open},"high":${bar.high},"low":${open},"close":${open},"volume":${volume}${space}}`;
    expect(barFromJsonLine(text, 'p')).toEqual(bar);
  });

  it('a tailed file gives lines as they are appended', async () => {
    const file = join(dir, 'tail.ndjson');
    writeFileSync(file, `{"symbol":"A","start_ms":${t0},"open":1,"high":1,"low":1,"close":1,"volume":1}\n`);
    const controller = new AbortController();
    const s = status('tail');
    const seen: number[] = [];
    const done = (async () => {
      for await (const batch of ndjsonBatches(
        tailChunks(file, { signal: controller.signal, pollMs: 5 }),
        s,
      )) {
        seen.push(...batch.map((b) => b.volume));
        if (seen.length === 1)
          appendFileSync(
            file,
            `{"symbol":"A","start_ms":${t0 + 60_000},"open":1,"high":1,"low":1,"close":1,"volume":2}\n`,
          );
        if (seen.length === 2) controller.abort();
      }
    })();
    await done;
    expect(seen).toEqual([1, 2]);
  });

  it('a TCP server’s lines are read until it closes; an unreachable one is a clear error', async () => {
    const server = createServer((socket) =>
      socket.end(`{"symbol":"A","start_ms":${t0},"open":1,"high":1,"low":1,"close":1,"volume":5}\n`),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const bars = await all(ndjsonBatches(tcpChunks('127.0.0.1', port), status('tcp')));
    expect(bars.map((b) => b.volume)).toEqual([5]);
    await new Promise<void>((r) => server.close(() => r()));
    await expect(all(ndjsonBatches(tcpChunks('127.0.0.1', port), status('tcp')))).rejects.toThrow(
      new RegExp(`tcp://127\\.0\\.0\\.1:${port}: cannot connect`),
    );
  });
});
