import { describe, expect, it } from 'vitest';
import { expectQueueBalanced, settle, tick, until } from '../test/helpers.js';
import { WorkerStateError } from './errors.js';
import { BoundedQueue } from './queue.js';
import { Worker, type WorkerContext } from './worker.js';

/** A worker that counts batches until stopped (or until `limit`). */
function counter(options: { daemon?: boolean; limit?: number; failAt?: number } = {}) {
  let count = 0;
  const worker = new Worker(
    { name: 'counter', yieldEveryMs: 0, ...(options.daemon === undefined ? {} : { daemon: options.daemon }) },
    async (ctx: WorkerContext) => {
      for (;;) {
        await ctx.checkpoint();
        if (count === options.failAt) throw new Error(`boom at ${count}`);
        if (count === options.limit) return;
        count++;
        ctx.recordBatch(1, 0.5);
      }
    },
  );
  return { worker, count: () => count };
}

describe('Worker', () => {
  it('goes created → running ⇄ paused → stopping → stopped, and can be started again', async () => {
    const { worker, count } = counter();
    const seen: string[] = [];
    worker.onStateChange((s) => seen.push(s));
    expect(worker.state).toBe('created');
    expect(worker.isAlive).toBe(false);
    worker.start();
    expect(worker.state).toBe('running');
    expect(worker.isAlive).toBe(true);
    await until(() => count() > 5, 'some batches');
    worker.pause();
    await settle(3);
    const paused = count();
    await settle(20);
    expect(count()).toBe(paused);
    worker.resume();
    await until(() => count() > paused + 5, 'batches after resume');
    const stopping = worker.stop();
    expect(worker.state).toBe('stopping');
    await stopping;
    expect(worker.state).toBe('stopped');
    expect(worker.isAlive).toBe(false);
    expect(worker.error).toBeNull();
    expect(seen).toEqual(['running', 'paused', 'running', 'stopping', 'stopped']);
    const before = count();
    worker.start();
    await until(() => count() > before + 3, 'batches of a second run');
    await worker.stop();
    expect(worker.state).toBe('stopped');
  });

  it('stops from paused, and joins a run that finished by itself', async () => {
    const a = counter();
    a.worker.start();
    await settle(3);
    a.worker.pause();
    await a.worker.stop();
    expect(a.worker.state).toBe('stopped');
    const b = counter({ limit: 3 });
    b.worker.start();
    await b.worker.join();
    expect(b.worker.state).toBe('stopped');
    expect(b.count()).toBe(3);
    const c = counter();
    await c.worker.stop(); // never started
    expect(c.worker.state).toBe('stopped');
  });

  it('refuses lifecycle calls its state does not allow', async () => {
    const { worker } = counter();
    expect(() => worker.pause()).toThrow(WorkerStateError);
    expect(() => worker.resume()).toThrow(WorkerStateError);
    worker.start();
    expect(() => worker.start()).toThrow(/stop\(\) and join\(\) it first/);
    await worker.stop();
    expect(() => worker.pause()).toThrow(WorkerStateError);
  });

  it('keeps the error, shows it in toJson, and clears it on the next start', async () => {
    const { worker } = counter({ failAt: 4 });
    worker.start();
    await worker.join();
    expect(worker.state).toBe('error');
    expect(worker.error?.message).toBe('boom at 4');
    const json = worker.toJson(undefined, '', () => ({})) as any;
    expect(json.state).toBe('error');
    expect(json.error.message).toBe('boom at 4');
    expect(json.thread_info).toEqual({ name: 'counter', is_alive: false, daemon: false });
    worker.start();
    expect(worker.error).toBeNull();
    await worker.join();
    expect(worker.state).toBe('error');
  });

  it('a non-daemon worker keeps the process alive while alive; a daemon does not', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const base = timers();
    const normal = counter();
    normal.worker.start();
    expect(timers()).toBe(base + 1);
    await normal.worker.stop();
    expect(timers()).toBe(base);
    const daemon = counter({ daemon: true });
    daemon.worker.start();
    expect(timers()).toBe(base);
    expect((daemon.worker.toJson(undefined, '', () => ({})) as any).thread_info.daemon).toBe(true);
    await daemon.worker.stop();
  });

  it('gives back the same frozen JSON while nothing changed, with timing and queues under debug', async () => {
    const queue = new BoundedQueue<number>({ capacity: 4 });
    const { worker, count } = counter({ limit: 3 });
    const own = () => ({ done: count() });
    const a = worker.toJson(undefined, 'k', own);
    expect(worker.toJson(undefined, 'k', own)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(worker.toJson(undefined, 'other', own)).not.toBe(a);
    worker.start();
    await worker.join();
    const b = worker.toJson(undefined, 'k', own) as any;
    expect(b).not.toBe(a);
    expect(b.done).toBe(3);
    expect(b.performance).toBeUndefined();
    const d1 = worker.toJson({ debug: true }, 'k', own, { q: queue }) as any;
    expect(d1.performance).toEqual({
      batches: 3,
      items: 3,
      last_batch_ms: 0.5,
      avg_batch_ms: 0.5,
      max_batch_ms: 0.5,
    });
    expect(d1.queues.q).toMatchObject({ capacity: 4, depth: 0, enqueued: 0, dropped: 0 });
    expect(worker.toJson({ debug: true }, 'k', own, { q: queue })).toBe(d1);
    await queue.put(1);
    const d2 = worker.toJson({ debug: true }, 'k', own, { q: queue }) as any;
    expect(d2).not.toBe(d1);
    expect(d2.queues.q.depth).toBe(1);
    expect(d2.thread_info).toBe(d1.thread_info);
    expectQueueBalanced(queue);
  });

  it('yields to the event loop between batches so timers run', async () => {
    let fired = false;
    const worker = new Worker({ name: 'busy', yieldEveryMs: 0 }, async (ctx) => {
      while (!fired) await ctx.checkpoint();
    });
    setTimeout(() => {
      fired = true;
    }, 1);
    worker.start();
    await worker.join();
    expect(fired).toBe(true);
    await tick();
  });
});
