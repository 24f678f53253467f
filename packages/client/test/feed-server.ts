// A small server of the v1 wire contract for the client's tests: the state of a producer the test ticks,
// served over SSE, WebSocket and long poll on 127.0.0.1. (Faults are tested through a real server and a
// damaging proxy in faults.test.ts.) It keeps every state by seq, so any position resumes with one delta (diffJson from the state at
// that position), and computes `fp` with the same fingerprint as @sys/diff-tracker's ChangeFeed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Json, sealJson } from '@sys/core';
import { diffJson, fingerprint } from '@sys/diff-tracker';
import { WebSocketServer } from 'ws';

interface Sink {
  seq: number;
  send(text: string): void;
}

/** The test's producer and server. */
export class FeedServer {
  readonly epoch: string;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #states = new Map<number, Json>();
  readonly #sinks = new Set<Sink>();
  readonly #waiters = new Set<() => void>();
  #seq = 0;

  constructor(initial: Json, epoch = 'e1') {
    this.epoch = epoch;
    this.#seq = 1;
    this.#states.set(1, sealJson(initial));
    this.#http = createServer((req, res) => this.#route(req, res));
    this.#wss = new WebSocketServer({ server: this.#http, path: '/v1/ws' });
    this.#wss.on('connection', (ws) => {
      ws.once('message', (data) => {
        let since: string | undefined;
        try {
          const first = JSON.parse(String(data)) as { since?: unknown };
          if (typeof first.since === 'string') since = first.since;
        } catch {
          ws.send(JSON.stringify({ error: { code: 'BAD_MESSAGE', message: 'not JSON' } }));
          ws.close(1008);
          return;
        }
        const sink: Sink = { seq: 0, send: (text) => ws.send(text) };
        this.#attach(sink, since);
        ws.on('close', () => this.#sinks.delete(sink));
      });
    });
  }

  /** Listens on 127.0.0.1 (a free port); returns the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`;
  }

  /** The state now. */
  get state(): Json {
    return this.#states.get(this.#seq) as Json;
  }

  /** The state at a past position (every one is kept). */
  stateAt(seq: number): Json | undefined {
    return this.#states.get(seq);
  }

  /** The position now. */
  get position(): string {
    return `${this.epoch}:${this.#seq}`;
  }

  /** Makes the next state (sharing unchanged subtrees) and sends every connection its delta. */
  publish(next: unknown): void {
    this.#states.set(++this.#seq, sealJson(next));
    for (const sink of [...this.#sinks]) this.#push(sink);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Cuts every open stream (a server-side drop); clients reconnect and resume. */
  dropAll(): void {
    for (const ws of this.#wss.clients) ws.terminate();
    this.#http.closeAllConnections();
    this.#sinks.clear();
  }

  async close(): Promise<void> {
    for (const wake of [...this.#waiters]) wake();
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  /** The envelope from `since` to now, or undefined when the position is now. */
  envelopeFrom(since: string | undefined): Json | undefined {
    const at = parsePosition(since);
    if (at !== undefined && at.epoch === this.epoch && at.seq === this.#seq) return undefined;
    const state = this.state;
    const fp = fingerprint(state);
    const from = at !== undefined && at.epoch === this.epoch ? this.#states.get(at.seq) : undefined;
    if (at === undefined || from === undefined) {
      const reason =
        at === undefined ? 'new_consumer' : at.epoch !== this.epoch ? 'epoch_changed' : 'position_gone';
      return { t: 'snapshot', epoch: this.epoch, seq: this.#seq, reason, state, fp };
    }
    const ops = diffJson(from, state).ops as unknown as Json;
    return { t: 'delta', epoch: this.epoch, from: at.seq, to: this.#seq, ops, fp };
  }

  #attach(sink: Sink, since: string | undefined): void {
    const at = parsePosition(since);
    sink.seq = at !== undefined && at.epoch === this.epoch ? at.seq : 0;
    this.#sinks.add(sink);
    const first = this.envelopeFrom(since);
    if (first !== undefined) this.#write(sink, first);
  }

  #push(sink: Sink): void {
    const e = this.envelopeFrom(`${this.epoch}:${sink.seq}`);
    if (e !== undefined) this.#write(sink, e);
  }

  #write(sink: Sink, envelope: Json): void {
    const e = envelope as { seq?: number; to?: number };
    sink.seq = e.to ?? e.seq ?? sink.seq;
    sink.send(JSON.stringify(envelope));
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/stream') {
      this.#stream(req, res, url);
      return;
    }
    if (url.pathname === '/v1/state') {
      void this.#state(res, url);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: url.pathname } }));
  }

  #stream(req: IncomingMessage, res: ServerResponse, url: URL): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write('retry: 2000\n\n: hello\n\n');
    const since = url.searchParams.get('since') ?? req.headers['last-event-id'];
    const sink: Sink = {
      seq: 0,
      send: (text) => {
        const e = JSON.parse(text) as { t: string; epoch: string; seq?: number; to?: number };
        res.write(`event: ${e.t}\nid: ${e.epoch}:${e.to ?? e.seq}\ndata: ${text}\n\n`);
      },
    };
    req.on('close', () => this.#sinks.delete(sink));
    this.#attach(sink, typeof since === 'string' ? since : undefined);
  }

  async #state(res: ServerResponse, url: URL): Promise<void> {
    const since = url.searchParams.get('since');
    if (since === null) {
      const body = JSON.stringify(this.state);
      res.writeHead(200, {
        'content-type': 'application/json',
        etag: `"${this.position}"`,
        'sys-position': this.position,
        'sys-fingerprint': fingerprint(this.state),
      });
      res.end(body);
      return;
    }
    const waitMs = Number(url.searchParams.get('wait') ?? '0');
    if (this.envelopeFrom(since) === undefined && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.#waiters.add(wake);
      });
    }
    const at = parsePosition(since);
    const envelope = this.envelopeFrom(since) ?? {
      t: 'delta',
      epoch: this.epoch,
      from: at?.seq ?? 0,
      to: at?.seq ?? 0,
      ops: [],
      fp: fingerprint(this.state),
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(envelope));
  }
}

function parsePosition(p: string | undefined | null): { epoch: string; seq: number } | undefined {
  if (p === undefined || p === null) return undefined;
  const i = p.lastIndexOf(':');
  if (i < 1) return undefined;
  return { epoch: p.slice(0, i), seq: Number(p.slice(i + 1)) };
}
