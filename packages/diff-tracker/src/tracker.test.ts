import { assertJson, type Json, JsonValueError, sealJson } from '@sys/core';
import { describe, expect, it } from 'vitest';
import { diffJson } from './diff.js';
import { jsonByteSize } from './json.js';
import { applyPatch } from './patch.js';
import { DiffTracker } from './tracker.js';

describe('DiffTracker', () => {
  it('first call is complete: one add of the whole state', () => {
    const t = new DiffTracker();
    const r = t.commit({ a: 1 });
    expect(r.first).toBe(true);
    expect(r.ops).toEqual([{ op: 'add', path: '', value: { a: 1 } }]);
    expect(r.view).toEqual({ a: 1 });
  });

  it('an unchanged state gives an empty change set, not the whole state', () => {
    const t = new DiffTracker();
    t.commit({ a: 1, b: { c: [1, 2] } });
    const r = t.commit({ a: 1, b: { c: [1, 2] } });
    expect(r.empty).toBe(true);
    expect(r.ops).toEqual([]);
    expect(r.changedPaths).toEqual([]);
    expect(r.view).toEqual({});
  });

  it('gives only changed keys in the view, appended rows keyed by index, removals listed apart', () => {
    const t = new DiffTracker();
    t.commit({ keep: 1, change: 1, gone: 1, rows: [[1], [2]], nested: { x: 1, y: 2 } });
    const r = t.commit({ keep: 1, change: 2, rows: [[1], [2], [3]], nested: { x: 1, y: 3 } });
    expect(r.view).toEqual({ change: 2, rows: { 2: [3] }, nested: { y: 3 } });
    expect(r.removedPaths).toEqual(['/gone']);
    expect(r.changedPaths).toEqual(['/change', '/rows/2', '/nested/y']);
    expect(r.ops).toEqual([
      { op: 'replace', path: '/change', value: 2 },
      { op: 'add', path: '/rows/-', value: [3] },
      { op: 'replace', path: '/nested/y', value: 3 },
      { op: 'remove', path: '/gone' },
    ]);
  });

  it('resetSnapshot makes the next diff complete again', () => {
    const t = new DiffTracker();
    t.commit({ a: 1 });
    t.resetSnapshot();
    expect(t.computeDiff({ a: 1 }).first).toBe(true);
  });

  it('computeDiff does not store; updateSnapshot does', () => {
    const t = new DiffTracker();
    t.commit({ a: 1 });
    const r = t.computeDiff({ a: 2 });
    expect(t.computeDiff({ a: 2 }).ops).toEqual(r.ops);
    t.updateSnapshot(r.next);
    expect(t.computeDiff({ a: 2 }).empty).toBe(true);
  });

  it('the stored snapshot cannot be changed by later mutation of the producer objects', () => {
    const t = new DiffTracker();
    const producer = { list: [1, 2], inner: { v: 1 } };
    t.commit(producer);
    producer.list.push(3);
    producer.inner.v = 2;
    const r = t.commit(producer);
    expect(r.ops).toEqual([
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'replace', path: '/inner/v', value: 2 },
    ]);
    producer.inner.v = 5;
    expect(t.snapshot).toEqual({ list: [1, 2, 3], inner: { v: 2 } });
    expect(Object.isFrozen(t.snapshot)).toBe(true);
  });

  it('keeps a frozen producer subtree by reference when it holds a mutable child, but still sees that child change', () => {
    const mutable = { n: 1 };
    const frozen = Object.freeze({ m: mutable });
    const t = new DiffTracker();
    t.commit({ f: frozen });
    mutable.n = 2;
    expect(t.commit({ f: frozen }).ops).toEqual([{ op: 'replace', path: '/f/m/n', value: 2 }]);
  });

  it('handles type changes and root replacement', () => {
    const t = new DiffTracker();
    t.commit({ a: [1], b: { c: 1 }, d: 1 });
    const r = t.commit({ a: { x: 1 }, b: [1], d: null });
    expect(r.ops).toEqual([
      { op: 'replace', path: '/a', value: { x: 1 } },
      { op: 'replace', path: '/b', value: [1] },
      { op: 'replace', path: '/d', value: null },
    ]);
    expect(t.commit(7).ops).toEqual([{ op: 'replace', path: '', value: 7 }]);
  });

  it('escapes keys in pointers (RFC 6901)', () => {
    const t = new DiffTracker();
    t.commit({ 'a/b': 1, 'c~d': 1 });
    expect(t.commit({ 'a/b': 2, 'c~d': 2 }).changedPaths).toEqual(['/a~1b', '/c~0d']);
  });
});

