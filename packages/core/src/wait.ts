import { ArgumentError } from './errors.js';

/** The longest delay a timer can hold: `setTimeout` fires at once for anything longer. */
const MAX_DELAY_MS = 2_147_483_647;

/** Options of {@link delay}. */
export interface DelayOptions {
  /** Aborting it rejects the delay with `signal.reason` and clears the timer. */
  signal?: AbortSignal | undefined;
  /** False: the pending timer does not keep a Node process alive (a daemon's wait). Default true. */
  ref?: boolean | undefined;
}

/**
 * Resolves after `ms` wall milliseconds; rejects with `signal.reason` when the signal aborts first (or
 * already has). Either way the timer is cleared and the abort listener removed, so a long-lived signal
 * collects nothing. `ms` must be a finite number in [0, 2^31 − 1]: anything else rejects with an
 * ArgumentError instead of firing at once.
 */
export function delay(ms: number, options: DelayOptions = {}): Promise<void> {
  const { signal } = options;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) {
    return Promise.reject(
      new ArgumentError('delay ms', ms, `a finite number of milliseconds in [0, ${MAX_DELAY_MS}]`),
    );
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    // Browsers' timers are numbers: only Node's have unref.
    if (options.ref === false) (timer as { unref?: () => void }).unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Starts a wait that something else ends: called with `resolve` and `reject`, it registers them (in a
 * queue, a list of waiters, a timer …) and returns the function that takes that registration back. The
 * returned function runs only when the wait is abandoned (its signal aborted); a producer that settles
 * the wait removes its own registration.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a start with nothing to undo returns nothing (as React effects do)
export type WaitStart<T> = (resolve: (value: T) => void, reject: (error: unknown) => void) => Undo | void;

/** Takes back the registration of an abandoned wait. */
type Undo = () => void;

/**
 * Waits for a promise, or for a wait started by `start`, until `signal` aborts: then rejects with
 * `signal.reason` (at once when it already has; `start` is then never called) and, for `start`, undoes
 * the registration. The abort listener is removed however the wait ends. An abandoned promise keeps
 * running: its later result is ignored, as `Promise.race` would.
 */
export function waitFor<T>(what: PromiseLike<T> | WaitStart<T>, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cancel: (() => void) | undefined;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(signal?.reason);
      cancel?.();
    };
    const onValue = (value: T): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onError = (error: unknown): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    };
    if (typeof what === 'function') {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      cancel = what(onValue, onError) ?? undefined;
    } else {
      what.then(onValue, onError);
    }
    if (done) return;
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
