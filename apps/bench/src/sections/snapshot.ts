import type { Json } from '@sys/core';
import { ChangeFeed } from '@sys/diff-tracker';
import { tickingState, wireBytes } from '../data.js';
import {
  atMost,
  measure,
  type Row,
  type SampleOptions,
  type SectionResult,
  timed,
  withRatios,
} from '../harness.js';
import { syntheticSystem } from './e2e.js';

/** Sizes of section 2. */
export interface SnapshotSizes {
  /** Symbols of the finished synthetic day read through SystemManager.toJson. */
  readonly systemSymbols: number;
  /** Symbols of the ticking debug state read through a ChangeFeed while it changes. */
  readonly feedSymbols: number;
  readonly startMinutes: number;
  readonly timing: SampleOptions;
}

/** The full run. */
export const SNAPSHOT_FULL: SnapshotSizes = {
  systemSymbols: 500,
  feedSymbols: 1000,
  startMinutes: 200,
  timing: { minSamples: 7, timeMs: 1000, warmup: 2 },
};

/** Quick mode. */
export const SNAPSHOT_QUICK: SnapshotSizes = {
  systemSymbols: 10,
  feedSymbols: 40,
  startMinutes: 60,
  timing: { minSamples: 5, timeMs: 20, warmup: 1 },
};

const GOAL = '≤ 1.5× the stringify floor';

function pair(rows: Row[], label: string, ours: () => unknown, floor: () => unknown, o: SampleOptions): void {
  // Warm both paths first, so whichever is timed first does not pay for the JIT and the other's garbage.
  for (let i = 0; i < o.warmup; i++) {
    floor();
    ours();
  }
  const f = measure(`${label} floor`, floor, o);
  const t = measure(`${label} ours`, ours, o);
  const base = `${label} · JSON.stringify alone (floor)`;
  rows.push(
    timed(base, f),
    timed(`${label} · toJson({ complete: true }) + JSON.stringify`, t, {
      baseline: base,
      goal: atMost(GOAL, t.median / f.median, 1.5),
    }),
  );
}

/** Section 2: a complete snapshot costs little more than serialising the object it returns. */
export async function runSnapshot(sizes: SnapshotSizes): Promise<SectionResult> {
  const rows: Row[] = [];
  const system = syntheticSystem(sizes.systemSymbols);
  await system.start();
  await system.done();
  for (const debug of [false, true]) {
    const label = `SystemManager, ${sizes.systemSymbols} symbols, finished day${debug ? ', debug' : ''}`;
    const same = system.toJson({ complete: true, debug, consumer: 'snapshot' });
    pair(
      rows,
      label,
      () => JSON.stringify(system.toJson({ complete: true, debug, consumer: 'snapshot' })),
      () => JSON.stringify(same),
      sizes.timing,
    );
  }
  const bytesFinished = wireBytes(system.toJson({ complete: true, debug: true, consumer: 'snapshot' }));
  await system.stop();

  // While the state moves: 1% of symbols get a bar before each read, so the feed samples a changed state.
  const ts = tickingState({
    symbols: sizes.feedSymbols,
    startMinutes: sizes.startMinutes,
    changeFraction: 0.01,
  });
  const feed = new ChangeFeed(() => ts.state());
  feed.read('snapshot', { complete: true, debug: true });
  let current: Json = null;
  const label = `ChangeFeed over SessionData, ${sizes.feedSymbols} symbols, debug, 1% changed since the last read`;
  const f = measure(`${label} floor`, () => JSON.stringify(current), {
    ...sizes.timing,
    beforeEach() {
      ts.tick();
      current = ts.state();
    },
  });
  const t = measure(
    `${label} ours`,
    () => JSON.stringify(feed.read('snapshot', { complete: true, debug: true }).envelope),
    { ...sizes.timing, beforeEach: () => ts.tick() },
  );
  const base = `${label} · JSON.stringify alone (floor)`;
  rows.push(
    timed(base, f, { note: 'the floor is given the state already built (toJson outside the time)' }),
    timed(`${label} · read({ complete: true }) + JSON.stringify`, t, {
      baseline: base,
      goal: atMost(GOAL, t.median / f.median, 1.5),
      note: 'includes SessionData.toJson, the feed sampling the change and the envelope',
    }),
  );
  return {
    id: 2,
    title: 'Complete snapshot versus the JSON.stringify floor',
    rows: withRatios(rows),
    notes: [
      `SYNTHETIC data (seeded); finished-day debug snapshot ${(bytesFinished / 1e6).toFixed(1)} MB`,
      'floor = JSON.stringify of the very object toJson returned; the ratio is the cost of producing it',
    ],
  };
}
