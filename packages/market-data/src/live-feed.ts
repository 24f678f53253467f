import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Bar } from './bar.js';
import { LiveFeedError } from './errors.js';
import { type FeedFormat, handshakeMessages, readFeedMessage } from './feed-formats.js';

/** Where a live feed is in its life. */
export type FeedState = 'connecting' | 'authenticating' | 'streaming' | 'backing_off' | 'ended' | 'failed';

/** What a live feed has done so far (for the run's status and for tests). */
export interface FeedStatus {
  readonly url: string;
  readonly state: FeedState;
  /** Connections opened that got as far as the server. */
  readonly connects: number;
  /** Connections lost and tried again. */
  readonly reconnects: number;
  /** Failed attempts in a row (0 once streaming). */
  readonly attempt: number;
  /** Wait before the next attempt while backing off, ms; null otherwise. */
  readonly retryInMs: number | null;
  readonly lastError: string | null;
  /** Bars read from the feed. */
  readonly bars: number;
  /** Bars read from the backfill source after a reconnect. */
  readonly backfilled: number;
  /** Messages or items that were not bars, counted and skipped. */
  readonly malformed: number;
  readonly lastMalformed: string | null;
}

/** Exponential backoff with jitter between reconnect attempts. */
export interface BackoffOptions {
  /** First wait, ms (default 500). */
  initialMs?: number;
  /** Longest wait, ms (default 30 000). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** ± this fraction of the wait is random (default 0.2), so many clients do not retry in step. */
  jitter?: number;
}

/** Bars of `symbols` with `fromMs <= startMs < toMs`, in time order: what a reconnect missed. */
export type Backfill = (fromMs: number, toMs: number, symbols: readonly string[]) => AsyncIterable<Bar>;

/** Options of a {@link WsBarFeed}. */
export interface WsBarFeedOptions {
  format: FeedFormat;
  /** `ws://` or `wss://` address of the feed. */
  url: string;
  symbols: readonly string[];
  key?: string | undefined;
  secret?: string | undefined;
  backoff?: BackoffOptions;
  /** Failed attempts in a row before the feed gives up (default: never). */
  maxAttempts?: number;
  /** A ping every this many ms; no pong by the next one drops the connection (default 15 000). */
  heartbeatMs?: number;
  /** Connect, authenticate and subscribe within this many ms, or try again (default 10 000). */
  handshakeTimeoutMs?: number;
  /** Where minutes missed while disconnected are read from (default: none, the gap stays a gap). */
  backfill?: Backfill;
  /** Random numbers in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
  /** Called on every change of state. */
  onStatus?: (status: FeedStatus) => void;
}

type Item =
  | { kind: 'bars'; bars: Bar[] }
  | { kind: 'subscribed' }
  | { kind: 'closed'; code: number; reason: string; error: string | null }
  | { kind: 'auth_failed'; text: string };

/** A queue one producer (socket events) fills and one async reader drains. */
class ItemQueue {
  readonly #items: Item[] = [];
  #wake: (() => void) | null = null;

  push(item: Item): void {
    this.#items.push(item);
    this.#wake?.();
    this.#wake = null;
  }

  async next(): Promise<Item> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) return item;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

/**
 * Minute bars from a WebSocket feed in Alpaca market-data v2 or Polygon/Massive aggregate-minute format:
 * it authenticates and subscribes, pings to notice a dead connection, and on any loss reconnects with
 * exponential backoff and jitter, subscribes again, and reads the minutes it missed from `backfill` before
 * the first new bar. Malformed messages are counted and skipped. A server that closes with code 1000 ends
 * the feed; a refused key fails it (trying again would not help).
 */
export class WsBarFeed implements AsyncIterable<Bar> {
  readonly #o: WsBarFeedOptions;
  readonly #controller = new AbortController();
  #socket: WebSocket | null = null;
  #status: FeedStatus;

