import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError, SysError } from './errors.js';
import { delay, waitFor } from './wait.js';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('delay', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after ms, then leaves no listener and no timer behind', async () => {
    const controller = new AbortController();
    let resolved = false;
    const p = delay(100, { signal: controller.signal }).then(() => {
      resolved = true;
    });
    expect(listeners(controller.signal)).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(resolved).toBe(true);
    expect(listeners(controller.signal)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with signal.reason on abort, clearing its timer and listener', async () => {
    const controller = new AbortController();
    const p = delay(1000, { signal: controller.signal });
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(listeners(controller.signal)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once, with no timer, when the signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort('gone');
    await expect(delay(10, { signal: controller.signal })).rejects.toBe('gone');
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('works without a signal, and with 0 ms', async () => {
    const p = delay(0);
    await vi.advanceTimersByTimeAsync(0);
    await expect(p).resolves.toBeUndefined();
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY, 2 ** 31, '5' as unknown as number])(
    'refuses %s ms instead of firing at once',
    async (ms) => {
      const p = delay(ms);
      await expect(p).rejects.toThrow(ArgumentError);
      await expect(p).rejects.toThrow('delay ms must be a finite number of milliseconds');
      expect(vi.getTimerCount()).toBe(0);
    },
  );
});

describe('delay with real timers', () => {
  it('holds a ref on the process unless ref is false', async () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const weak = delay(5, { ref: false });
    const strong = delay(5);
    const [a, b] = setTimer.mock.results.map((r) => r.value as NodeJS.Timeout);
    setTimer.mockRestore();
    expect(a?.hasRef()).toBe(false);
    expect(b?.hasRef()).toBe(true);
    await Promise.all([weak, strong]);
  });
});

describe('waitFor', () => {
  it('resolves with the promise’s value and removes its listener', async () => {
    const controller = new AbortController();
    await expect(waitFor(Promise.resolve(42), controller.signal)).resolves.toBe(42);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('rejects with the promise’s error and removes its listener', async () => {
    const controller = new AbortController();
    const error = new SysError('X', 'bad');
    await expect(waitFor(Promise.reject(error), controller.signal)).rejects.toBe(error);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('rejects with signal.reason when aborted first, and ignores the promise afterwards', async () => {
    const controller = new AbortController();
    let settle: (v: number) => void = () => {};
    const slow = new Promise<number>((r) => {
      settle = r;
    });
    const p = waitFor(slow, controller.signal);
    controller.abort('cancelled');
    await expect(p).rejects.toBe('cancelled');
    expect(listeners(controller.signal)).toBe(0);
    settle(1);
    await slow;
  });

  it('rejects at once when the signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort('early');
    await expect(waitFor(new Promise(() => {}), controller.signal)).rejects.toBe('early');
    const start = vi.fn(() => undefined);
    await expect(waitFor(start, controller.signal)).rejects.toBe('early');
    expect(start).not.toHaveBeenCalled();
    expect(listeners(controller.signal)).toBe(0);
  });

  it('runs a started wait until something resolves it, and never undoes it then', async () => {
    const waiters: ((v: string) => void)[] = [];
    const undo = vi.fn();
    const controller = new AbortController();
    const p = waitFor<string>((resolve) => {
      waiters.push(resolve);
      return undo;
    }, controller.signal);
    expect(listeners(controller.signal)).toBe(1);
    waiters.shift()?.('woken');
    await expect(p).resolves.toBe('woken');
    expect(listeners(controller.signal)).toBe(0);
    controller.abort();
    expect(undo).not.toHaveBeenCalled();
  });

  it('undoes a started wait on abort, once, after rejecting', async () => {
    const undo = vi.fn();
    const controller = new AbortController();
    const p = waitFor(() => undo, controller.signal);
    controller.abort('stop');
    await expect(p).rejects.toBe('stop');
    expect(undo).toHaveBeenCalledTimes(1);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('settles by the first call only, also when start settles at once', async () => {
    const controller = new AbortController();
    const p = waitFor<number>((resolve, reject) => {
      resolve(1);
      reject(new Error('late'));
      resolve(2);
    }, controller.signal);
    await expect(p).resolves.toBe(1);
    expect(listeners(controller.signal)).toBe(0);
    const failing = waitFor<number>(() => {
      throw new SysError('X', 'start failed');
    }, controller.signal);
    await expect(failing).rejects.toThrow('start failed');
    expect(listeners(controller.signal)).toBe(0);
  });

  it('waits without a signal', async () => {
    await expect(waitFor((resolve: (v: string) => void) => resolve('ok'))).resolves.toBe('ok');
  });
});
