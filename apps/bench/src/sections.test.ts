import { describe, expect, it } from 'vitest';
import { pregenerate } from './data.js';
import { formatSection, type Row, type SectionResult } from './harness.js';
import { runClient } from './sections/client.js';
import { runColumnar } from './sections/columnar.js';
import { runDataPath } from './sections/datapath.js';
import { runDelta } from './sections/delta.js';
import { runE2e, runSystem } from './sections/e2e.js';
import { runFanout } from './sections/fanout.js';
import { runIndicators } from './sections/indicators.js';
import { runIngest } from './sections/ingest.js';
import { runLoop } from './sections/loop.js';
import { runNats } from './sections/nats.js';
import { runServe } from './sections/serve.js';
import { runSnapshot } from './sections/snapshot.js';

// Tiny sizes: this checks the harness produces well-formed rows, never how fast anything is.
const once = { minSamples: 2, timeMs: 0, warmup: 0 };

function checkSection(s: SectionResult, id: number): void {
  expect(s.id).toBe(id);
  expect(s.title.length).toBeGreaterThan(0);
  expect(s.rows.length).toBeGreaterThan(0);
  const names = new Set<string>();
  for (const r of s.rows as Row[]) {
    expect(names.has(r.name), `duplicate row ${r.name}`).toBe(false);
    names.add(r.name);
    expect(Number.isFinite(r.median), `${r.name} median`).toBe(true);
    if (r.p95 !== null) expect(r.p95).toBeGreaterThanOrEqual(r.median);
    expect(r.samples).toBeGreaterThanOrEqual(1);
    if (r.baseline !== undefined) {
      const base = s.rows.find((x) => x.name === r.baseline);
      expect(base, `${r.name} names a baseline row that exists`).toBeDefined();
      // The "vs baseline" column is this row's median over its baseline's, from the same run.
      if (r.ratio !== undefined) expect(r.ratio).toBeCloseTo(r.median / (base?.median ?? Number.NaN), 12);
    }
    if (r.goal !== undefined) expect(typeof r.goal.pass).toBe('boolean');
  }
  // The results file stores the section as JSON and --compare reads it back: every figure must survive
  // (a NaN or Infinity would come back as null, a Date as a string).
  expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  expect(formatSection(s)).toContain(`## ${id}.`);
}

