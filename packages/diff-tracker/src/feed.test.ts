import type { Json } from '@sys/core';
import { describe, expect, it } from 'vitest';
import { ChangeFeed, ConsumerNameError, type Envelope } from './feed.js';
import { jsonByteSize } from './json.js';
import { applyPatch } from './patch.js';

/** A producer whose state the test edits; frozen rows like a real component's. */
function producer() {
  const p = {
    price: 1,
    rows: [] as Json[],
    extra: {} as Record<string, Json>,
    state(): Json {
      return { price: p.price, rows: Object.freeze(p.rows.slice()), extra: { ...p.extra } };
    },
  };
  return p;
}

function apply(held: Json | undefined, e: Envelope): Json {
  return e.t === 'snapshot' ? e.state : applyPatch(held as Json, e.ops);
}

describe('ChangeFeed', () => {
  it('an unknown consumer starts with a snapshot (new_consumer), then gets deltas', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state(), { epoch: 'E' });
    const first = feed.read('terminal').envelope;
    expect(first).toMatchObject({ t: 'snapshot', epoch: 'E', reason: 'new_consumer', state: { price: 1 } });
    p.price = 2;
    const second = feed.read('terminal').envelope;
    expect(second).toMatchObject({
      t: 'delta',
      epoch: 'E',
      ops: [{ op: 'replace', path: '/price', value: 2 }],
    });
    if (second.t !== 'delta' || first.t !== 'snapshot') throw new Error('unexpected envelope kinds');
    expect(second.from).toBe(first.seq);
    expect(second.to).toBeGreaterThan(second.from);
  });

  it('nothing changed → an empty delta at the same seq, not the whole state', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    feed.read('c');
    const r = feed.read('c');
    expect(r.envelope.t).toBe('delta');
    if (r.envelope.t !== 'delta') return;
    expect(r.envelope.ops).toEqual([]);
    expect(r.envelope.from).toBe(r.envelope.to);
    expect(r.view).toEqual({});
    expect(r.changedPaths).toEqual([]);
  });

  it("one consumer's read never changes what another receives", () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    feed.read('terminal');
    feed.read('web');
    p.price = 5;
    const a = feed.read('terminal');
    const b = feed.read('web');
    expect(a.changedPaths).toEqual(['/price']);
    expect(b.changedPaths).toEqual(['/price']);
    expect(feed.read('terminal').changedPaths).toEqual([]);
  });

  it('complete: true resets only that consumer (reason requested)', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    feed.read('a');
    feed.read('b');
    p.price = 3;
    const a = feed.read('a', { complete: true }).envelope;
    expect(a).toMatchObject({ t: 'snapshot', reason: 'requested', state: { price: 3 } });
    const b = feed.read('b').envelope;
    expect(b).toMatchObject({ t: 'delta', ops: [{ op: 'replace', path: '/price', value: 3 }] });
  });

  it('a lagging consumer gets one delta from its position to now, bounded by the state', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    let held = apply(undefined, feed.read('slow').envelope);
    for (let i = 0; i < 200; i++) {
      p.price = i; // 200 intermediate prices: only the last one may be sent
      feed.read('fast');
    }
    const r = feed.read('slow').envelope;
    expect(r.t).toBe('delta');
    if (r.t !== 'delta') return;
    expect(r.ops).toEqual([{ op: 'replace', path: '/price', value: 199 }]);
    expect(r.to - r.from).toBe(200);
    held = apply(held, r);
    expect(held).toEqual(p.state());
    expect(feed.stats('slow')?.lastSeqLag).toBe(200);
  });

  it('sends a snapshot when the delta would be larger (delta_larger)', () => {
    let state: Json = { list: Array.from({ length: 50 }, (_, i) => i) };
    const feed = new ChangeFeed(() => state);
    feed.read('c');
    state = { list: Array.from({ length: 50 }, (_, i) => i + 1000) }; // every element replaced: 50 ops
    const r = feed.read('c');
    expect(r.envelope).toMatchObject({ t: 'snapshot', reason: 'delta_larger' });
    expect(r.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(r.envelope)));
    expect(feed.stats('c')?.snapshotsSent.delta_larger).toBe(1);
  });

  it('bounds memory held for an idle consumer; past the bound it gets a memory_bound snapshot', () => {
    const p = producer();
    p.extra = { blob: 'x'.repeat(5_000) };
    const feed = new ChangeFeed(() => p.state(), { maxRetainedBytesPerConsumer: 2_000 });
    feed.read('idle');
    feed.read('active');
    // The 5,000-character blob the idle consumer holds is replaced: only its snapshot keeps it alive.
    p.extra = { blob: 'y' };
    feed.read('active');
    expect(feed.stats('idle')?.retainedBytes).toBe(0); // its snapshot was dropped
    expect(feed.stats('active')?.retainedBytes).toBe(0);
    const r = feed.read('idle').envelope;
    expect(r).toMatchObject({ t: 'snapshot', reason: 'memory_bound' });
    if (r.t === 'snapshot') expect(r.state).toEqual(p.state());
  });

  it('counts what an idle consumer holds, not every replacement since it read', () => {
    const p = producer();
    p.extra = { blob: 'y'.repeat(500) };
    const feed = new ChangeFeed(() => p.state(), { maxRetainedBytesPerConsumer: 2_000 });
    feed.read('idle');
    // A hundred replacements of a 500-character value: 50,000 bytes displaced in all, but the idle
    // consumer holds only the first value (and the containers above it).
    for (let i = 0; i < 100; i++) {
      p.extra = { blob: `${'z'.repeat(500)}${i}` };
      feed.read('active');
    }
    const retained = feed.stats('idle')?.retainedBytes ?? 0;
    expect(retained).toBeGreaterThanOrEqual(500);
    expect(retained).toBeLessThan(1_000);
    // Under the bound by that measure, it keeps its position: a delta, not a memory_bound snapshot.
    const e = feed.read('idle').envelope;
    expect(e.t).toBe('delta');
  });

  it('a producer restart changes the epoch; every consumer gets an epoch_changed snapshot', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state(), { epoch: 'one' });
    feed.read('a');
    feed.restart('two');
    expect(feed.read('a').envelope).toMatchObject({ t: 'snapshot', epoch: 'two', reason: 'epoch_changed' });
    expect(feed.read('fresh').envelope).toMatchObject({ reason: 'new_consumer', epoch: 'two' });
  });

  it('seq only grows across restarts', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    const s1 = feed.read('a').envelope;
    feed.restart();
    const s2 = feed.read('a').envelope;
    if (s1.t !== 'snapshot' || s2.t !== 'snapshot') throw new Error('expected snapshots');
    expect(s2.seq).toBeGreaterThan(s1.seq);
  });

  it('released consumers start over; unknown consumers have no stats', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    feed.read('a');
    expect(feed.release('a')).toBe(true);
    expect(feed.stats('a')).toBeUndefined();
    expect(feed.read('a').envelope).toMatchObject({ reason: 'new_consumer' });
    expect(feed.release('nobody')).toBe(false);
  });

  it('counts reads, bytes and snapshots by reason per consumer', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    const a = feed.read('a');
    p.rows.push(Object.freeze([1, 2]));
    const b = feed.read('a');
    feed.read('a', { complete: true });
    const s = feed.stats('a');
    expect(s).toMatchObject({ reads: 3, deltasSent: 1, seqLag: 0 });
    expect(s?.snapshotsSent).toMatchObject({ new_consumer: 1, requested: 1 });
    expect(b.envelope).toMatchObject({ ops: [{ op: 'add', path: '/rows/-', value: [1, 2] }] });
    expect(s?.bytesSent).toBeGreaterThan(a.sizeBytes + b.sizeBytes);
  });

  it('debug and plain faces are separate; switching face is a requested snapshot', () => {
    const feed = new ChangeFeed(({ debug }) => ({ n: 1, ...(debug ? { bars: [1, 2] } : {}) }));
    expect(feed.read('a').envelope).toMatchObject({ state: { n: 1 } });
    expect(feed.read('a', { debug: true }).envelope).toMatchObject({
      reason: 'requested',
      state: { bars: [1, 2] },
    });
    expect(feed.stats('a')?.debug).toBe(true);
  });

  it('forgets the least recently read consumer past maxConsumers', () => {
    const feed = new ChangeFeed(() => ({ n: 1 }), { maxConsumers: 2 });
    feed.read('a');
    feed.read('b');
    feed.read('a');
    feed.read('c');
    expect(feed.consumerNames().sort()).toEqual(['a', 'c']);
  });

  it('refuses an empty consumer name', () => {
    const feed = new ChangeFeed(() => ({}));
    expect(() => feed.read('')).toThrow(ConsumerNameError);
  });

  it('sizeBytes is the compact JSON size of the envelope', () => {
    const p = producer();
    const feed = new ChangeFeed(() => p.state());
    const s = feed.read('a');
    expect(s.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(s.envelope)));
    p.price = 7.25;
    const d = feed.read('a');
    expect(d.sizeBytes).toBe(jsonByteSize(JSON.parse(JSON.stringify(d.envelope))));
    expect(d.sizeBytes).toBe(Buffer.byteLength(JSON.stringify(d.envelope)));
  });
});
