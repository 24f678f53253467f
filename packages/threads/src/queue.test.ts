import { describe, expect, it } from 'vitest';
import { expectQueueBalanced, tick } from '../test/helpers.js';
import { BoundedQueue } from './queue.js';

describe('BoundedQueue', () => {
  it('keeps order, makes a producer wait when full, and counts the wait', async () => {
    let wall = 0;
    const q = new BoundedQueue<number>({ capacity: 2, now: () => wall });
    await q.put(1);
    await q.put(2);
    let third = false;
    const put3 = q.put(3).then(() => {
      third = true;
    });
    await tick();
    expect(third).toBe(false);
    expect(q.stats()).toMatchObject({ depth: 2, waiting_producers: 1, enqueued: 2, dropped: 0 });
    expectQueueBalanced(q);
    wall = 25;
    expect(await q.take()).toBe(1);
    await put3;
    expect(third).toBe(true);
    expect(await q.take()).toBe(2);
    expect(await q.take()).toBe(3);
    expect(q.stats()).toMatchObject({ depth: 0, high_water: 2, enqueued: 3, dequeued: 3, blocked_ms: 25 });
    expectQueueBalanced(q);
  });

  it('hands an item straight to a waiting consumer', async () => {
    const q = new BoundedQueue<string>({ capacity: 1 });
    const taken = q.take();
    await q.put('a');
    expect(await taken).toBe('a');
    expect(q.stats()).toMatchObject({ depth: 0, enqueued: 1, dequeued: 1, high_water: 0 });
    expectQueueBalanced(q);
  });

  it('an aborted put leaves nothing behind and an aborted take takes nothing', async () => {
    const q = new BoundedQueue<number>({ capacity: 1 });
    await q.put(1);
    const controller = new AbortController();
    const blocked = q.put(2, controller.signal);
    controller.abort(new Error('stop'));
    await expect(blocked).rejects.toThrow('stop');
    expect(q.takeUpTo(10)).toEqual([1]);
    const taker = new AbortController();
    const take = q.take(taker.signal);
    taker.abort(new Error('gone'));
    await expect(take).rejects.toThrow('gone');
    await q.put(3);
    expect(q.depth).toBe(1);
    expectQueueBalanced(q);
    await expect(q.put(4, AbortSignal.abort(new Error('early')))).rejects.toThrow('early');
  });

  it('waiting producers get in in arrival order', async () => {
    const q = new BoundedQueue<number>({ capacity: 1 });
    await q.put(0);
    const puts = [q.put(1), q.put(2), q.put(3)];
    const out: number[] = [];
    for (let i = 0; i < 4; i++) out.push(await q.take());
    await Promise.all(puts);
    expect(out).toEqual([0, 1, 2, 3]);
    expectQueueBalanced(q);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedQueue({ capacity: 0 })).toThrow(RangeError);
  });
});
