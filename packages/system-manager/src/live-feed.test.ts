import type { Json } from '@sys/core';
import type { Bar } from '@sys/market-data';
import { samplePath } from '@sys/market-data/samples';
import { describe, expect, it } from 'vitest';
import { recorded, type Script, sampleDay, scriptedFeed } from '../test/recorded-feed.js';
import { SystemManager } from './manager.js';

type Obj = Record<string, Json>;
const sample = samplePath('AAPL_2025-07-02.csv');

/** What a session shows of a symbol, without wall-clock timing. */
function figures(sm: SystemManager): Obj {
  const all = sm.toJson({ complete: true }) as Obj;
  const { performance: _p, ...rest } = ((all.session_data as Obj).symbols as Obj).AAPL as Obj;
  return rest;
}

function stream(sm: SystemManager): Obj {
  return ((sm.toJson({ complete: true }) as Obj).threads as Obj).stream_coordinator as Obj;
}

let backtest: Promise<Obj> | undefined;

/** The figures of the backtest of the bundled day: run once, on first use, and shared (read, never changed). */
function backtestFigures(): Promise<Obj> {
  backtest ??= (async () => {
    const sm = new SystemManager({
      symbols: ['AAPL'],
      source: { type: 'csv', paths: [sample] },
      backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      sessions: 'extended',
    });
    await sm.start();
    await sm.done();
    return figures(sm);
  })();
  return backtest;
}

async function liveRun(format: 'alpaca' | 'polygon', scripts: Script[], backfill = true) {
  const feed = await scriptedFeed(format, scripts);
  const sm = new SystemManager({
    symbols: ['AAPL'],
    mode: 'live',
    clock: 'feed',
    sessions: 'extended',
    source: {
      type: format,
      url: feed.url,
      key: 'k',
      secret: 's',
      backoff: { initial_ms: 10, max_ms: 50 },
      ...(backfill ? { backfill: { type: 'csv', paths: [sample] } } : {}),
    },
  });
  await sm.start();
  await sm.done();
  await feed.close();
  return { sm, feed };
}

const oneMinuteEach = (format: 'alpaca' | 'polygon', bars: readonly Bar[]) =>
  bars.map((b) => JSON.stringify([recorded(format, b)]));

