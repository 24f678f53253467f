import { describe, expect, it } from 'vitest';
import { JsonValueError } from './errors.js';
import { assertJson, type Json } from './json.js';
import { isSealed, sealJson, sealParsed } from './seal.js';

describe('sealJson', () => {
  it('returns a deep-frozen copy of mutable input and keeps sealed nodes by reference', () => {
    const input = { a: [1, { b: 'x' }], c: null };
    const sealed = sealJson(input) as { a: readonly Json[] };
    expect(sealed).toEqual(input);
    expect(sealed).not.toBe(input);
    expect(Object.isFrozen(sealed) && Object.isFrozen(sealed.a) && Object.isFrozen(sealed.a[1])).toBe(true);
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(input)).toBe(false);
    const outer = sealJson({ inner: sealed }) as { inner: unknown };
    expect(outer.inner).toBe(sealed);
  });

  it.each([
    [{ a: { b: Number.NaN } }, '/a/b'],
    [{ list: [1, undefined] }, '/list/1'],
    [{ 'x/y': () => 1 }, '/x~1y'],
    [{ d: new Date(0) }, '/d'],
  ])('names the pointer of the bad value in %j', (value, pointer) => {
    expect(() => sealJson(value)).toThrow(JsonValueError);
    expect(() => sealJson(value)).toThrow(pointer);
    expect(() => assertJson(value)).toThrow(pointer);
  });

  it('refuses a cycle where it closes', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    expect(() => sealJson(a)).toThrow('a cycle at /self');
  });

  it('keeps a key named __proto__ as data', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    const sealed = sealJson(input) as Record<string, unknown>;
    expect(Object.keys(sealed)).toEqual(['__proto__']);
    expect(JSON.stringify(sealed)).toBe('{"__proto__":{"x":1}}');
  });
});

describe('sealParsed', () => {
  it('freezes a parsed value in place, every node, and records it as sealed', () => {
    const text = '{"a":[1,{"b":"x"},[true,null]],"c":{"d":{"e":2.5}},"__proto__":{"x":1}}';
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const sealed = sealParsed(parsed);
    expect(sealed).toBe(parsed);
    expect(JSON.stringify(sealed)).toBe(text);
    const nodes: object[] = [];
    const walk = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      nodes.push(v);
      for (const child of Object.values(v)) walk(child);
    };
    walk(sealed);
    expect(nodes).toHaveLength(7);
    for (const n of nodes) expect(Object.isFrozen(n)).toBe(true);
    // Containers of containers are recorded; small leaves are only frozen.
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(parsed.a as Json)).toBe(true);
    expect(isSealed((parsed.a as Json[])[1] as Json)).toBe(false);
    // Either way sealJson keeps every node by reference: nothing is copied.
    expect(sealJson(sealed)).toBe(sealed);
    const leaf = (parsed.a as Json[])[2] as Json;
    expect(sealJson(leaf)).toBe(leaf);
    expect(isSealed(leaf)).toBe(true);
  });

  it('records a wide leaf (a long series) so it is not walked again', () => {
    const parsed = JSON.parse(`[${Array.from({ length: 20 }, (_, i) => i).join(',')}]`) as Json;
    sealParsed(parsed);
    expect(isSealed(parsed)).toBe(true);
  });

  it('passes primitives through', () => {
    expect(sealParsed(JSON.parse('3'))).toBe(3);
    expect(sealParsed(JSON.parse('null'))).toBe(null);
  });
});
