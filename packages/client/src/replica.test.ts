import { type Json, sealJson } from '@sys/core';
import { ChangeFeed, fingerprint } from '@sys/diff-tracker';
import { describe, expect, it } from 'vitest';
import { Replica } from './replica.js';

const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('Replica', () => {
  it('follows a ChangeFeed exactly, sharing every subtree a delta did not touch', () => {
    let doc: Json = sealJson({ a: { x: 1 }, b: { y: [1, 2] }, c: 'k' });
    const feed = new ChangeFeed(() => doc, { epoch: 'E' });
    const r = new Replica();
    expect(r.apply(wire(feed.read('c').envelope))).toMatchObject({ kind: 'applied', changedPaths: [''] });
    expect(r.position).toBe(`E:${feed.seq}`);
    const before = r.state as { a: Json; b: Json };
    doc = sealJson({ ...(doc as object), b: { y: [1, 2, 3] } });
    const out = r.apply(wire(feed.read('c').envelope));
    expect(out).toMatchObject({ kind: 'applied', changedPaths: ['/b/y/-'] });
    const after = r.state as { a: Json; b: Json };
    expect(after).toEqual(doc);
    expect(after.a).toBe(before.a);
    expect(after.b).not.toBe(before.b);
    expect(Object.isFrozen(after.b)).toBe(true);
    expect(fingerprint(r.state)).toBe(fingerprint(wire(doc) as Json));
  });

  it('applies atomically: a failing op or a wrong fingerprint leaves the copy and position as they were', () => {
    const r = new Replica();
    const state = { n: 1, m: { k: 2 } };
    r.apply({ t: 'snapshot', epoch: 'E', seq: 1, reason: 'new_consumer', state, fp: fingerprint(state) });
    const held = r.state;
    const bad = r.apply({
      t: 'delta',
      epoch: 'E',
      from: 1,
      to: 2,
      ops: [
        { op: 'replace', path: '/n', value: 5 },
        { op: 'remove', path: '/missing' },
      ],
    });
    expect(bad).toMatchObject({ kind: 'resync', reason: 'apply_failed' });
    expect(r.state).toBe(held);
    expect(r.position).toBe('E:1');
    const wrong = r.apply({
      t: 'delta',
      epoch: 'E',
      from: 1,
      to: 2,
      ops: [{ op: 'replace', path: '/n', value: 6 }],
      fp: fingerprint({ n: 5, m: { k: 2 } }),
    });
    expect(wrong).toMatchObject({ kind: 'resync', reason: 'fingerprint_mismatch' });
    expect(r.state).toBe(held);
    const right = r.apply({
      t: 'delta',
      epoch: 'E',
      from: 1,
      to: 2,
      ops: [{ op: 'replace', path: '/n', value: 5 }],
      fp: fingerprint({ n: 5, m: { k: 2 } }),
    });
    expect(right.kind).toBe('applied');
    expect((r.state as { m: Json }).m).toBe((held as { m: Json }).m);
  });

  it('ignores duplicates and empty deltas, resyncs on a gap, another epoch or a malformed envelope', () => {
    const r = new Replica();
    r.apply({ t: 'snapshot', epoch: 'E', seq: 5, reason: 'new_consumer', state: { n: 0 } });
    const d = (from: number, to: number, epoch = 'E') => ({
      t: 'delta',
      epoch,
      from,
      to,
      ops: [{ op: 'replace', path: '/n', value: to }],
    });
    expect(r.apply(d(5, 6)).kind).toBe('applied');
    expect(r.apply(d(5, 6))).toEqual({ kind: 'ignored', duplicate: true });
    expect(r.apply({ t: 'delta', epoch: 'E', from: 6, to: 6, ops: [] })).toEqual({
      kind: 'ignored',
      duplicate: false,
    });
    expect(r.apply(d(7, 8))).toMatchObject({ kind: 'resync', reason: 'gap' });
    expect(r.apply(d(6, 7, 'F'))).toMatchObject({ kind: 'resync', reason: 'epoch_changed' });
    for (const junk of [null, 'x', { t: 'delta', epoch: 'E', from: 6, to: 7 }, { t: 'what', epoch: 'E' }]) {
      expect(r.apply(junk)).toMatchObject({ kind: 'resync', reason: 'bad_envelope' });
    }
    expect(r.state).toEqual({ n: 6 });
    r.reset();
    // Waiting for a snapshot: deltas mean nothing until it comes.
    expect(r.apply(d(6, 7))).toEqual({ kind: 'ignored', duplicate: false });
    expect(r.position).toBeUndefined();
    expect(
      r.apply({ t: 'snapshot', epoch: 'F', seq: 9, reason: 'epoch_changed', state: { n: 9 } }).kind,
    ).toBe('applied');
    expect(r.position).toBe('F:9');
  });
});