  constructor(options: WsBarFeedOptions) {
    this.#o = options;
    this.#status = {
      url: options.url,
      state: 'connecting',
      connects: 0,
      reconnects: 0,
      attempt: 0,
      retryInMs: null,
      lastError: null,
      bars: 0,
      backfilled: 0,
      malformed: 0,
      lastMalformed: null,
    };
  }

  /** What the feed has done so far. */
  status(): FeedStatus {
    return this.#status;
  }

  #set(change: Partial<FeedStatus>): void {
    this.#status = { ...this.#status, ...change };
    this.#o.onStatus?.(this.#status);
  }

  /** Closes the connection and ends the iteration. */
  async close(): Promise<void> {
    this.#controller.abort(new LiveFeedError(this.#o.url, 'closed'));
    this.#socket?.terminate();
  }

  /** The wait before attempt `attempt` (1-based), with jitter. */
  #delayMs(attempt: number): number {
    const b = this.#o.backoff ?? {};
    const base = Math.min(b.maxMs ?? 30_000, (b.initialMs ?? 500) * (b.factor ?? 2) ** (attempt - 1));
    const jitter = b.jitter ?? 0.2;
    return Math.max(0, Math.round(base * (1 + jitter * (2 * (this.#o.random ?? Math.random)() - 1))));
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Bar> {
    const signal = this.#controller.signal;
    let lastMs: number | null = null;
    let needBackfill = false;
    try {
      for (;;) {
        if (signal.aborted) return;
        const queue = new ItemQueue();
        this.#open(queue);
        let streaming = false;
        let end: Item & { kind: 'closed' };
        for (;;) {
          const item = await queue.next();
          if (item.kind === 'closed') {
            end = item;
            break;
          }
          if (item.kind === 'auth_failed') {
            this.#socket?.terminate();
            throw new LiveFeedError(
              this.#o.url,
              `authentication refused: ${item.text}; check key and secret`,
            );
          }
          if (item.kind === 'subscribed') {
            streaming = true;
            this.#set({ state: 'streaming', attempt: 0, retryInMs: null });
            continue;
          }
          for (const bar of item.bars) {
            if (needBackfill && lastMs !== null && bar.startMs > lastMs + 60_000 && this.#o.backfill) {
              needBackfill = false;
              let n = 0;
              for await (const b of this.#o.backfill(lastMs + 60_000, bar.startMs, this.#o.symbols)) {
                n++;
                yield b;
              }
              this.#set({ backfilled: this.#status.backfilled + n });
            } else if (needBackfill && lastMs !== null && bar.startMs > lastMs) needBackfill = false;
            if (lastMs === null || bar.startMs > lastMs) lastMs = bar.startMs;
            yield bar;
          }
        }
        if (signal.aborted) return;
        if (end.code === 1000) {
          this.#set({ state: 'ended' });
          return;
        }
        const attempt = streaming ? 1 : this.#status.attempt + 1;
        const max = this.#o.maxAttempts ?? Number.POSITIVE_INFINITY;
        if (attempt > max) {
          throw new LiveFeedError(
            this.#o.url,
            `gave up after ${max} failed attempt${max === 1 ? '' : 's'}: ${end.error ?? `closed ${end.code}`}`,
          );
        }
        needBackfill = true;
        const retryInMs = this.#delayMs(attempt);
        this.#set({
          state: 'backing_off',
          attempt,
          retryInMs,
          reconnects: this.#status.reconnects + 1,
          lastError:
            end.error ?? `connection closed (${end.code}${end.reason === '' ? '' : ` ${end.reason}`})`,
        });
        try {
          await sleep(retryInMs, undefined, { signal });
        } catch {
          return;
        }
      }
    } catch (error) {
      this.#set({ state: 'failed', lastError: (error as Error).message });
      throw error;
    } finally {
      this.#socket?.terminate();
      this.#socket = null;
    }
  }

  /** Opens one connection; its events go to `queue`, ending with one `closed`. */
  #open(queue: ItemQueue): void {
    const o = this.#o;
    this.#set({ state: 'connecting' });
    const ws = new WebSocket(o.url, { handshakeTimeout: o.handshakeTimeoutMs ?? 10_000 });
    this.#socket = ws;
    let error: string | null = null;
    let alive = true;
    let seq = 0;
    const heartbeat = setInterval(() => {
      if (!alive) {
        error = `no pong within ${o.heartbeatMs ?? 15_000} ms`;
        ws.terminate();
        return;
      }
      alive = false;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, o.heartbeatMs ?? 15_000);
    const handshake = setTimeout(() => {
      if (this.#status.state !== 'streaming') {
        error = `no subscription within ${o.handshakeTimeoutMs ?? 10_000} ms`;
        ws.terminate();
      }
    }, o.handshakeTimeoutMs ?? 10_000);
    const hello = handshakeMessages(o.format, { key: o.key, secret: o.secret }, o.symbols);
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('open', () => {
      this.#set({ connects: this.#status.connects + 1, state: 'authenticating' });
    });
    ws.on('message', (data, isBinary) => {
      alive = true;
      seq++;
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : String(data);
      const m = readFeedMessage(o.format, text, `${o.url}#${seq}`);
      if (m.malformed.length > 0) {
        this.#set({
          malformed: this.#status.malformed + m.malformed.length,
          lastMalformed: m.malformed[m.malformed.length - 1] ?? null,
        });
      }
      for (const e of m.events) {
        if (e.kind === 'connected') ws.send(hello.auth);
        else if (e.kind === 'authenticated') ws.send(hello.subscribe);
        else if (e.kind === 'subscribed') queue.push({ kind: 'subscribed' });
        else if (e.kind === 'auth_failed') queue.push({ kind: 'auth_failed', text: e.text });
        else error = e.text;
      }
      if (m.bars.length > 0) {
        this.#status = { ...this.#status, bars: this.#status.bars + m.bars.length };
        queue.push({ kind: 'bars', bars: m.bars });
      }
    });
    ws.on('error', (e) => {
      error = e.message;
    });
    ws.on('close', (code, reason) => {
      clearInterval(heartbeat);
      clearTimeout(handshake);
      queue.push({ kind: 'closed', code, reason: reason.toString(), error });
    });
  }
}
