import { describe, expect, it, vi } from 'vitest';
import { JsonValueError } from './errors.js';
import type { Json, JsonObject } from './json.js';
import { JsonMemo } from './memo.js';
import { isSealed, sealJson } from './seal.js';

describe('JsonMemo', () => {
  it('gives back the same sealed object while a version key is unchanged, and a new one after', () => {
    const memo = new JsonMemo<JsonObject>();
    let n = 1;
    const build = vi.fn(() => ({ count: n }));
    const a = memo.get(undefined, 1, build);
    expect(a).toEqual({ count: 1 });
    expect(Object.isFrozen(a) && isSealed(a)).toBe(true);
    expect(memo.get(undefined, 1, build)).toBe(a);
    expect(memo.get({}, 1, build)).toBe(a);
    expect(build).toHaveBeenCalledTimes(1);
    n = 2;
    const b = memo.get(undefined, 2, build);
    expect(b).toEqual({ count: 2 });
    expect(b).not.toBe(a);
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('keeps one answer per debug face, each built with its flag', () => {
    const memo = new JsonMemo();
    const build = vi.fn((debug: boolean) => ({ debug }));
    const plain = memo.get({ debug: false }, 7, build);
    const debug = memo.get({ debug: true }, 7, build);
    expect(plain).toEqual({ debug: false });
    expect(debug).toEqual({ debug: true });
    expect(memo.get(undefined, 7, build)).toBe(plain);
    expect(memo.get({ debug: true }, 7, build)).toBe(debug);
    expect(build.mock.calls).toEqual([[false], [true]]);
    // A new key for one face leaves the other as it was.
    memo.get({ debug: true }, 8, build);
    expect(memo.get(undefined, 7, build)).toBe(plain);
  });

  it('compares array keys element by element with ===, so children’s sealed JSON works as a key', () => {
    const memo = new JsonMemo();
    const child = sealJson({ price: 1 });
    const build = vi.fn(() => ({ child, n: 1 }));
    const a = memo.get(undefined, [child, 1], build);
    expect(memo.get(undefined, [child, 1], build)).toBe(a);
    expect(memo.get(undefined, [sealJson({ price: 1 }), 1], build)).not.toBe(a); // equal, not identical
    expect(memo.get(undefined, [child, 1, 2], build)).not.toBe(memo.get(undefined, [child, 1], build));
    expect(memo.get(undefined, [Number.NaN], build)).not.toBe(memo.get(undefined, [Number.NaN], build));
  });

  it('never mistakes one key form for another', () => {
    const memo = new JsonMemo();
    const build = vi.fn(() => ({}));
    const a = memo.get(undefined, 1, build);
    expect(memo.get(undefined, '1', build)).not.toBe(a);
    expect(memo.get(undefined, [1], build)).not.toBe(a);
    const c = memo.get(undefined, 'x', build);
    expect(memo.get(undefined, 'x', build)).toBe(c);
  });

  it('keeps sealed parts by reference and checks the rest', () => {
    const memo = new JsonMemo();
    const part = sealJson({ rows: [[1, 2]] });
    const out = memo.get(undefined, 1, () => ({ part, list: [1, { a: 'b' }] })) as {
      part: Json;
      list: readonly Json[];
    };
    expect(out.part).toBe(part);
    expect(isSealed(out.list) && Object.isFrozen(out.list[1])).toBe(true);
  });

  it('refuses a value JSON cannot carry, naming where, and keeps the face as it was', () => {
    const memo = new JsonMemo();
    const good = memo.get(undefined, 1, () => ({ vwap: 10 }));
    expect(() => memo.get(undefined, 2, () => ({ vwap: Number.NaN }))).toThrow(JsonValueError);
    expect(() => memo.get(undefined, 2, () => ({ vwap: Number.NaN }))).toThrow('/vwap');
    expect(memo.get(undefined, 1, () => ({ vwap: 99 }))).toBe(good);
  });

  it('with partsSealed, checks the scalars and marks the container without walking its sealed parts', () => {
    const memo = new JsonMemo<JsonObject>({ partsSealed: true });
    const a = sealJson({ price: 1 });
    const b = sealJson([1, 2]);
    const out = memo.get(undefined, [a, b], () => ({ a, b, n: 3, s: 'x', t: true, z: null }));
    expect(out.a).toBe(a);
    expect(Object.isFrozen(out) && isSealed(out)).toBe(true);
    expect(memo.get(undefined, [a, b], () => ({}))).toBe(out);
    // Scalars are still checked, in objects, in arrays and as the answer itself.
    expect(() => memo.get(undefined, 2, () => ({ a, vwap: Number.NaN }))).toThrow('/vwap');
    const list = new JsonMemo({ partsSealed: true });
    expect(() => list.get(undefined, 1, () => [a, Number.POSITIVE_INFINITY])).toThrow('/1');
    const scalar = new JsonMemo({ partsSealed: true });
    expect(() => scalar.get(undefined, 1, () => Number.NaN)).toThrow(JsonValueError);
    expect(memo.get(undefined, [a, b], () => ({}))).toBe(out);
  });

  it('builds again after invalidate, for both faces', () => {
    const memo = new JsonMemo();
    const a = memo.get(undefined, 1, () => ({ a: 1 }));
    const b = memo.get({ debug: true }, 1, () => ({ b: 1 }));
    memo.invalidate();
    expect(memo.get(undefined, 1, () => ({ a: 1 }))).not.toBe(a);
    expect(memo.get({ debug: true }, 1, () => ({ b: 1 }))).not.toBe(b);
  });

  it('holds primitives too', () => {
    const memo = new JsonMemo();
    expect(memo.get(undefined, 1, () => null)).toBeNull();
    expect(memo.get(undefined, 1, () => 5)).toBeNull();
    expect(memo.get(undefined, 2, () => 'x')).toBe('x');
  });
});
