import { expect, it } from 'vitest';
import { editDistance, nearest } from './suggest.js';

it('counts insertions, deletions and substitutions', () => {
  expect(editDistance('', '')).toBe(0);
  expect(editDistance('kitten', 'sitting')).toBe(3);
  expect(editDistance('json', 'jsno')).toBe(2);
  expect(editDistance('abc', '')).toBe(3);
});

it('suggests only plausible typos', () => {
  expect(nearest('stat', ['start', 'status', 'stop'])).toBe('start');
  expect(nearest('STOP', ['start', 'stop'])).toBe('stop');
  expect(nearest('xyzzy', ['start', 'stop'])).toBeUndefined();
});
