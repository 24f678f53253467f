import { readFileSync } from 'node:fs';
import type { Json } from '@sys/core';
import { applyPatch, type Envelope } from '@sys/diff-tracker';
import { samplePath } from '@sys/market-data/samples';
import { formatNyTime } from '@sys/market-time';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, sampleConfig } from './config.js';
import { SystemStateError } from './errors.js';
import { SystemManager } from './manager.js';

const expected = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as {
  regular_session: {
    volume: number;
    high: number;
    low: number;
    open: number;
    close: number;
    vwap_typical_price: number;
    bars_1m: number;
  };
  derived_bars_regular_session: Record<string, { data: Json[][] }>;
  pre_market: { bars_1m_present: number };
};
type Obj = Record<string, Json>;
const wire = (v: unknown) => JSON.parse(JSON.stringify(v));
const tick = () => new Promise<void>((r) => setImmediate(r));

function rebuild(held: Json | undefined, e: Envelope): Json {
  return e.t === 'snapshot' ? wire(e.state) : applyPatch(held as Json, e.ops);
}

describe('the bundled AAPL day replayed at max', () => {
  it('ends with the reference figures, ended: true, threads stopped, valid JSON', async () => {
    const sm = new SystemManager(sampleConfig(), {});
    await sm.start();
    await sm.done();
    expect(sm.state).toBe('stopped');
    const all = sm.toJson({ complete: true, debug: true }) as Obj;
    expect(() => JSON.parse(JSON.stringify(all))).not.toThrow();
    const sd = all.session_data as Obj;
    expect(sd.session).toMatchObject({ date: '2025-07-02', ended: true, active: false });
    const aapl = (sd.symbols as Obj).AAPL as Obj;
    const r = expected.regular_session;
    expect(aapl).toMatchObject({
      volume: r.volume,
      high: r.high,
      low: r.low,
      open: r.open,
      close: r.close,
      bar_quality: 100,
    });
    expect(Math.abs((aapl.vwap as number) - r.vwap_typical_price)).toBeLessThan(1e-6);
    expect(aapl.bar_counts).toEqual({ '1m': 390, '5m': 78, '15m': 26, '30m': 13, '1h': 7 });
    expect(aapl.extended_hours).toEqual({
      pre_market_bars: expected.pre_market.bars_1m_present,
      post_market_bars: 0,
    });
    const bars = aapl.current_bars as Record<string, { data: Json[][] }>;
    for (const iv of ['5m', '15m', '30m', '1h']) {
      expect(bars[iv]?.data.map((row) => row.slice(0, 6))).toEqual(
        expected.derived_bars_regular_session[iv]?.data,
      );
    }
    const threads = all.threads as Record<string, Obj>;
    for (const name of ['session_coordinator', 'data_upkeep', 'stream_coordinator']) {
      expect(threads[name]?.thread_info).toMatchObject({ is_alive: false });
      expect(threads[name]?.state).toBe('stopped');
    }
    expect(all._metadata).toMatchObject({
      complete: true,
      debug: true,
      diff_mode: false,
      reason: 'requested',
    });
    expect(all.system_manager).toMatchObject({
      state: 'stopped',
      mode: 'backtest',
      timezone: 'America/New_York',
    });
  });

  it('end-to-end delta invariant: consumers polling at different rates each rebuild the exact state', async () => {
    // Under what an idle debug consumer comes to hold over the day, over what one that reads every 7 ticks does.
    const bound = 1_500;
    // A fixed wall clock keeps the debug performance figures still between a read and the comparison.
    // Paced (not max) so polls see the day in many small steps.
    const sm = new SystemManager(
      sampleConfig({ speed: 20_000, feed: { max_retained_bytes_per_consumer: bound } }),
      {
        wallNow: () => 1_000,
      },
    );
    const held: Record<string, Json | undefined> = {};
    const poll = (name: string, debug: boolean) => {
      const { envelope } = sm.read(name, { debug });
      held[name] = rebuild(held[name], envelope);
      expect(held[name]).toEqual(wire(sm.stateJson({ debug })));
      return envelope;
    };
    await sm.start();
    poll('every', false);
    poll('seventh', true);
    poll('end', false);
    poll('idle', true);
    let ticks = 0;
    let maxRetained = 0;
    while (sm.state === 'running') {
      await tick();
      ticks++;
      poll('every', false);
      if (ticks % 7 === 0) poll('seventh', true);
      // Idle from here on, on the debug face: the bars it holds are displaced as the day goes on. (What an
      // idle consumer of the plain face of one symbol holds is smaller than the bound.)
      if (ticks === 60) poll('idle', true);
      maxRetained = Math.max(maxRetained, sm.feed.stats('idle')?.retainedBytes ?? 0);
    }
    await sm.done();
    for (const [name, debug] of [
      ['every', false],
      ['seventh', true],
      ['end', false],
    ] as const) {
      poll(name, debug);
      const { _metadata, ...complete } = sm.toJson({
        complete: true,
        debug,
        consumer: `oracle-${name}`,
      }) as Obj;
      expect(_metadata).toMatchObject({ complete: true });
      expect(held[name]).toEqual(wire(complete));
    }
    expect(ticks).toBeGreaterThan(20);
    expect(maxRetained).toBeLessThanOrEqual(bound);
    const idle = sm.read('idle', { debug: true }).envelope;
    expect(idle).toMatchObject({ t: 'snapshot', reason: 'memory_bound' });
    expect(sm.feed.stats('every')?.deltasSent).toBeGreaterThan(20);
  });

  it('two calls in a row with nothing in between: the second is an empty change set', async () => {
    const sm = new SystemManager(sampleConfig(), {});
    await sm.start();
    await sm.done();
    const first = sm.toJson({ consumer: 'cli' }) as Obj;
    expect(first._metadata).toMatchObject({ complete: true, reason: 'new_consumer' });
    const second = sm.toJson({ consumer: 'cli' }) as Obj;
    expect(second).toEqual({
      _metadata: expect.objectContaining({ complete: false, diff_mode: true, changed_paths: [] }),
    });
  });
});

