import { expect, it } from 'vitest';
import { tokenize } from './tokenize.js';

it.each([
  ['system json --complete', ['system', 'json', '--complete']],
  ['  a   b\tc  ', ['a', 'b', 'c']],
  [`data import 'my file.csv'`, ['data', 'import', 'my file.csv']],
  [`x "a \\"b\\" c"`, ['x', 'a "b" c']],
  [`x a\\ b`, ['x', 'a b']],
  [`x ''`, ['x', '']],
  [`x "it's"`, ['x', "it's"]],
  [`x 'a'"b"c`, ['x', 'abc']],
])('%s', (line, words) => {
  expect(tokenize(line).words).toEqual(words);
});

it('says whether the last word is still open', () => {
  expect(tokenize('system js').open).toBe(true);
  expect(tokenize('system ').open).toBe(false);
});

it('refuses an unterminated quote unless partial', () => {
  expect(() => tokenize(`x 'a`)).toThrow('unterminated single quote');
  expect(tokenize(`x 'a b`, { partial: true }).words).toEqual(['x', 'a b']);
});
