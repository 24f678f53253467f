import type { Json } from '@sys/core';
import { type DiffResult, DiffTracker } from '@sys/diff-tracker';
import { diff as deepObjectDiff } from 'deep-object-diff';
import jsonPatch from 'fast-json-patch';
import { create as createDiffPatcher } from 'jsondiffpatch';
import microdiff from 'microdiff';
import { deepCopy, syntheticDay, tickingState, wireBytes } from '../data.js';
import {
  atLeast,
  below,
  both,
  figure,
  gc,
  measure,
  type Row,
  type SampleOptions,
  type SectionResult,
  summarize,
  timed,
  withRatios,
} from '../harness.js';

/** Sizes of section 1. */
export interface DeltaSizes {
  readonly symbols: number;
  readonly startMinutes: number;
  /** Shares of symbols changing per tick, e.g. [0, 0.01, 0.1, 1]. */
  readonly changes: readonly number[];
  /** States prepared per change level (ticks cycle through them). */
  readonly ticks: number;
  readonly ours: SampleOptions;
  /** The plan's approach and the peers (each call walks and copies the whole state). */
  readonly peers: SampleOptions;
  /** jsondiffpatch: its array LCS makes one call take seconds on the full state. */
  readonly slowPeers: SampleOptions;
}

/** The full run: 1,000 symbols with 200 minutes of bars each (≈ 14 MB of debug JSON). */
export const DELTA_FULL: DeltaSizes = {
  symbols: 1000,
  startMinutes: 200,
  changes: [0, 0.01, 0.1, 1],
  ticks: 60,
  ours: { minSamples: 40, timeMs: 400, warmup: 10 },
  peers: { minSamples: 5, timeMs: 0, warmup: 1 },
  slowPeers: { minSamples: 3, timeMs: 0, warmup: 1 },
};

/** Quick mode: the same cases on 40 symbols. */
export const DELTA_QUICK: DeltaSizes = {
  symbols: 40,
  startMinutes: 40,
  changes: [0, 0.01, 0.1, 1],
  ticks: 20,
  ours: { minSamples: 15, timeMs: 20, warmup: 3 },
  peers: { minSamples: 3, timeMs: 0, warmup: 1 },
  slowPeers: { minSamples: 2, timeMs: 0, warmup: 1 },
};

/** One way of producing a delta: keep what it needs between ticks, return what goes on the wire. */
interface Contender {
  readonly name: string;
  readonly slow?: boolean;
  /** The previous state is `state` (untimed). */
  init(state: Json): void;
  /** The delta from the previous state to `state`; it becomes the previous state. */
  step(state: Json): unknown;
  /** What goes on the wire from a step's result (default: the result itself). */
  wire?(out: unknown): unknown;
  /** A second face of the same delta, sized apart (ours: the plan-style partial object). */
  view?(out: unknown): unknown;
}

const isEmpty = (o: object) => Object.keys(o).length === 0;

/** The plan's DiffTracker at one level: deep copy as snapshot, deep-object-diff, `diff if diff else data`. */
class PlanLevel {
  #snapshot: object = {};
  reset(data: object): void {
    this.#snapshot = deepCopy(data);
  }
  toJson(data: object): object {
    const d = deepObjectDiff(this.#snapshot, data);
    this.#snapshot = deepCopy(data);
    return isEmpty(d) ? data : d;
  }
}

interface Layout {
  readonly session_data: {
    readonly system: Json;
    readonly session: Json;
    readonly symbols: Readonly<Record<string, object>>;
  };
}

/**
 * The plan as it nests (SystemManager → SessionData → SymbolSessionData): each symbol diffs its data against
 * its deep-copied snapshot; SessionData builds its data from the symbols' results (diffs, or whole data when
 * unchanged) and diffs that again; SystemManager does the same with session_data's result.
 */
class PlanNested {
  readonly #symbols = new Map<string, PlanLevel>();
  readonly #session = new PlanLevel();
  readonly #top = new PlanLevel();