describe('lifecycle', () => {
  it('stop during start: nothing left running, state stopped, no hang', async () => {
    const sm = new SystemManager(sampleConfig({ speed: 1 }), {});
    const starting = sm.start();
    const stopping = sm.stop();
    await Promise.all([starting, stopping]);
    expect(sm.state).toBe('stopped');
    await sm.done();
  });

  it('double stop and double start are no-ops; a stopped run can start again with a new epoch', async () => {
    const sm = new SystemManager(sampleConfig({ speed: 60 }), {});
    await sm.start();
    await sm.start();
    expect(sm.state).toBe('running');
    const firstEpoch = sm.read('c').envelope.epoch;
    await sm.stop();
    await sm.stop();
    expect(sm.state).toBe('stopped');
    await sm.start();
    expect(sm.state).toBe('running');
    const again = sm.read('c').envelope;
    expect(again).toMatchObject({ t: 'snapshot', reason: 'epoch_changed' });
    expect(again.epoch).not.toBe(firstEpoch);
    await sm.stop();
  });

  it('a finished run keeps its clock: market time and generated_at do not run on after the end or a stop', async () => {
    const sm = new SystemManager(sampleConfig({ speed: 100_000, sessions: 'regular' }), {});
    await sm.start();
    await sm.done();
    const end = sm.toJson({ complete: true }) as Obj;
    expect((end._metadata as Obj).generated_at).toBe('2025-07-02T20:00:00.000Z'); // the 16:00 New York close
    await new Promise((r) => setTimeout(r, 60)); // at 100,000× that would be 100 market minutes
    const later = sm.toJson({ complete: true }) as Obj;
    expect((later._metadata as Obj).generated_at).toBe('2025-07-02T20:00:00.000Z');
    expect(sm.progress().marketTimeMs).toBe(Date.parse('2025-07-02T20:00:00.000Z'));
    const stopped = new SystemManager(sampleConfig({ speed: 60 }), {});
    await stopped.start();
    await new Promise((r) => setTimeout(r, 50));
    await stopped.stop();
    const at = stopped.progress().marketTimeMs;
    await new Promise((r) => setTimeout(r, 60));
    expect(stopped.progress().marketTimeMs).toBe(at);
  });

  it('a second start with a new config keeps the manager: consumers see epoch_changed and seq goes on', async () => {
    const sm = new SystemManager(sampleConfig(), {});
    await sm.start();
    await sm.done();
    const first = sm.read('web').envelope;
    expect(first).toMatchObject({ t: 'snapshot', reason: 'new_consumer' });
    await sm.start(sampleConfig({ sessions: 'regular' }));
    await sm.done();
    expect(sm.config.sessions).toBe('regular');
    const again = sm.read('web').envelope;
    expect(again).toMatchObject({ t: 'snapshot', reason: 'epoch_changed' });
    expect(again.epoch).not.toBe(first.epoch);
    expect(again.t === 'snapshot' ? again.seq : -1).toBeGreaterThan(
      first.t === 'snapshot' ? first.seq : first.to,
    );
    await expect(sm.start(sampleConfig())).resolves.toBeUndefined(); // over: a third run is fine
    await sm.stop();
    await sm.start(sampleConfig({ speed: 1 }));
    await expect(sm.start(sampleConfig())).rejects.toThrow(/stop` it first/);
    await sm.stop();
  });

  it('pause, step while paused, resume, and speed changes take effect', async () => {
    const sm = new SystemManager(sampleConfig({ speed: 1 }), {});
    await sm.start();
    sm.pause();
    sm.pause();
    expect(sm.state).toBe('paused');
    await sm.step(1); // paused before the first event: a first step starts the day (04:00) and its 04:01 minute
    const before = sm.progress().marketTimeMs ?? 0;
    expect(formatNyTime(before)).toBe('04:01:00');
    await sm.step(5); // resolves once the five minutes are applied
    expect((sm.progress().marketTimeMs ?? 0) - before).toBe(5 * 60_000);
    // …and an immediate read shows them: the state's clock and the envelope's time are the stepped minute.
    const now = sm.toJson({ complete: true }) as Obj;
    expect((now._metadata as Obj).generated_at).toBe(new Date(before + 5 * 60_000).toISOString());
    expect(((now.session_data as Obj).session as Obj).time).toBe(formatNyTime(before + 5 * 60_000));
    expect(sm.state).toBe('paused');
    sm.setSpeed('max');
    sm.resume();
    await sm.done();
    expect(sm.state).toBe('stopped');
    const aapl = ((sm.toJson({ complete: true }) as Obj).session_data as Obj).symbols as Obj;
    expect((aapl.AAPL as Obj).volume).toBe(expected.regular_session.volume);
  });

  it('pause and stop when not running are typed errors or no-ops, never hangs', async () => {
    const sm = new SystemManager(sampleConfig(), {});
    expect(() => sm.pause()).toThrow(SystemStateError);
    await expect(sm.step()).rejects.toThrow(/pause the backtest first/);
    expect(() => sm.setSpeed(0)).toThrow(/speed/);
    await sm.stop();
    expect(sm.state).toBe('stopped');
  });

  it('pause at the close, then resume to the end', async () => {
    const sm = new SystemManager(sampleConfig({ speed: 1 }), {});
    await sm.start();
    sm.pause();
    const session = () => ((sm.toJson({ complete: true }) as Obj).session_data as Obj).session as Obj;
    await sm.step(719); // 04:00 → 15:59 New York
    expect(session()).toMatchObject({ time: '15:59:00', active: true });
    await sm.step(1);
    // With the extended sessions the run goes on after the 16:00 close (post-market follows), still paused.
    expect(session()).toMatchObject({ time: '16:00:00', active: false, ended: false });
    expect(sm.state).toBe('paused');
    sm.setSpeed('max');
    sm.resume();
    await sm.done();
    expect(sm.state).toBe('stopped');
    expect(session()).toMatchObject({ time: '20:00:00', ended: true });
  });
});

describe('config errors: reported at once with the JSON path, nothing started', () => {
  const base = { symbols: ['AAPL'], source: { type: 'csv', paths: [samplePath('AAPL_2025-07-02.csv')] } };
  const cases: [string, unknown, string, RegExp][] = [
    [
      'end before start',
      { ...base, backtest: { start_date: '2025-07-03', end_date: '2025-07-02' } },
      'backtest.end_date',
      /before start_date/,
    ],
    [
      'window with no trading days',
      { ...base, backtest: { start_date: '2025-07-04', end_date: '2025-07-06' } },
      'backtest',
      /no trading day/,
    ],
    [
      'speed 0',
      { ...base, backtest: { start_date: '2025-07-02', end_date: '2025-07-02' }, speed: 0 },
      'speed',
      /speed/i,
    ],
    [
      'speed "fast"',
      { ...base, backtest: { start_date: '2025-07-02', end_date: '2025-07-02' }, speed: 'fast' },
      'speed',
      /speed/i,
    ],
    [
      'bad date',
      { ...base, backtest: { start_date: '2025-13-02', end_date: '2025-07-02' } },
      'backtest.start_date',
      /YYYY-MM-DD/,
    ],
    [
      'unknown key',
      { ...base, backtest: { start_date: '2025-07-02', end_date: '2025-07-02' }, sped: 1 },
      '',
      /sped/,
    ],
    [
      'no symbols',
      { ...base, symbols: [], backtest: { start_date: '2025-07-02', end_date: '2025-07-02' } },
      'symbols',
      /at least one/,
    ],
    [
      'bad source type',
      {
        symbols: ['A'],
        source: { type: 'ftp' },
        backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      },
      'source.type',
      /./,
    ],
  ];
  for (const [name, config, path, message] of cases) {
    it(name, () => {
      let error: unknown;
      try {
        parseConfig(config);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const issue = (error as ConfigError).issues.find((i) => i.path === path);
      expect(issue?.message).toMatch(message);
    });
  }

  it('a raw config that happens to have every key is still checked', () => {
    const raw = {
      symbols: ['AAPL'],
      source: { type: 'csv', paths: [samplePath('AAPL_2025-07-02.csv')] },
      backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      speed: 0,
      historical_days: 0,
      mode: 'backtest',
      sessions: 'regular',
      feed: {},
    };
    expect(() => new SystemManager(raw as never)).toThrow(ConfigError);
  });

  it('several problems are all reported at once', () => {
    expect(() => parseConfig({ symbols: [], speed: -1, historical_days: 'x' })).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.objectContaining({ path: 'symbols' }),
          expect.objectContaining({ path: 'speed' }),
          expect.objectContaining({ path: 'historical_days' }),
        ]),
      }),
    );
  });

  it('an unknown symbol in the source is refused at start, nothing started', async () => {
    const sm = new SystemManager(sampleConfig({ symbols: ['AAPL', 'MSFT'] }), {});
    await expect(sm.start()).rejects.toThrow(/symbols\[1\]: unknown symbol "MSFT"/);
    expect(sm.state).toBe('stopped');
    const threads = (sm.toJson({ complete: true }) as Obj).threads as Record<string, Obj>;
    expect(threads.stream_coordinator?.state).toBe('created');
  });
});

describe('live mode', () => {
  it('bars pushed in (object or NDJSON) go through the same validation into the same JSON', async () => {
    const { ManualClock } = await import('@sys/market-time');
    const open = Date.parse('2025-07-02T13:30:00Z');
    const clock = new ManualClock(open + 3 * 60_000);
    const sm = new SystemManager(
      { symbols: ['AAPL'], mode: 'live', source: { type: 'store', path: ':memory:' } },
      { clock },
    );
    await sm.start();
    sm.ingest({ symbol: 'AAPL', startMs: open, open: 10, high: 11, low: 9, close: 10.5, volume: 100 });
    const lines = [
      JSON.stringify({
        symbol: 'AAPL',
        timestamp: '2025-07-02T13:31:00Z',
        open: 10.5,
        high: 12,
        low: 10,
        close: 11,
        volume: 200,
      }),
      '',
      JSON.stringify({
        symbol: 'AAPL',
        start_ms: open + 120_000,
        open: 11,
        high: 11.5,
        low: 10.8,
        close: 11.2,
        volume: 50,
      }),
    ];
    async function* gen() {
      yield* lines;
    }
    expect(await sm.ingestNdjson(gen(), 'feed.ndjson')).toBe(2);
    const aapl = (((sm.toJson({ complete: true }) as Obj).session_data as Obj).symbols as Obj).AAPL as Obj;
    expect(aapl).toMatchObject({ volume: 350, high: 12, low: 9, bar_quality: 100 });
    async function* bad() {
      yield JSON.stringify({
        symbol: 'AAPL',
        start_ms: open + 180_000,
        open: 11,
        high: 10,
        low: 10.8,
        close: 11.2,
        volume: 50,
      });
    }
    await expect(sm.ingestNdjson(bad(), 'feed.ndjson')).rejects.toThrow(
      /feed.ndjson:1: bar breaks rule "low <= high"/,
    );
    async function* naive() {
      yield JSON.stringify({
        symbol: 'AAPL',
        timestamp: '2025-07-02T09:33:00',
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
      });
    }
    await expect(sm.ingestNdjson(naive())).rejects.toThrow(/stdin:1: timestamp needs a Z or an offset/);
    expect(() =>
      sm.ingest({ symbol: 'MSFT', startMs: open + 240_000, open: 1, high: 1, low: 1, close: 1, volume: 1 }),
    ).toThrow(ConfigError);
    const after = (((sm.toJson({ complete: true }) as Obj).session_data as Obj).symbols as Obj).AAPL as Obj;
    expect(after.volume).toBe(350);
    await sm.stop();
    await sm.done();
  });
});

describe('events', () => {
  it('a reader on onEvent sees every minute of the day, in order, with the state already applied', async () => {
    const sm = new SystemManager(sampleConfig({ sessions: 'regular' }), {});
    const minutes: number[] = [];
    const volumes: number[] = [];
    sm.onEvent((e) => {
      if (e.kind !== 'minute') return;
      minutes.push(e.atMs);
      const symbols = ((sm.toJson({ consumer: 'reader' }) as Obj).session_data as Obj | undefined)?.symbols as
        | Obj
        | undefined;
      const v = (symbols?.AAPL as Obj | undefined)?.volume;
      if (typeof v === 'number') volumes.push(v);
    });
    await sm.start();
    await sm.done();
    expect(minutes).toHaveLength(390);
    expect(minutes.every((m, i) => i === 0 || m - (minutes[i - 1] ?? 0) === 60_000)).toBe(true);
    // Every read was a delta holding that minute's new volume: the last one is the day's total.
    expect(volumes).toHaveLength(390);
    expect(volumes.at(-1)).toBe(expected.regular_session.volume);
  });
});
