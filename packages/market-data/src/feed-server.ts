import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Bar } from './bar.js';
import { LiveFeedError } from './errors.js';
import { type FeedFormat, feedItem } from './feed-formats.js';

/** Options of a {@link FeedReplayServer}. */
export interface FeedReplayOptions {
  format: FeedFormat;
  /** The bars to serve, in time order. */
  bars: readonly Bar[];
  /** Port on 127.0.0.1 (0: any free one). */
  port?: number;
  /** Market minutes per wall minute (60: a minute a second); `max`: every minute as soon as sent. */
  speed?: number | 'max';
  /** The key a client must send (default: any key is accepted). */
  key?: string;
}

/** Counts of a replay so far. */
export interface FeedReplayStatus {
  readonly clients: number;
  readonly minutesSent: number;
  readonly minutesTotal: number;
  readonly barsSent: number;
  readonly done: boolean;
}

interface Client {
  readonly ws: WebSocket;
  symbols: ReadonlySet<string> | null;
}

/**
 * Serves stored bars as a live WebSocket feed on 127.0.0.1, in Alpaca v2 or Polygon aggregate-minute
 * format, with each format's handshake (connected, auth, subscribe). One timeline for all clients starts at
 * the first subscription and moves at `speed`; a client that joins late gets the minutes from then on, as
 * from a real feed. When the last minute is sent every client is closed with code 1000.
 */
export class FeedReplayServer {
  readonly #o: FeedReplayOptions;
  readonly #minutes: Bar[][] = [];
  readonly #clients = new Set<Client>();
  #server: WebSocketServer | null = null;
  #next = 0;
  #barsSent = 0;
  #timer: NodeJS.Timeout | null = null;
  #done: Promise<void>;
  #resolveDone: () => void = () => {};

  constructor(options: FeedReplayOptions) {
    this.#o = options;
    for (const bar of options.bars) {
      const last = this.#minutes[this.#minutes.length - 1];
      if (last !== undefined && (last[0] as Bar).startMs === bar.startMs) last.push(bar);
      else this.#minutes.push([bar]);
    }
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** Starts listening; resolves with the `ws://127.0.0.1:PORT` address. */
  async listen(): Promise<string> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: this.#o.port ?? 0 });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (e) =>
        reject(new LiveFeedError(`127.0.0.1:${this.#o.port ?? 0}`, `cannot listen: ${e.message}`)),
      );
    });
    server.on('connection', (ws) => this.#accept(ws));
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Resolves when every minute was sent. */
  done(): Promise<void> {
    return this.#done;
  }

  /** Counts so far. */
  status(): FeedReplayStatus {
    return {
      clients: this.#clients.size,
      minutesSent: this.#next,
      minutesTotal: this.#minutes.length,
      barsSent: this.#barsSent,
      done: this.#next >= this.#minutes.length,
    };
  }

  /** Stops: closes every client and the listening socket. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    for (const c of this.#clients) c.ws.close(1001, 'server going away');
    const server = this.#server;
    this.#server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#resolveDone();
  }

  #send(ws: WebSocket, items: readonly Record<string, unknown>[]): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(items));
  }

  #accept(ws: WebSocket): void {
    const client: Client = { ws, symbols: null };
    const alpaca = this.#o.format === 'alpaca';
    let authed = false;
    this.#send(ws, [
      alpaca
        ? { T: 'success', msg: 'connected' }
        : { ev: 'status', status: 'connected', message: 'Connected Successfully' },
    ]);
    ws.on('message', (data) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        this.#send(ws, [
          alpaca
            ? { T: 'error', code: 400, msg: 'invalid syntax' }
            : { ev: 'status', status: 'error', message: 'invalid JSON' },
        ]);
        return;
      }
      if (m.action === 'auth') {
        const key = alpaca ? m.key : m.params;
        if (this.#o.key !== undefined && key !== this.#o.key) {
          this.#send(ws, [
            alpaca
              ? { T: 'error', code: 402, msg: 'auth failed' }
              : { ev: 'status', status: 'auth_failed', message: 'authentication failed' },
          ]);
          ws.close(1008, 'auth failed');
          return;
        }
        authed = true;
        this.#send(ws, [
          alpaca
            ? { T: 'success', msg: 'authenticated' }
            : { ev: 'status', status: 'auth_success', message: 'authenticated' },
        ]);
      } else if (m.action === 'subscribe' && authed) {
        const wanted = alpaca
          ? Array.isArray(m.bars)
            ? m.bars.map(String)
            : []
          : String(m.params ?? '')
              .split(',')
              .map((p) => p.trim().replace(/^AM\./, ''));
        client.symbols = wanted.includes('*') ? null : new Set(wanted);
        this.#clients.add(client);
        this.#send(ws, [
          alpaca
            ? { T: 'subscription', trades: [], quotes: [], bars: wanted }
            : {
                ev: 'status',
                status: 'success',
                message: `subscribed to: ${wanted.map((s) => `AM.${s}`).join(',')}`,
              },
        ]);
        if (this.#timer === null && this.#next === 0) this.#tick();
      }
    });
    ws.on('close', () => this.#clients.delete(client));
  }

  #tick(): void {
    const minute = this.#minutes[this.#next];
    if (minute === undefined) {
      for (const c of this.#clients) c.ws.close(1000, 'replay finished');
      this.#resolveDone();
      return;
    }
    this.#next++;
    for (const c of this.#clients) {
      const bars = c.symbols === null ? minute : minute.filter((b) => c.symbols?.has(b.symbol));
      if (bars.length === 0) continue;
      this.#barsSent += bars.length;
      this.#send(
        c.ws,
        bars.map((b) => feedItem(this.#o.format, b)),
      );
    }
    const speed = this.#o.speed ?? 'max';
    const following = this.#minutes[this.#next];
    const waitMs =
      speed === 'max' || following === undefined
        ? 0
        : ((following[0] as Bar).startMs - (minute[0] as Bar).startMs) / speed;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#tick();
    }, waitMs);
  }
}
