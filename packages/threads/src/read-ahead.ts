import type { Bar, BarQuery, BarSource } from '@sys/market-data';
import { StreamOrderError } from './errors.js';

/** Counters of a {@link ReadAhead}, snake_case as on the wire. */
export interface ReadAheadStats {
  /** Bars it reads ahead of the loop before it stops asking the source. */
  capacity: number;
  /** Bars read and not yet taken. */
  depth: number;
  /** The greatest depth seen. */
  high_water: number;
  /** Bars read from the source (enqueued = dequeued + depth, always). */
  enqueued: number;
  /** Bars taken by the loop. */
  dequeued: number;
  /** Wall ms the loop waited for the source (reads not done in time). */
  blocked_ms: number;
  /** Bars dropped: always 0; reported so nobody has to trust it. */
  dropped: number;
}

/** Batches of bars in time order: the source's own batches when it has them, else its bars in chunks. */
export function barBatches(source: BarSource, query: BarQuery): AsyncIterable<readonly Bar[]> {
  return source.streamBatches?.(query) ?? chunked(source.streamBars(query), 4096);
}

async function* chunked(bars: AsyncIterable<Bar>, size: number): AsyncGenerator<readonly Bar[]> {
  let chunk: Bar[] = [];
  for await (const bar of bars) {
    chunk.push(bar);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * The read side of a replay: keeps up to `capacity` bars of the source read ahead of the loop, one read in
 * flight at a time, so a minute's bars are usually there when market time reaches its end. The loop takes
 * bars strictly by time (`takeBefore`), so nothing is seen before its minute is over. It checks that time
 * never goes backwards (`StreamOrderError` naming the bar), since the loop's exactly-once rests on it.
 */
export class ReadAhead {
  readonly capacity: number;
  readonly #iterator: AsyncIterator<readonly Bar[]>;
  readonly #now: () => number;
  #chunks: (readonly Bar[])[] = [];
  /** Index of the next bar in the first chunk. */
  #head = 0;
  #inFlight: Promise<void> | null = null;
  #failure: unknown = null;
  #exhausted = false;
  #lastStartMs = Number.NEGATIVE_INFINITY;
  #depth = 0;
  #highWater = 0;
  #enqueued = 0;
  #dequeued = 0;
  #blockedMs = 0;
  #version = 0;

  constructor(
    batches: AsyncIterable<readonly Bar[]>,
    options: { capacity?: number; now?: () => number } = {},
  ) {
    this.#iterator = batches[Symbol.asyncIterator]();
    this.capacity = Math.max(1, options.capacity ?? 65_536);
    this.#now = options.now ?? (() => performance.now());
  }

  /** True once the source ran out and every bar read was taken. */
  get exhausted(): boolean {
    return this.#exhausted && this.#depth === 0;
  }

  /** Grows on every change of the counters. */
  get version(): number {
    return this.#version;
  }

  /** Resolves once a bar starting at or after `endMs` was read, or the source ran out; rejects if it failed. */
  async fill(endMs: number): Promise<void> {
    if (this.#failure !== null) throw this.#failure;
    if (this.#covers(endMs)) {
      this.#prefetch();
      return;
    }
    const t0 = this.#now();
    while (!this.#covers(endMs)) {
      if (this.#failure !== null) throw this.#failure;
      this.#prefetch(true); // the loop needs these bars now: past the capacity if it must
      await this.#inFlight;
    }
    this.#blockedMs += this.#now() - t0;
    this.#prefetch();
  }

  /**
   * Takes every buffered bar that starts before `endMs` (call `fill(endMs)` first), in source order.
   * Returns a shared empty array when there are none.
   */
  takeBefore(endMs: number): readonly Bar[] {
    const first = this.#chunks[0];
    if (first === undefined || (first[this.#head] as Bar).startMs >= endMs) return EMPTY;
    let out: Bar[] | null = null;
    for (;;) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) break;
      let i = this.#head;
      while (i < chunk.length && (chunk[i] as Bar).startMs < endMs) i++;
      const part = this.#head === 0 && i === chunk.length ? chunk : chunk.slice(this.#head, i);
      if (out === null && i === chunk.length && this.#chunks.length === 1) {
        out = part as Bar[];
      } else {
        out ??= [];
        for (let k = 0; k < part.length; k++) out.push(part[k] as Bar);
      }
      if (i < chunk.length) {
        this.#head = i;
        break;
      }
      this.#chunks.shift();
      this.#head = 0;
    }
    const taken = out ?? EMPTY;
    this.#depth -= taken.length;
    this.#dequeued += taken.length;
    this.#version++;
    this.#prefetch();
    return taken;
  }

  /** The counters now (a fresh object). */
  stats(): ReadAheadStats {
    return {
      capacity: this.capacity,
      depth: this.#depth,
      high_water: this.#highWater,
      enqueued: this.#enqueued,
      dequeued: this.#dequeued,
      blocked_ms: Math.round(this.#blockedMs * 1000) / 1000,
      dropped: 0,
    };
  }

  /** Stops reading and releases the source's iterator. */
  async close(): Promise<void> {
    this.#exhausted = true;
    await this.#inFlight?.catch(() => undefined);
    await this.#iterator.return?.();
  }

  #covers(endMs: number): boolean {
    return this.#exhausted || this.#lastStartMs >= endMs;
  }

  /** Starts one read when there is room (or `force`) and none is in flight. */
  #prefetch(force = false): void {
    if (this.#inFlight !== null || this.#exhausted || this.#failure !== null) return;
    if (this.#depth >= this.capacity && !force) return;
    // Never rejects: a failure is kept and thrown to the loop by `fill`, not left unhandled in the background.
    this.#inFlight = this.#iterator.next().then(
      (r) => {
        this.#inFlight = null;
        try {
          if (r.done === true) this.#exhausted = true;
          else if (r.value.length > 0) this.#admit(r.value);
        } catch (error) {
          this.#failure = error;
          return;
        }
        this.#version++;
        // Keep reading until full: the loop should find its next minutes here, not wait for them.
        this.#prefetch();
      },
      (error: unknown) => {
        this.#inFlight = null;
        this.#failure = error;
      },
    );
  }

  #admit(chunk: readonly Bar[]): void {
    // Time order is what the loop's exactly-once rests on; a duplicate within a minute is refused by the
    // session's own per-symbol check when it is applied.
    let lastMs = this.#lastStartMs;
    for (let i = 0; i < chunk.length; i++) {
      const startMs = (chunk[i] as Bar).startMs;
      if (startMs < lastMs) {
        const bar = chunk[i] as Bar;
        throw new StreamOrderError(
          `${bar.symbol}: a bar starting ${new Date(startMs).toISOString()} came after one starting ` +
            `${new Date(lastMs).toISOString()}; a source must yield bars in time order`,
        );
      }
      lastMs = startMs;
    }
    this.#lastStartMs = lastMs;
    this.#chunks.push(chunk);
    this.#depth += chunk.length;
    this.#enqueued += chunk.length;
    if (this.#depth > this.#highWater) this.#highWater = this.#depth;
  }
}

const EMPTY: readonly Bar[] = Object.freeze([]);
