import { fc, test } from '@fast-check/vitest';
import { type Json, parsePointer, sealJson } from '@sys/core';
import { diff as deepObjectDiff } from 'deep-object-diff';
import { describe, expect } from 'vitest';
import { buildJson, diffJson, measureJson, patchByteSize } from './diff.js';
import { ChangeFeed, type Envelope } from './feed.js';
import { fingerprint } from './fingerprint.js';
import { jsonByteSize, knownByteSize, utf8Length } from './json.js';
import { applyPatch } from './patch.js';
import { DiffTracker } from './tracker.js';

const RUNS = 1000;
/** Any fingerprint has 16 hex digits: a stand-in for sizing an envelope built here. */
const FP_SHAPE = '0123456789abcdef';

/** JSON round trip: the form a consumer would hold (-0 becomes 0, key order as written). */
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

type Mutable = Record<string, unknown> | unknown[];

/** One random edit of a document: the kinds of change a state goes through. */
const mutation = fc.record({
  kind: fc.constantFrom('set', 'delete', 'push', 'shrink', 'reorder', 'retype', 'null', 'freeze'),
  pick: fc.nat(),
  key: fc.constantFrom('a', 'b', 'c', 'rows', 'x/y', 'm~n', '__proto__', ''),
  value: fc.jsonValue({ maxDepth: 2 }),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function containers(doc: unknown, out: Mutable[] = []): Mutable[] {
  if (doc !== null && typeof doc === 'object') {
    out.push(doc as Mutable);
    for (const v of Object.values(doc)) containers(v, out);
  }
  return out;
}

/**
 * Applies one edit. Half the time the producer edits its own objects in place (the tracker must copy what
 * it keeps); otherwise it works on a fresh copy. `freeze` hands over frozen objects (the fast path).
 */
function mutate(doc: unknown, m: Mutation, inPlace: boolean): unknown {
  if (m.kind === 'freeze') return deepFreeze(structuredClone(doc));
  let root = inPlace && !Object.isFrozen(doc) ? doc : structuredClone(doc);
  if (root === null || typeof root !== 'object') root = { a: root };
  const all = containers(root);
  const target = all[m.pick % all.length] as Mutable;
  if (Array.isArray(target)) {
    const i = target.length === 0 ? 0 : m.pick % target.length;
    if (m.kind === 'set') target[i] = m.value;
    else if (m.kind === 'delete') target.splice(i, 1);
    else if (m.kind === 'push') target.push(m.value, m.value);
    else if (m.kind === 'shrink') target.length = Math.floor(target.length / 2);
    else if (m.kind === 'null') target[i] = null;
    else if (m.kind === 'retype') return target === root ? { rows: target } : root;
  } else {
    const keys = Object.keys(target);
    const k = keys.length === 0 ? m.key : (keys[m.pick % keys.length] as string);
    if (m.kind === 'set')
      Object.defineProperty(target, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else if (m.kind === 'delete') delete target[k];
    else if (m.kind === 'push')
      Object.defineProperty(target, m.key, {
        value: [m.value],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else if (m.kind === 'shrink') for (const key of keys.slice(keys.length / 2)) delete target[key];
    else if (m.kind === 'reorder') {
      const entries = Object.entries(target).reverse();
      for (const key of keys) delete target[key];
      for (const [key, v] of entries)
        Object.defineProperty(target, key, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    } else if (m.kind === 'null')
      Object.defineProperty(target, k, { value: null, enumerable: true, writable: true, configurable: true });
    else if (m.kind === 'retype') return target === root ? [root] : root;
  }
  return root;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const c of Object.values(v)) deepFreeze(c);
    Object.freeze(v);
  }
  return v;
}

const history = fc.tuple(
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(mutation, { minLength: 1, maxLength: 12 }),
  fc.boolean(),
);

describe('central invariant: applying every delta in order to the first snapshot gives the latest state', () => {
  test.prop([history], { numRuns: RUNS })('one tracker, documents A → B → C …', ([start, edits, inPlace]) => {
    const t = new DiffTracker();
    let doc: unknown = start;
    let held = wire(t.commit(doc).view) as Json;
    for (const m of edits) {
      doc = mutate(doc, m, inPlace);
      const expected = wire(doc);
      const r = t.commit(doc);
      held = applyPatch(held, r.ops);
      expect(wire(held)).toEqual(expected);
      expect(r.empty).toBe(r.ops.length === 0);
    }
  });

  test.prop([history, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 })], { numRuns: RUNS })(
    'two consumers reading at different times each reconstruct the state exactly',
    ([start, edits, inPlace], readsB) => {
      let doc: unknown = start;
      const feed = new ChangeFeed(() => doc, { epoch: 'e1' });
      const held: Record<string, Json | undefined> = {};
      const seqs: Record<string, number> = {};
      const read = (name: string) => {
        const { envelope } = feed.read(name);
        if (envelope.t === 'snapshot') {
          held[name] = wire(envelope.state) as Json;
          seqs[name] = envelope.seq;
        } else {
          expect(envelope.from).toBe(seqs[name]);
          held[name] = applyPatch(held[name] as Json, envelope.ops);
          seqs[name] = envelope.to;
        }
        expect(wire(held[name])).toEqual(wire(doc));
      };
      read('A');
      edits.forEach((m, i) => {
        doc = mutate(doc, m, inPlace);
        read('A');
        if (readsB[i]) read('B');
      });
      read('B');
    },
  );
});

/** Value at a pointer, or undefined. */
function at(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const t of parsePointer(pointer)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, t)) return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

const hasUndefined = (v: unknown): boolean =>
  v === undefined || (v !== null && typeof v === 'object' && Object.values(v).some(hasUndefined));

test.prop([history], { numRuns: RUNS })(
  'the view agrees with deep-object-diff wherever deep-object-diff can express the change',
  ([start, edits]) => {
    const a = wire(start);
    let b: unknown = a;
    for (const m of edits) b = mutate(b, m, false);
    b = wire(b);
    const t = new DiffTracker();
    t.commit(a);
    const r = t.commit(b);
    const oracle = deepObjectDiff(a as object, b as object);
    // deep-object-diff cannot express deletions or array shrinkage (undefined is lost in JSON), nor a
    // change between an array and an object (it diffs them key by key).
    const kindChange = r.ops.some((op) => {
      if (op.op !== 'replace') return false;
      const old = at(a, op.path);
      const now = op.value;
      return (
        old !== null &&
        typeof old === 'object' &&
        now !== null &&
        typeof now === 'object' &&
        Array.isArray(old) !== Array.isArray(now)
      );
    });
    fc.pre(r.removedPaths.length === 0 && !hasUndefined(oracle) && !kindChange);
    expect(wire(r.view)).toEqual(wire(oracle));
  },
);

test.prop(
  [
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -1e6, max: 1e8 }).map((c) => c / 100),
      fc.integer({ min: -1e9, max: 1e9 }).map((c) => c / 10_000),
    ),
  ],
  { numRuns: 20_000 },
)('jsonByteSize of a number equals the length of its JSON text', (n) => {
  expect(jsonByteSize(n)).toBe(JSON.stringify(n).length);
});

