import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { type Json, sealJson } from '@sys/core';
import { describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.js';
import { applyPatch } from './patch.js';

// An independent implementation of the spec in docs/json-api.md, straight from its table: each value's
// words are built as an array (TextEncoder for UTF-8, DataView for the double) and hashed with BigInt.
const MASK = (1n << 64n) - 1n;
function fnv1a64(words: readonly number[]): bigint {
  let h = 0xcbf29ce484222325n;
  for (const w of words) h = ((h ^ BigInt(w >>> 0)) * 0x100000001b3n) & MASK;
  return h;
}
const halves = (h: bigint): number[] => [Number(h >> 32n), Number(h & 0xffffffffn)];
function stringWords(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s), 0xff];
  while (bytes.length % 4 !== 0) bytes.push(0);
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push(new DataView(new Uint8Array(bytes.slice(i, i + 4)).buffer).getUint32(0));
  }
  return words;
}
// MurmurHash3's fmix64, on BigInt.
function fmix64(x: bigint): bigint {
  let h = x;
  h ^= h >> 33n;
  h = (h * 0xff51afd7ed558ccdn) & MASK;
  h ^= h >> 33n;
  h = (h * 0xc4ceb9fe1a85ec53n) & MASK;
  h ^= h >> 33n;
  return h;
}
const referenceHash = (v: Json): bigint => fmix64(fnvOf(v));
function fnvOf(v: Json): bigint {
  if (v === null) return fnv1a64([0x6e]);
  if (typeof v === 'boolean') return fnv1a64([v ? 0x74 : 0x66]);
  if (typeof v === 'number') {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, Object.is(v, -0) ? 0 : v);
    return fnv1a64([0x64, dv.getUint32(0), dv.getUint32(4)]);
  }
  if (typeof v === 'string') return fnv1a64([0x73, ...stringWords(v)]);
  if (Array.isArray(v)) return fnv1a64([0x61, ...v.flatMap((c) => halves(referenceHash(c)))]);
  const o = v as Record<string, Json>;
  const keys = Object.keys(o).sort();
  return fnv1a64([0x6f, ...keys.flatMap((k) => [...stringWords(k), ...halves(referenceHash(o[k] as Json))])]);
}
const reference = (v: Json): string => referenceHash(v).toString(16).padStart(16, '0');

const DOC = new URL('../../system-manager/docs/json-api.md', import.meta.url);

/** The test vectors block of the doc's "Fingerprint" section: [fingerprint, JSON text]. */
function docVectors(): [string, string][] {
  const md = readFileSync(DOC, 'utf8');
  const section = md.slice(md.indexOf('## Fingerprint'));
  const block = /### Test vectors[\s\S]*?```text\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('json-api.md has no fingerprint test vectors block');
  return block
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^([0-9a-f]{16}) {2}(.+)$/.exec(l);
      if (m === null) throw new Error(`bad vector line: ${l}`);
      return [m[1] as string, m[2] as string];
    });
}

describe('fingerprint', () => {
  it('the reference FNV-1a 64 gives the published FNV test values (words below 256 are bytes)', () => {
    const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
    expect(fnv1a64([]).toString(16)).toBe('cbf29ce484222325');
    expect(fnv1a64(ascii('a')).toString(16)).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(ascii('foobar')).toString(16)).toBe('85944171f73967e8');
  });

  it('matches every test vector in docs/json-api.md, as does the reference implementation', () => {
    const vectors = docVectors();
    expect(vectors.length).toBeGreaterThan(20);
    for (const [fp, text] of vectors) {
      const value = JSON.parse(text) as Json;
      expect(reference(value), text).toBe(fp);
      expect(fingerprint(value), text).toBe(fp);
      expect(fingerprint(sealJson(structuredClone(value))), `${text} sealed`).toBe(fp);
    }
  });

  it('ignores key order and number spelling, and tells apart what JSON tells apart', () => {
    expect(fingerprint({ a: 1, b: [2] })).toBe(fingerprint({ b: [2], a: 1 }));
    expect(fingerprint(-0)).toBe(fingerprint(0));
    const distinct: Json[] = [null, 0, '0', false, '', [], {}, [null], { '': null }, [[]], [0, 1], [1, 0]];
    expect(new Set(distinct.map(fingerprint)).size).toBe(distinct.length);
    // fmix64 of 0 is 0; the known values of MurmurHash3's finalizer.
    expect(fmix64(0n)).toBe(0n);
    // A string's end is marked, so moving a byte between a key and its neighbour changes the hash.
    expect(fingerprint({ ab: 'c' })).not.toBe(fingerprint({ a: 'bc' }));
    expect(fingerprint(['ab', 'c'])).not.toBe(fingerprint(['a', 'bc']));
  });

  test.prop([fc.jsonValue({ maxDepth: 4 })], { numRuns: 300 })(
    'equals the reference implementation on random values',
    (value) => {
      expect(fingerprint(value as Json)).toBe(reference(value as Json));
    },
  );

  it('keeps a sealed node hash: a later state sharing it gives the same hash as a fresh copy', () => {
    const shared = sealJson({ rows: [[1, 2, 3]], name: 'x' });
    const a = sealJson({ shared, n: 1 });
    const b = sealJson({ shared, n: 2 });
    expect(fingerprint(a)).toBe(fingerprint(structuredClone(a)));
    expect(fingerprint(b)).toBe(fingerprint(structuredClone(b)));
    expect(fingerprint(a)).not.toBe(fingerprint(b));
  });
});