describe('bench sections on tiny sizes', () => {
  it('1 delta', async () => {
    const s = await runDelta({
      symbols: 12,
      startMinutes: 20,
      changes: [0, 0.1, 1],
      ticks: 6,
      ours: once,
      peers: once,
      slowPeers: once,
    });
    checkSection(s, 1);
    // At 0 % the state is the same frozen object: our delta is the empty patch `[]`, while the plan
    // (`diff if diff else data`) sends the whole state.
    const wire = (who: string) => s.rows.find((r) => r.name === `0% · bytes on the wire · ${who}`)?.median;
    expect(wire('@sys/diff-tracker DiffTracker.commit')).toBe(2);
    expect(wire('plan: copy + deep-object-diff, nested (baseline)')).toBeGreaterThan(1000);
  });

  it('2 snapshot', async () => {
    checkSection(await runSnapshot({ systemSymbols: 3, feedSymbols: 10, startMinutes: 20, timing: once }), 2);
  });

  it('3 ingest', async () => {
    const s = await runIngest({ symbols: 4, minuteSymbols: 3, timing: once, slowTiming: once });
    checkSection(s, 3);
    // The engine path on all symbols is judged against one batch per symbol-day of the same symbols.
    const engine = s.rows.find((r) => r.goal?.text === '≥ 5M bars/s');
    expect(engine?.name).toMatch(/^4 symbols, one batch per market minute/);
    expect(engine?.baseline).toMatch(/^4 symbols, one batch per symbol-day · @sys\/session-data/);
    expect(s.rows.filter((r) => r.goal?.text === '≤ 56 B/bar').map((r) => r.name)).toEqual([
      'bytes per stored 1m bar · SessionData after the per-minute path at 4 symbols, heap',
      'bytes per stored 1m bar · SessionData after the per-minute path at 4 symbols, SymbolSessionData.sizeBytes',
    ]);
    // 4 symbols × 390 minutes, 42 B per 1m slot plus derived rows: the capacity is more than the 1m table.
    const capacity = s.rows.find((r) => r.name.endsWith('SymbolSessionData.sizeBytes'));
    expect(capacity?.median).toBeGreaterThan(42);
  });

  it('4 columnar', async () => {
    checkSection(await runColumnar({ symbols: 2, timing: once }), 4);
  });

  it('5 end to end', async () => {
    const s = await runE2e({ symbols: 3, samples: 1, warmup: 0 });
    checkSection(s, 5);
    expect(s.rows.find((r) => r.name.endsWith('reads per run'))?.median).toBe(390);
    expect(s.rows.some((r) => r.name.endsWith('one read alone (per market minute)'))).toBe(true);
  });

  it('5 end to end: the reader reads once per market minute, inside onEvent', async () => {
    const source = await pregenerate(3);
    const read = await runSystem(source, 'plain');
    expect(read.reads).toBe(390);
    expect(read.readMs).toHaveLength(390);
    expect(read.bars).toBe(3 * 390);
    expect(read.bytesSent).toBeGreaterThan(390 * 2);
    const alone = await runSystem(source, 'none');
    expect(alone.reads).toBe(0);
    expect(alone.bars).toBe(3 * 390);
    // Runs share the source's arrays: neither run may have changed them.
    expect(source.batches).toEqual((await pregenerate(3)).batches);
  });

  it('6 fan-out', async () => {
    checkSection(
      await runFanout({
        symbols: 20,
        startMinutes: 20,
        consumers: 5,
        lags: [3, 10],
        timing: once,
        slowTiming: once,
        perReadSourceTiming: once,
      }),
      6,
    );
  });

  it('8 indicators', async () => {
    const s = await runIndicators({ symbols: 3, updateBars: 200, timing: once });
    checkSection(s, 8);
    expect(s.rows.map((r) => r.unit)).toEqual(['bars/s', 'bars/s', 'bars/s', 'ns/bar']);
  });

  it('7 replay loop', async () => {
    const s = await runLoop({ symbols: 3, samples: 1, warmup: 0, ceilingTiming: once });
    checkSection(s, 7);
    const loop = s.rows.find((r) => r.goal?.text === '≥ 2,000,000 bars/s');
    expect(loop?.baseline).toMatch(/ceiling, baseline\)$/);
    expect(loop?.ratio).toBeGreaterThan(0);
    // 3 symbols × 390 minutes × 5 trading days, every one applied.
    expect(loop?.note).toContain('5,850 bars applied of 5,850 made;');
    const p99 = s.rows.find((r) => r.name.endsWith('event-loop delay p99'));
    const max = s.rows.find((r) => r.name.endsWith('event-loop delay max'));
    expect(p99?.goal?.text).toBe('< 20 ms');
    expect(max?.median).toBeGreaterThanOrEqual(p99?.median ?? Number.NaN);
    const lines = s.rows.find((r) => r.name === 'threads src lines');
    expect(lines?.goal?.text).toBe('≤ 1,450');
    expect(lines?.note).toContain('backtest.ts');
    expect(lines?.note).not.toContain('.test.ts');
  });

  it('10 server fan-out', async () => {
    const s = await runServe({ symbols: 5, speed: 6000, clients: 3, measureMs: 300, warmupMs: 100 });
    checkSection(s, 10);
    const many = s.rows.find((r) => r.goal?.text === '≤ 3× one client');
    expect(many?.baseline).toMatch(/1 SSE client/);
    const latency = s.rows.find((r) => r.name.startsWith('delivery latency'));
    // Every client received positions the server stamped: latency samples exist and are not negative.
    expect(latency?.samples).toBeGreaterThan(0);
    expect(latency?.median).toBeGreaterThanOrEqual(0);
    const filtered = s.rows.find((r) => r.name.startsWith('bytes: filtered'));
    expect(filtered?.ratio).toBeGreaterThan(0);
    expect(filtered?.ratio).toBeLessThan(1);
  }, 60_000);

  it('11 client', async () => {
    const s = await runClient({ symbols: 6, startMinutes: 20, ticks: 3, warmup: 1 });
    checkSection(s, 11);
    expect(s.rows.find((r) => r.name.endsWith('min+gzip'))?.goal?.text).toBe('≤ 12 KB');
    // Every envelope of the run applied, fingerprint checked.
    expect(s.rows.find((r) => r.name.endsWith('envelopes the client failed to apply'))?.median).toBe(0);
  });

  it('12 data path', async () => {
    const s = await runDataPath({ tcpSymbols: 3, tcpSamples: 1, exportBars: 5000, exportSamples: 1 });
    checkSection(s, 12);
    // The export wrote every bar and the TCP run applied every one (the section throws otherwise).
    expect(s.rows.find((r) => r.name === 'NDJSON over TCP → live session: bars/s')?.goal?.text).toBe(
      '≥ 500,000 bars/s',
    );
  }, 60_000);

  it('13 NATS publisher, followers and clients (a real nats-server)', async () => {
    const s = await runNats({
      symbols: 5,
      speed: 600,
      followers: 2,
      clientsPerFollower: 2,
      measureMs: 300,
      warmupMs: 100,
      catchupSymbols: 6,
      catchupStartMinutes: 20,
      catchupDeltas: 2,
      catchupRuns: 1,
    });
    checkSection(s, 13);
    expect(s.rows.find((r) => r.goal?.text === '≤ 1.5× no clients')?.baseline).toMatch(/no SSE clients/);
    // Clients of the followers received positions the publisher stamped: the latency has samples.
    const latency = s.rows.find((r) => r.name.startsWith('end-to-end latency'));
    expect(latency?.samples).toBeGreaterThan(0);
    expect(latency?.median).toBeGreaterThanOrEqual(0);
    // The catch-up follower loaded one snapshot and applied the positions after it (the section throws
    // otherwise); its row carries the goal.
    expect(s.rows.find((r) => r.name.startsWith('catch-up: follower at the last'))?.goal?.text).toBe('< 1 s');
  }, 90_000);
});