test.prop([history], { numRuns: RUNS })(
  'patchByteSize equals the length of the patch as JSON text',
  ([start, edits]) => {
    const t = new DiffTracker();
    let doc: unknown = start;
    t.commit(doc);
    for (const m of edits) {
      doc = mutate(doc, m, false);
      const { ops } = t.commit(doc);
      expect(patchByteSize(ops)).toBe(Buffer.byteLength(JSON.stringify(ops)));
    }
  },
);

/** Length of the compact JSON text of a value. */
const textBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

describe('a read measures a change before building it: the measure must be what building gives', () => {
  test.prop([history, fc.boolean(), fc.boolean()], { numRuns: RUNS })(
    'measureJson counts, sizes and keeps what diffJson gives, and building from its result gives the same diff',
    ([start, edits, inPlace], sizeFirst, buildNow) => {
      let prev = sealJson(start);
      // With the old state's size known, each new state's size is derived from it, step after step.
      if (sizeFirst && prev !== null && typeof prev === 'object') jsonByteSize(prev);
      let doc: unknown = start;
      for (const m of edits) {
        doc = mutate(doc, m, inPlace);
        const sized = prev !== null && typeof prev === 'object' && knownByteSize(prev) !== undefined;
        // Measured first: diffJson marks the producer's frozen nodes sealed, which would hide that path.
        const r = measureJson(prev, doc, buildNow);
        const d = diffJson(prev, doc);
        expect(r.opCount).toBe(d.ops.length);
        expect(r.patchBytes).toBe(textBytes(d.ops));
        expect(r.patchBytes).toBe(patchByteSize(d.ops));
        expect(r.displacedBytes).toBe(d.displacedBytes);
        expect(wire(r.next)).toEqual(wire(d.next));
        expect(r.next === prev).toBe(d.next === prev);
        const later = buildJson(prev, r.next);
        expect(later.next).toBe(r.next);
        for (const b of r.diff === undefined ? [later] : [later, r.diff]) {
          expect(b.ops).toEqual(d.ops);
          expect(b.changedPaths).toEqual(d.changedPaths);
          expect(b.removedPaths).toEqual(d.removedPaths);
          expect(wire(b.view)).toEqual(wire(d.view));
        }
        expect(r.diff === undefined).toBe(!buildNow);
        if (sized && r.next !== null && typeof r.next === 'object') {
          expect(jsonByteSize(r.next)).toBe(textBytes(r.next));
        }
        prev = r.next;
      }
    },
  );

  test.prop([history], { numRuns: RUNS })(
    'the size of each state derived along a chain of measures stays exact',
    ([start, edits]) => {
      let prev = sealJson({ root: start });
      jsonByteSize(prev);
      let doc: unknown = { root: start };
      for (const m of edits) {
        doc = mutate(doc, m, false);
        prev = measureJson(prev, doc).next;
        if (prev !== null && typeof prev === 'object') expect(jsonByteSize(prev)).toBe(textBytes(prev));
      }
    },
  );
});

