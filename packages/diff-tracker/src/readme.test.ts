import type { Json } from '@sys/core';
import { expect, it } from 'vitest';
import { applyPatch, ChangeFeed } from './index.js';

it('the README example works as written', () => {
  let price = 1;
  const feed = new ChangeFeed(() => ({ symbol: 'AAPL', price }));
  const first = feed.read('terminal').envelope;
  expect(first).toMatchObject({ t: 'snapshot', reason: 'new_consumer' });
  let held: Json = first.t === 'snapshot' ? first.state : null;
  price = 2;
  const next = feed.read('terminal').envelope;
  expect(next).toMatchObject({ t: 'delta', ops: [{ op: 'replace', path: '/price', value: 2 }] });
  if (next.t === 'delta') held = applyPatch(held, next.ops);
  expect(held).toEqual({ symbol: 'AAPL', price: 2 });
  const again = feed.read('terminal').envelope;
  expect(again.t === 'delta' && again.ops).toEqual([]);
});