describe.each(['alpaca', 'polygon'] as const)('a %s feed replayed from the bundled day', (format) => {
  it('ends in the state of the backtest of the same bars, after the handshake', async () => {
    const bars = await sampleDay();
    const { sm, feed } = await liveRun(format, [{ messages: oneMinuteEach(format, bars), end: 'close' }]);
    expect(sm.error).toBeNull();
    expect(figures(sm)).toEqual(await backtestFigures());
    expect(feed.received[0]).toEqual(
      format === 'alpaca' ? { action: 'auth', key: 'k', secret: 's' } : { action: 'auth', params: 'k' },
    );
    expect(feed.received[1]).toEqual(
      format === 'alpaca'
        ? { action: 'subscribe', bars: ['AAPL'] }
        : { action: 'subscribe', params: 'AM.AAPL' },
    );
    expect(stream(sm)).toMatchObject({ clock: 'feed', bars_received: bars.length, bars_rejected: 0 });
  });

  it('after a dropped connection reconnects, backfills the missed minutes: no minute missing, quality 100', async () => {
    const bars = await sampleDay();
    const cut = bars.findIndex((b) => new Date(b.startMs).toISOString() === '2025-07-02T15:00:00.000Z'); // 11:00 ET
    const resume = cut + 25; // 25 minutes are never sent by the feed
    const { sm, feed } = await liveRun(format, [
      { messages: oneMinuteEach(format, bars.slice(0, cut)), end: 'drop' },
      { messages: oneMinuteEach(format, bars.slice(resume)), end: 'close' },
    ]);
    expect(feed.connections()).toBe(2);
    expect(figures(sm)).toEqual(await backtestFigures());
    expect(figures(sm)).toMatchObject({ bar_quality: 100, gaps: [] });
    expect(stream(sm).feed).toMatchObject({ reconnects: 1, backfilled: 25, state: 'ended' });
  });

  it('without a backfill source the missed minutes stay a gap: no bar is made up', async () => {
    const bars = await sampleDay();
    const cut = bars.findIndex((b) => new Date(b.startMs).toISOString() === '2025-07-02T15:00:00.000Z');
    const { sm } = await liveRun(
      format,
      [
        { messages: oneMinuteEach(format, bars.slice(0, cut)), end: 'drop' },
        { messages: oneMinuteEach(format, bars.slice(cut + 3)), end: 'close' },
      ],
      false,
    );
    expect(figures(sm)).toMatchObject({ gaps: [{ start: '11:00:00', minutes: 3 }] });
  });

  it('counts duplicates and corrections, refuses bars older than the session, skips malformed messages', async () => {
    const bars = await sampleDay();
    const open = bars.findIndex((b) => new Date(b.startMs).toISOString() === '2025-07-02T13:30:00.000Z');
    const first = bars[open] as Bar;
    const corrected = {
      ...first,
      close: first.close + 0.01,
      high: Math.max(first.high, first.close + 0.01),
      volume: first.volume + 100,
    };
    const messages = oneMinuteEach(format, bars);
    const extra = [
      JSON.stringify([recorded(format, first)]), // the same bar again
      JSON.stringify([recorded(format, corrected, 'u')]),
      'not json {',
      JSON.stringify([{ ...recorded(format, first), ...(format === 'alpaca' ? { o: 'x' } : { o: null }) }]),
      JSON.stringify([recorded(format, { ...first, startMs: first.startMs - 86_400_000 })]), // the day before
    ];
    messages.splice(open + 10, 0, ...extra);
    const { sm } = await liveRun(format, [{ messages, end: 'close' }]);
    const s = stream(sm);
    expect(s).toMatchObject({ bars_duplicate: 1, bars_corrected: 1, bars_rejected: 1 });
    expect(s.rejections).toMatchObject({ older_than_session: 1 });
    expect(s.feed).toMatchObject({ malformed: 2 });
    const f = figures(sm);
    const base = await backtestFigures();
    expect(f.bars_updated).toBe(1);
    expect(f.volume).toBe((base.volume as number) + 100);
    expect(f.bar_counts).toEqual(base.bar_counts);
  });
});

describe('a feed that cannot be reached', () => {
  it('retries with backoff, says so in its status, and gives up after max_attempts with a clear error', async () => {
    const sm = new SystemManager({
      symbols: ['AAPL'],
      mode: 'live',
      source: {
        type: 'alpaca',
        url: 'ws://127.0.0.1:9',
        max_attempts: 3,
        backoff: { initial_ms: 5, max_ms: 20 },
      },
    });
    await sm.start();
    await sm.done().catch(() => {});
    expect(sm.state).toBe('error');
    expect(sm.error?.message).toMatch(
      /ws:\/\/127\.0\.0\.1:9: gave up after 3 failed attempts: .*ECONNREFUSED/,
    );
    expect(stream(sm).feed).toMatchObject({ state: 'failed', reconnects: 3 });
  });

  it('a refused key fails at once, naming the reason', async () => {
    const { scriptedFeed: _ } = { scriptedFeed };
    const { WebSocketServer } = await import('ws');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', () => r()));
    server.on('connection', (ws) => {
      ws.send(JSON.stringify([{ T: 'success', msg: 'connected' }]));
      ws.on('message', () => ws.send(JSON.stringify([{ T: 'error', code: 402, msg: 'auth failed' }])));
    });
    const port = (server.address() as { port: number }).port;
    const sm = new SystemManager({
      symbols: ['AAPL'],
      mode: 'live',
      source: { type: 'alpaca', url: `ws://127.0.0.1:${port}` },
    });
    await sm.start();
    await sm.done().catch(() => {});
    expect(sm.error?.message).toMatch(/authentication refused: 402 auth failed/);
    await new Promise<void>((r) => server.close(() => r()));
  });
});