/** Decimals near the edges of the fast sizing of numbers: cents, many places, powers of ten, tiny values. */
const decimal = fc.oneof(
  fc.integer({ min: -1e9, max: 1e9 }).map((c) => c / 1000),
  fc.integer({ min: -1e12, max: 1e12 }).map((c) => c / 1e6),
  fc.integer({ min: 1, max: 99_999_999 }).map((c) => c / 1e7),
  fc.integer({ min: 1, max: 9_999 }).map((c) => c / 1e9),
  fc
    .tuple(fc.integer({ min: -8, max: 9 }), fc.integer({ min: -4, max: 4 }), fc.boolean())
    .map(([e, d, neg]) => (neg ? -1 : 1) * (10 ** e + d * 10 ** e * Number.EPSILON)),
  fc.double({ min: 1e-7, max: 1e10, noNaN: true }),
  fc.double({ min: -1e10, max: -1e-7, noNaN: true }),
);

test.prop([fc.array(decimal, { minLength: 1, maxLength: 50 })], { numRuns: 5_000 })(
  'the size of a decimal is the length of its JSON text, the first time and when remembered',
  (ns) => {
    for (const n of ns) expect(jsonByteSize(n)).toBe(JSON.stringify(n).length);
    for (const n of [...ns].reverse()) expect(jsonByteSize(n)).toBe(JSON.stringify(n).length);
  },
);

test.prop([history, fc.array(fc.nat({ max: 7 }), { minLength: 12, maxLength: 12 })], { numRuns: RUNS })(
  'every read is sized exactly, and a snapshot replaces a delta only when the delta is larger',
  ([start, edits, inPlace], readers) => {
    let doc: unknown = start;
    const feed = new ChangeFeed(() => doc, { epoch: 'e1' });
    const held = new Map<string, { state: Json; seq: number }>();
    // The feed compares a delta with the size of a snapshot measured at some earlier step (exactly, when
    // the delta is at least a quarter of it): the largest snapshot seen bounds that.
    let largestSnapshot = 0;
    const read = (name: string) => {
      const before = held.get(name);
      const r = feed.read(name);
      const e: Envelope = r.envelope;
      expect(r.sizeBytes).toBe(textBytes(e));
      const snapshotBytes = textBytes({
        t: 'snapshot',
        epoch: 'e1',
        seq: feed.seq,
        reason: 'delta_larger',
        state: doc,
        fp: FP_SHAPE,
      });
      largestSnapshot = Math.max(largestSnapshot, snapshotBytes);
      if (e.t === 'snapshot') {
        if (e.reason === 'delta_larger' && before !== undefined) {
          const ops = diffJson(sealJson(before.state), doc).ops;
          const deltaBytes = textBytes({
            t: 'delta',
            epoch: 'e1',
            from: before.seq,
            to: e.seq,
            ops,
            fp: FP_SHAPE,
          });
          expect(deltaBytes).toBeGreaterThan(snapshotBytes);
        }
        held.set(name, { state: wire(e.state) as Json, seq: e.seq });
      } else {
        if (e.ops.length > 0) {
          expect(r.sizeBytes <= snapshotBytes || r.sizeBytes * 4 <= largestSnapshot).toBe(true);
        }
        held.set(name, { state: applyPatch(before?.state ?? null, e.ops), seq: e.to });
      }
      expect(wire(held.get(name)?.state)).toEqual(wire(doc));
      // The fingerprint is of the state after the envelope: from scratch on a copy of the producer's state,
      // and incrementally on the consumer's copy sealed after each apply (sharing untouched nodes).
      expect(e.fp).toBe(fingerprint(wire(doc) as Json));
      const sealed = sealJson(held.get(name)?.state);
      held.set(name, { state: sealed, seq: held.get(name)?.seq ?? 0 });
      expect(fingerprint(sealed)).toBe(e.fp);
    };
    read('a');
    edits.forEach((m, i) => {
      doc = mutate(doc, m, inPlace);
      const mask = readers[i] ?? 0;
      if (mask & 1) read('a');
      if (mask & 2) read('b');
      if (mask & 4) read('c');
    });
    for (const name of ['a', 'b', 'c']) read(name);
  },
);

test.prop([fc.string({ unit: 'binary' })], { numRuns: 2_000 })(
  'utf8Length is the length of the bytes TextEncoder writes (a lone surrogate as U+FFFD)',
  (s) => {
    expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
  },
);