  run(state: Json, init: boolean): unknown {
    const top = state as unknown as Layout & Record<string, Json>;
    const sd = top.session_data;
    const symbols: Record<string, object> = {};
    for (const name in sd.symbols) {
      const data = sd.symbols[name] as object;
      let level = this.#symbols.get(name);
      if (level === undefined) {
        level = new PlanLevel();
        this.#symbols.set(name, level);
      }
      if (init) {
        level.reset(data);
        symbols[name] = data;
      } else {
        symbols[name] = level.toJson(data);
      }
    }
    const sessionData = { system: sd.system, session: sd.session, symbols };
    let sessionOut: object = sessionData;
    if (init) this.#session.reset(sessionData);
    else sessionOut = this.#session.toJson(sessionData);
    const topData = { ...top, session_data: sessionOut };
    if (init) {
      this.#top.reset(topData);
      return topData;
    }
    return this.#top.toJson(topData);
  }
}

function contenders(): Contender[] {
  let tracker = new DiffTracker();
  let nested = new PlanNested();
  const flat = new PlanLevel();
  let prev: Json = null;
  const jdp = createDiffPatcher();
  // Peers that compare two documents keep a deep copy of the previous one, as a program with a mutable
  // state must (the copy is part of their time, as it is of the plan's).
  const copying = (name: string, diff: (a: Json, b: Json) => unknown, slow = false): Contender => ({
    name,
    slow,
    init(state) {
      prev = deepCopy(state);
    },
    step(state) {
      const out = diff(prev, state);
      prev = deepCopy(state);
      return out;
    },
  });
  return [
    {
      name: '@sys/diff-tracker DiffTracker.commit',
      init(state) {
        tracker = new DiffTracker();
        tracker.commit(state);
      },
      step(state) {
        return tracker.commit(state);
      },
      wire: (out) => (out as DiffResult).ops,
      view: (out) => (out as DiffResult).view,
    },
    {
      name: 'plan: copy + deep-object-diff, nested (baseline)',
      init(state) {
        nested = new PlanNested();
        nested.run(state, true);
      },
      step(state) {
        return nested.run(state, false);
      },
    },
    {
      name: 'plan, flat: copy + deep-object-diff once',
      init(state) {
        flat.reset(state as object);
      },
      step(state) {
        return flat.toJson(state as object);
      },
    },
    copying('fast-json-patch compare + copy', (a, b) => jsonPatch.compare(a as object, b as object)),
    copying('microdiff + copy', (a, b) =>
      microdiff(a as Record<string, unknown>, b as Record<string, unknown>),
    ),
    copying('jsondiffpatch diff + copy', (a, b) => jdp.diff(a, b), true),
  ];
}

const BASELINE = 'plan: copy + deep-object-diff, nested (baseline)';
const OURS = '@sys/diff-tracker DiffTracker.commit';
const READ_PATH = 'read path: SessionData.toJson + DiffTracker.commit';

/** Section 1: delta cost and bytes per delta, ours against the plan's approach and the peers. */
export async function runDelta(sizes: DeltaSizes): Promise<SectionResult> {
  const day = syntheticDay(sizes.symbols);
  const rows: Row[] = [];
  const notes: string[] = [];
  let stateBytes = 0;
  for (const change of sizes.changes) {
    const pct = `${+(change * 100).toFixed(2)}%`;
    const ts = tickingState(
      { symbols: sizes.symbols, startMinutes: sizes.startMinutes, changeFraction: change },
      day,
    );
    // The states every contender is fed, in order; the read path (toJson + commit) is timed while making them.
    const states: Json[] = [ts.state()];
    const reader = new DiffTracker();
    reader.commit(states[0] as Json);
    const readSamples: number[] = [];
    const ticks = Math.min(sizes.ticks, ts.ticksLeft);
    for (let t = 0; t < ticks; t++) {
      ts.tick();
      const t0 = performance.now();
      const s = ts.state();
      reader.commit(s);
      readSamples.push(performance.now() - t0);
      states.push(s);
    }
    stateBytes = wireBytes(states.at(-1));
    const level: Row[] = [];
    const bytes: Row[] = [];
    for (const c of contenders()) {
      let k = 0;
      let out: unknown;
      const sizesOut: number[] = [];
      const viewSizes: number[] = [];
      const t = measure(
        `${pct} ${c.name}`,
        () => {
          out = c.step(states[k] as Json);
        },
        {
          ...(c.slow ? sizes.slowPeers : c.name === OURS ? sizes.ours : sizes.peers),
          // Wire size of the first few deltas, measured outside the timed window.
          afterEach() {
            if (sizesOut.length >= 5) return;
            sizesOut.push(wireBytes(c.wire === undefined ? out : c.wire(out)));
            if (c.view !== undefined) viewSizes.push(wireBytes(c.view(out)));
          },
          beforeEach() {
            if (k === 0 || k >= states.length - 1) {
              c.init(states[0] as Json);
              k = 1;
            } else {
              k++;
            }
          },
        },
      );
      level.push(timed(`${pct} · ${c.name}`, t, { baseline: `${pct} · ${BASELINE}` }));
      bytes.push(
        figure(
          `${pct} · bytes on the wire · ${c.name.replace(/ \+ copy$/, '')}`,
          summarize(sizesOut).median,
          'bytes',
          'lower',
          {
            baseline: `${pct} · bytes on the wire · ${BASELINE}`,
          },
        ),
      );
      if (viewSizes.length > 0) {
        bytes.push(
          figure(
            `${pct} · bytes on the wire · ${c.name} · partial-object view`,
            summarize(viewSizes).median,
            'bytes',
            'lower',
            {
              baseline: `${pct} · bytes on the wire · ${BASELINE}`,
              note: 'the same delta as the plan-style partial object (what toJson returns), not RFC 6902 ops',
            },
          ),
        );
      }
      out = undefined;
      gc();
    }
    const copy = measure(`${pct} deep copy`, () => deepCopy(states.at(-1)), sizes.peers);
    level.push(
      timed(`${pct} · (deep copy of the state alone, inside the plan's and peers' times)`, copy),
      timed(`${pct} · ${READ_PATH}`, summarize(readSamples.slice(3)), {
        baseline: `${pct} · ${BASELINE}`,
      }),
    );
    rows.push(...withGoals(withRatios([...level, ...bytes]), change, pct));
  }
  notes.push(
    `state: ${sizes.symbols} SYNTHETIC symbols (seeded) × ${sizes.startMinutes} minutes of 1m bars + 5m/15m/30m/1h, debug JSON ${(stateBytes / 1e6).toFixed(1)} MB, built by SessionData`,
    'a tick gives the next N% of symbols one new 1m bar; 0% = the state is unchanged (the same frozen object)',
    'every contender is fed the same states in the same order; bytes = compact JSON of one delta as the library emits it (ours: RFC 6902 ops, whose repeated paths make them larger than a nested partial object when many symbols change; the partial-object view is sized too)',
    "the plan's 0% output is the whole state: it returns `diff if diff else data`",
    `read path = what a reader pays per tick: SessionData.toJson({ debug }) over ${sizes.symbols} symbols (cached objects) plus DiffTracker.commit`,
    'partial-object view = the same delta as the plan-style partial object (what toJson returns), not RFC 6902 ops',
  );
  return {
    id: 1,
    title: `Delta cost on a ${sizes.symbols.toLocaleString('en-US')}-symbol debug state`,
    rows,
    notes,
  };
}

function withGoals(rows: Row[], change: number, pct: string): Row[] {
  return rows.map((r) => {
    if (r.name === `${pct} · ${READ_PATH}`) {
      if (change === 0) return { ...r, goal: below('< 0.05 ms unchanged', r.median, 0.05) };
      if (change === 0.01) return { ...r, goal: below('< 1 ms', r.median, 1) };
      return r;
    }
    if (r.name !== `${pct} · ${OURS}`) return r;
    if (change === 0) return { ...r, goal: below('< 0.05 ms unchanged', r.median, 0.05) };
    if (change === 0.01) {
      const speedup = r.ratio === undefined ? 0 : 1 / r.ratio;
      return {
        ...r,
        goal: both(below('< 1 ms', r.median, 1), atLeast('≥ 100× faster than the plan', speedup, 100)),
      };
    }
    return r;
  });
}