describe('values JSON cannot carry are refused with the pointer named', () => {
  const cycle: Record<string, unknown> = { a: {} };
  (cycle.a as Record<string, unknown>).back = cycle;
  const holey = [1, 2, 3];
  delete holey[1];
  const cases: [string, unknown, string, RegExp][] = [
    ['NaN', { a: { b: Number.NaN } }, '/a/b', /NaN/],
    ['Infinity', { a: [1, Number.POSITIVE_INFINITY] }, '/a/1', /Infinity/],
    ['-Infinity', { x: Number.NEGATIVE_INFINITY }, '/x', /-Infinity/],
    ['undefined', { a: undefined }, '/a', /undefined/],
    ['function', { f: () => 1 }, '/f', /function/],
    ['BigInt', { n: 1n }, '/n', /BigInt/],
    ['cycle', cycle, '/a/back', /cycle/],
    ['Date', { d: new Date(0) }, '/d', /Date/],
    ['array hole', { h: holey }, '/h/1', /hole/],
    ['escaped key', { 'a/b': Number.NaN }, '/a~1b', /NaN/],
  ];
  for (const [name, value, pointer, message] of cases) {
    it(`${name} (first snapshot, later diff, and assertJson)`, () => {
      for (const check of [
        () => new DiffTracker().commit(value),
        () => {
          const t = new DiffTracker();
          t.commit({});
          t.commit(value);
        },
        () => assertJson(value),
      ]) {
        let error: unknown;
        try {
          check();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(JsonValueError);
        expect((error as JsonValueError).pointer).toBe(pointer);
        expect((error as Error).message).toMatch(message);
      }
    });
  }

  it('a bad value leaves the stored snapshot as it was', () => {
    const t = new DiffTracker();
    t.commit({ a: 1, b: 2 });
    expect(() => t.commit({ a: 2, b: Number.NaN })).toThrow(JsonValueError);
    expect(t.snapshot).toEqual({ a: 1, b: 2 });
    expect(t.commit({ a: 2, b: 2 }).ops).toEqual([{ op: 'replace', path: '/a', value: 2 }]);
  });
});

/** A frozen object whose field counts how often it is read: proof that a diff did not walk it. */
function watched(counter: { reads: number }, value: number): Json {
  const o = {};
  Object.defineProperty(o, 'v', {
    enumerable: true,
    get() {
      counter.reads++;
      return value;
    },
  });
  return Object.freeze(o) as Json;
}

describe('fast path: work follows the change', () => {
  it('skips a subtree that is the same frozen object', () => {
    const counter = { reads: 0 };
    const heavy = Object.freeze({
      rows: Object.freeze(Array.from({ length: 100 }, (_, i) => watched(counter, i))),
    });
    const t = new DiffTracker();
    t.commit({ heavy, n: 1 });
    const readsAfterFirst = counter.reads;
    expect(readsAfterFirst).toBeGreaterThan(0);
    const r = t.commit({ heavy, n: 2 });
    expect(r.ops).toEqual([{ op: 'replace', path: '/n', value: 2 }]);
    expect(counter.reads).toBe(readsAfterFirst);
  });

  it('treats an array whose old rows are a prefix of the new (same references) as an append', () => {
    const counter = { reads: 0 };
    const rows = Array.from({ length: 500 }, (_, i) => watched(counter, i));
    const t = new DiffTracker();
    t.commit({ rows: Object.freeze(rows.slice()) });
    const before = counter.reads;
    const extra = Object.freeze({ v: 500 });
    const r = t.commit({ rows: Object.freeze([...rows, extra]) });
    expect(r.ops).toEqual([{ op: 'add', path: '/rows/-', value: { v: 500 } }]);
    expect(counter.reads).toBe(before);
  });

  it('the new snapshot shares every unchanged subtree with the old one', () => {
    const a = sealJson({ x: { big: [1, 2, 3] }, y: { n: 1 } }) as { x: Json; y: Json };
    const d = diffJson(a, { x: a.x, y: { n: 2 } });
    expect((d.next as { x: Json }).x).toBe(a.x);
  });

  it('jsonByteSize equals the length of JSON.stringify', () => {
    const v = sealJson({
      s: 'a"b\\c\u00e9\u20ac',
      n: [0, -1.5, 1e21, 123456789012, 5e-7],
      t: true,
      f: false,
      z: null,
      o: {},
    });
    expect(jsonByteSize(v)).toBe(Buffer.byteLength(JSON.stringify(v)));
  });

  it('diff output applies exactly with applyPatch', () => {
    const t = new DiffTracker();
    const a = { list: [1, 2, 3, 4], m: { a: 1, b: 2 } };
    const first = t.commit(a);
    const b = { list: [1, 9], m: { b: 3, c: [1] } };
    const r = t.commit(b);
    expect(applyPatch(first.view, r.ops)).toEqual(b);
  });
});
