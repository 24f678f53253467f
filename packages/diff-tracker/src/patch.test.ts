import { type Json, sealJson } from '@sys/core';
import { describe, expect, it } from 'vitest';
import { PatchError } from './errors.js';
import { applyPatch } from './patch.js';

// Examples follow RFC 6902 appendix A.
describe('applyPatch: the six operations', () => {
  it('add: object member, array insert, array append, whole document', () => {
    expect(applyPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({
      foo: 'bar',
      baz: 'qux',
    });
    expect(applyPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({
      foo: ['bar', 'qux', 'baz'],
    });
    expect(applyPatch({ foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }])).toEqual({ foo: [1, 2] });
    expect(applyPatch({ a: 1 }, [{ op: 'add', path: '', value: [1] }])).toEqual([1]);
    expect(applyPatch({ foo: 1 }, [{ op: 'add', path: '/foo', value: 2 }])).toEqual({ foo: 2 });
  });

  it('remove: object member and array element', () => {
    expect(applyPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(applyPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({
      foo: ['bar', 'baz'],
    });
  });

  it('replace', () => {
    expect(applyPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({
      baz: 'boo',
      foo: 'bar',
    });
    expect(applyPatch([1, 2], [{ op: 'replace', path: '/0', value: null }])).toEqual([null, 2]);
  });

  it('move: between objects and within an array', () => {
    const doc = { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } };
    expect(applyPatch(doc, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }])).toEqual({
      foo: { bar: 'baz' },
      qux: { corge: 'grault', thud: 'fred' },
    });
    expect(
      applyPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]),
    ).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] });
  });

  it('copy makes an independent value', () => {
    const out = applyPatch({ a: { b: [1] } }, [
      { op: 'copy', from: '/a', path: '/c' },
      { op: 'add', path: '/c/b/-', value: 2 },
    ]);
    expect(out).toEqual({ a: { b: [1] }, c: { b: [1, 2] } });
  });

  it('test: passes on equal values regardless of key order, fails otherwise', () => {
    const doc = { baz: 'qux', foo: ['a', 2, 'c'], o: { x: 1, y: 2 } };
    expect(
      applyPatch(doc, [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
        { op: 'test', path: '/o', value: { y: 2, x: 1 } },
      ]),
    ).toEqual(doc);
    expect(() => applyPatch(doc, [{ op: 'test', path: '/baz', value: 'bar' }])).toThrow(/test failed/);
    expect(() => applyPatch({ a: 1 }, [{ op: 'test', path: '/a', value: '1' }])).toThrow(PatchError);
  });

  it('escaped pointer tokens ~0 and ~1', () => {
    expect(applyPatch({ 'a/b': 1, 'm~n': 2 }, [{ op: 'replace', path: '/a~1b', value: 3 }])).toEqual({
      'a/b': 3,
      'm~n': 2,
    });
    expect(applyPatch({ 'm~n': 2 }, [{ op: 'remove', path: '/m~0n' }])).toEqual({});
  });

  it('a __proto__ key is data, not a prototype change', () => {
    const out = applyPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<
      string,
      Json
    >;
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applyPatch: errors are typed and atomic', () => {
  const cases: [string, unknown[], RegExp][] = [
    ['missing parent', [{ op: 'add', path: '/zz/b', value: 1 }], /\/zz does not exist/],
    ['parent is a number', [{ op: 'add', path: '/a/b', value: 1 }], /not a container/],
    ['remove missing key', [{ op: 'remove', path: '/nope' }], /does not exist/],
    ['replace missing key', [{ op: 'replace', path: '/nope', value: 1 }], /does not exist/],
    ['array index past end', [{ op: 'add', path: '/arr/5', value: 1 }], /past the end/],
    ['leading-zero index', [{ op: 'add', path: '/arr/01', value: 1 }], /not an array index/],
    ['move into own child', [{ op: 'move', from: '/obj', path: '/obj/x' }], /own child/],
    ['copy from missing', [{ op: 'copy', from: '/zz', path: '/y' }], /does not exist/],
    ['unknown op', [{ op: 'merge', path: '/a' }], /unknown op/],
    ['missing value', [{ op: 'add', path: '/a' }], /"value" is required/],
    ['non-JSON value', [{ op: 'add', path: '/a', value: Number.NaN }], /not JSON/],
    ['bad pointer', [{ op: 'add', path: 'a', value: 1 }], /must be empty or start with/],
    ['bad escape', [{ op: 'remove', path: '/a~2' }], /~/],
    ['not an object', ['add'], /must be an object/],
    ['remove root', [{ op: 'remove', path: '' }], /whole document/],
  ];
  for (const [name, ops, message] of cases) {
    it(name, () => {
      const doc = { arr: [1, 2], obj: { k: 1 }, a: 0 };
      const before = structuredClone(doc);
      let error: unknown;
      try {
        applyPatch(doc, ops);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PatchError);
      expect((error as PatchError).code).toBe('JSON_PATCH');
      expect((error as PatchError).opIndex).toBe(0);
      expect((error as Error).message).toMatch(message);
      expect(doc).toEqual(before);
    });
  }

  it('a failure after successful operations leaves the input untouched and names the failing op', () => {
    const doc = { list: [1, 2, 3], nested: { a: { b: 1 } } };
    const before = structuredClone(doc);
    expect(() =>
      applyPatch(doc, [
        { op: 'add', path: '/list/-', value: 4 },
        { op: 'remove', path: '/nested/a/b' },
        { op: 'replace', path: '/list/0', value: 9 },
        { op: 'test', path: '/list/0', value: 1 },
      ]),
    ).toThrow(expect.objectContaining({ opIndex: 3, op: 'test', path: '/list/0' }));
    expect(doc).toEqual(before);
  });

  it('does not mutate frozen input even on success', () => {
    const doc = Object.freeze({ a: Object.freeze([1, 2]) });
    const out = applyPatch(doc, [{ op: 'add', path: '/a/-', value: 3 }]);
    expect(out).toEqual({ a: [1, 2, 3] });
    expect(doc.a).toEqual([1, 2]);
  });
});

describe('applyPatch with freeze', () => {
  it('returns a deep-frozen document sharing what the patch did not touch, and leaves the input as it was', () => {
    const doc = sealJson({ a: { x: [1, 2] }, b: { y: 1 }, c: [{ z: 1 }] });
    const out = applyPatch(
      doc,
      [
        { op: 'add', path: '/a/x/-', value: { n: [3] } },
        { op: 'replace', path: '/b/y', value: { deep: [1] } },
        { op: 'copy', from: '/c/0', path: '/d' },
        { op: 'move', from: '/c', path: '/e' },
      ],
      { freeze: true },
    ) as Record<string, Json>;
    expect(out).toEqual({
      a: { x: [1, 2, { n: [3] }] },
      b: { y: { deep: [1] } },
      d: { z: 1 },
      e: [{ z: 1 }],
    });
    const frozenAllTheWay = (v: Json): boolean =>
      v === null || typeof v !== 'object' || (Object.isFrozen(v) && Object.values(v).every(frozenAllTheWay));
    expect(frozenAllTheWay(out)).toBe(true);
    expect(out.e).toBe((doc as Record<string, Json>).c);
    expect(doc).toEqual({ a: { x: [1, 2] }, b: { y: 1 }, c: [{ z: 1 }] });
  });
});
