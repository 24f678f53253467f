/** Counters of a {@link BoundedQueue}, snake_case as they appear on the wire. */
export interface QueueStats {
  /** Most items it holds; a producer waits beyond that. */
  capacity: number;
  /** Items in it now. */
  depth: number;
  /** The greatest depth seen. */
  high_water: number;
  /** Items that entered (enqueued = dequeued + depth, always). */
  enqueued: number;
  /** Items taken out. */
  dequeued: number;
  /** Wall ms producers spent waiting for room (finished waits). */
  blocked_ms: number;
  /** Producers waiting for room now. */
  waiting_producers: number;
  /** Items dropped: always 0, a full queue makes the producer wait instead. Reported so nobody has to trust it. */
  dropped: number;
}

/** What a reader of queue counters needs: the counters and a version to cache by. */
export interface QueueStatsSource {
  /** Grows on every change. */
  readonly version: number;
  /** The counters now. */
  stats(): QueueStats;
}

interface PutWaiter<T> {
  readonly item: T;
  readonly sinceMs: number;
  readonly resolve: () => void;
  readonly detach: () => void;
}

interface TakeWaiter<T> {
  readonly resolve: (item: T) => void;
  readonly detach: () => void;
}

/** Options of a {@link BoundedQueue}. */
export interface BoundedQueueOptions {
  /** Most items held at once (≥ 1). */
  capacity: number;
  /** Wall clock in ms for `blocked_ms`; default `performance.now`. */
  now?: () => number;
}

/**
 * A FIFO async queue with a bound: `put` waits while it is full (market data is never dropped), `take`
 * waits while it is empty. Both waits can be aborted with a signal; an aborted `put` leaves nothing behind.
 */
export class BoundedQueue<T> implements QueueStatsSource {
  /** Most items held at once. */
  readonly capacity: number;
  readonly #now: () => number;
  #items: T[] = [];
  #head = 0;
  readonly #putters: PutWaiter<T>[] = [];
  readonly #takers: TakeWaiter<T>[] = [];
  #highWater = 0;
  #enqueued = 0;
  #dequeued = 0;
  #blockedMs = 0;
  #version = 0;

  constructor(options: BoundedQueueOptions) {
    const { capacity } = options;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a whole number ≥ 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Items in the queue now. */
  get depth(): number {
    return this.#items.length - this.#head;
  }

  /** Items taken out so far (a handed-over item counts the moment it is handed over). */
  get dequeued(): number {
    return this.#dequeued;
  }

  /** Grows on every change, so a reader can cache what it built from the stats. */
  get version(): number {
    return this.#version;
  }

  /** Adds `item`, waiting while the queue is full; rejects with `signal.reason` if aborted first. */
  put(item: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#putters.length === 0 && this.depth < this.capacity) {
      this.#admit(item);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#putters.indexOf(waiter);
        if (i !== -1) this.#putters.splice(i, 1);
        this.#version++;
        reject(signal?.reason);
      };
      const waiter: PutWaiter<T> = {
        item,
        sinceMs: this.#now(),
        resolve,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#putters.push(waiter);
      this.#version++;
    });
  }

  /** Takes the oldest item, waiting while the queue is empty; rejects with `signal.reason` if aborted first. */
  take(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.depth > 0) return Promise.resolve(this.#remove());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#takers.indexOf(waiter);
        if (i !== -1) this.#takers.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: TakeWaiter<T> = {
        resolve,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#takers.push(waiter);
    });
  }

  /** Takes up to `max` items that are there now, without waiting. */
  takeUpTo(max: number): T[] {
    const out: T[] = [];
    while (out.length < max && this.depth > 0) out.push(this.#remove());
    return out;
  }

  /** The counters now (a fresh object). */
  stats(): QueueStats {
    return {
      capacity: this.capacity,
      depth: this.depth,
      high_water: this.#highWater,
      enqueued: this.#enqueued,
      dequeued: this.#dequeued,
      blocked_ms: Math.round(this.#blockedMs * 1000) / 1000,
      waiting_producers: this.#putters.length,
      dropped: 0,
    };
  }

  #admit(item: T): void {
    this.#enqueued++;
    this.#version++;
    const taker = this.#takers.shift();
    if (taker !== undefined) {
      // Someone is waiting: hand it over; it passed through the queue without resting there.
      this.#dequeued++;
      taker.detach();
      taker.resolve(item);
      return;
    }
    this.#items.push(item);
    if (this.depth > this.#highWater) this.#highWater = this.depth;
  }

  #remove(): T {
    const item = this.#items[this.#head] as T;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#dequeued++;
    this.#version++;
    // Room was made: let the first waiting producer in (in arrival order, so the order of data holds).
    const putter = this.#putters.shift();
    if (putter !== undefined) {
      this.#blockedMs += Math.max(0, this.#now() - putter.sinceMs);
      putter.detach();
      this.#admit(putter.item);
      putter.resolve();
    }
    return item;
  }
}