// Random edit histories applied as patches: each new state shares every untouched subtree with the previous
// one (sealed, so its hash comes from the cache); the hash must equal one computed from scratch on a deep
// copy, which shares nothing and is not sealed (never cached).
const edit = fc.record({
  kind: fc.constantFrom('replace', 'add', 'remove', 'append'),
  pick: fc.nat(),
  key: fc.constantFrom('a', 'b', 'rows', 'é', 'x/y', '__proto__', ''),
  value: fc.jsonValue({ maxDepth: 2 }),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function paths(doc: Json, base = '', out: { path: string; value: Json }[] = []) {
  out.push({ path: base, value: doc });
  if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      paths(v as Json, `${base}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  }
  return out;
}

function toOp(doc: Json, e: Edit): unknown {
  const all = paths(doc);
  const target = all[e.pick % all.length] as { path: string; value: Json };
  const container = target.value !== null && typeof target.value === 'object';
  switch (e.kind) {
    case 'replace':
      return { op: 'replace', path: target.path, value: e.value };
    case 'remove':
      return target.path === ''
        ? { op: 'replace', path: '', value: e.value }
        : { op: 'remove', path: target.path };
    case 'append':
      if (Array.isArray(target.value)) return { op: 'add', path: `${target.path}/-`, value: e.value };
      return { op: 'replace', path: target.path, value: [e.value] };
    default:
      if (container && !Array.isArray(target.value)) {
        return {
          op: 'add',
          path: `${target.path}/${e.key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          value: e.value,
        };
      }
      return { op: 'replace', path: target.path, value: { [e.key]: e.value } };
  }
}

// Wide nodes (8 children or more) keep their children's hashes for the next version: start from states
// that have some.
const wide = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 8, maxKeys: 16 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 8, maxLength: 16 }),
  fc.record({
    m: fc.dictionary(fc.string({ maxLength: 2 }), fc.array(fc.integer(), { minLength: 8, maxLength: 10 }), {
      minKeys: 8,
      maxKeys: 12,
    }),
  }),
);

describe('incremental fingerprint over structurally shared states', () => {
  test.prop([wide, fc.array(edit, { minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })], {
    numRuns: 500,
  })(
    'equals a from-scratch fingerprint of a deep copy after every change, with or without `previous`',
    (start, edits, unrelated) => {
      let state = sealJson(start as Json);
      expect(fingerprint(state)).toBe(fingerprint(structuredClone(state)));
      for (const e of edits) {
        const next = sealJson(applyPatch(state, [toOp(state, e)]));
        const fresh = structuredClone(next);
        const expected = reference(fresh);
        // Next to the state it came from (the fast path), alone, and next to an unrelated value.
        expect(fingerprint(next, state)).toBe(expected);
        expect(fingerprint(next)).toBe(expected);
        expect(fingerprint(fresh, unrelated as Json)).toBe(expected);
        expect(fingerprint(fresh, state)).toBe(expected);
        state = next;
      }
    },
  );

  it('does not cache a frozen node whose child is still mutable', () => {
    const inner: { v: number } = { v: 1 };
    const outer = Object.freeze({ inner: inner as Json });
    const before = fingerprint(outer);
    inner.v = 2;
    expect(fingerprint(outer)).not.toBe(before);
    expect(fingerprint(outer)).toBe(reference({ inner: { v: 2 } }));
  });
});
