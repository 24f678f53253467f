import { describe, expect, it } from 'vitest';
import { at, obj } from './json.js';

describe('reading the state copy', () => {
  const state = { symbols: { 'a/b': { 'x~y': [1, 2, { c: 3 }] } } };

  it('walks an RFC 6901 pointer through objects and arrays, unescaping ~1 and ~0', () => {
    expect(at(state, '')).toBe(state);
    expect(at(state, '/symbols/a~1b/x~0y/2/c')).toBe(3);
    expect(at(state, '/symbols/a~1b/x~0y/1')).toBe(2);
  });

  it('gives undefined for a missing step or a malformed pointer', () => {
    expect(at(state, '/symbols/nope')).toBeUndefined();
    expect(at(state, '/symbols/a~1b/x~0y/5')).toBeUndefined();
    expect(at(state, 'symbols')).toBeUndefined();
    expect(at(state, '/symbols/a~2b')).toBeUndefined();
    expect(at(state, '/symbols/toString')).toBeUndefined();
  });

  it('takes only plain objects as objects', () => {
    expect(obj({ a: 1 })).toEqual({ a: 1 });
    expect(obj([1])).toBeUndefined();
    expect(obj(null)).toBeUndefined();
    expect(obj('x')).toBeUndefined();
  });
});
