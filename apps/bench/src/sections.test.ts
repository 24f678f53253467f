import { describe, expect, it } from 'vitest';
import { formatSection, type Row, type SectionResult } from './harness.js';
import { runColumnar } from './sections/columnar.js';
import { runDelta } from './sections/delta.js';
import { runE2e } from './sections/e2e.js';
import { runFanout } from './sections/fanout.js';
import { runIngest } from './sections/ingest.js';
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
    checkSection(await runIngest({ symbols: 4, minuteSymbols: 3, timing: once, slowTiming: once }), 3);
  });

  it('4 columnar', async () => {
    checkSection(await runColumnar({ symbols: 2, timing: once }), 4);
  });

  it('5 end to end', async () => {
    checkSection(await runE2e({ symbols: 3, samples: 1, warmup: 0 }), 5);
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
});
