import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { GZIP_HEADER, type GzipSegment, GzipTrailer, gzipSegment } from './gzip.js';
import type { Prepared, StateHub, Subscriber, View } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import type { Position } from './position.js';

/** Per-client limits. */
export interface ConnectionLimits {
  /** Most bytes queued for one client; past it its envelopes are dropped until it drains. */
  readonly maxBufferBytes: number;
  /** A client that stays over its buffer this long is disconnected. */
  readonly stuckTimeoutMs: number;
}

/**
 * One client following a view over a stream transport. It is sent each new envelope of its view when it is
 * at the envelope's starting position; when its send buffer is full it is sent nothing more until it
 * drains, and then one catch-up from where it is — so memory per client stays bounded.
 */
export abstract class Connection implements Subscriber {
  abstract readonly transport: 'sse' | 'ws';
  position: Position | undefined;
  stalledSinceMs: number | undefined;
  closed = false;
  readonly #hub: StateHub;
  readonly view: View;
  readonly #limits: ConnectionLimits;
  readonly #metrics: ServerMetrics;

  constructor(hub: StateHub, view: View, limits: ConnectionLimits, metrics: ServerMetrics) {
    this.#hub = hub;
    this.view = view;
    this.#limits = limits;
    this.#metrics = metrics;
  }

  /** Bytes written to this client that the socket has not taken yet. */
  abstract bufferedBytes(): number;
  protected abstract write(envelope: Prepared): void;
  /** Sends a keep-alive (an SSE comment, a WebSocket ping). */
  abstract heartbeat(): void;
  /** Sends a last control message and closes; resolves once it is flushed to the socket (or failed). */
  abstract end(message: string): Promise<void>;

  /** Starts following: one envelope from `since` (a snapshot without it), then every change. */
  begin(since: Position | undefined): void {
    const first = this.#hub.catchup(this.view, since);
    if (first === undefined) this.position = since;
    else this.#send(first);
    this.#hub.attach(this.view, this);
  }

  onEnvelope(envelope: Prepared): void {
    if (this.closed || this.stalledSinceMs !== undefined) return;
    const p = this.position;
    if (
      envelope.kind === 'delta' &&
      (p === undefined || p.epoch !== envelope.epoch || p.seq !== envelope.from)
    ) {
      const c = this.#hub.catchup(this.view, p);
      if (c !== undefined) this.#send(c);
      return;
    }
    this.#send(envelope);
  }

  /** Called often: a stalled client that drained gets its catch-up; one stuck too long is closed. */
  check(nowMs: number): void {
    if (this.closed || this.stalledSinceMs === undefined) return;
    if (this.bufferedBytes() <= this.#limits.maxBufferBytes / 4) {
      this.stalledSinceMs = undefined;
      const c = this.#hub.catchup(this.view, this.position);
      if (c !== undefined) this.#send(c);
    } else if (nowMs - this.stalledSinceMs > this.#limits.stuckTimeoutMs) {
      this.#metrics.disconnected.inc({ reason: 'stuck' });
      void this.end('{"t":"closing","reason":"stuck"}');
    }
  }

  /** Stops following (the socket closed). */
  detach(): void {
    this.closed = true;
    this.#hub.detach(this.view, this);
  }

  #send(envelope: Prepared): void {
    const buffered = this.bufferedBytes();
    if (buffered > 0 && buffered + envelope.text.length > this.#limits.maxBufferBytes) {
      this.stalledSinceMs = Date.now();
      this.#metrics.dropped.inc({ transport: this.transport });
      return;
    }
    this.write(envelope);
    this.position = { epoch: envelope.epoch, seq: envelope.to };
    this.#metrics.envelopes.inc({ transport: this.transport, kind: envelope.kind });
    this.#metrics.bytes.inc({ transport: this.transport }, envelope.text.length);
    if (envelope.reason !== undefined) this.#metrics.snapshots.inc({ reason: envelope.reason });
  }
}

/**
 * A Server-Sent Events client: one `event:` per envelope. With gzip, each envelope's frame is compressed
 * once for every gzip client (a shared segment, see gzip.ts) and this client's stream is a gzip header, the
 * segments it was sent, and a trailer at the end.
 */
export class SseConnection extends Connection {
  readonly transport = 'sse';
  readonly #res: ServerResponse;
  readonly #gzip: GzipTrailer | undefined;

  constructor(
    res: ServerResponse,
    gzip: boolean,
    hub: StateHub,
    view: View,
    limits: ConnectionLimits,
    metrics: ServerMetrics,
  ) {
    super(hub, view, limits, metrics);
    this.#res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...(gzip ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
    });
    // A reset socket is the client leaving; its 'close' detaches it.
    res.on('error', () => res.destroy());
    if (gzip) {
      this.#gzip = new GzipTrailer();
      this.#write(GZIP_HEADER);
    }
    this.#raw(RETRY, true);
  }

  bufferedBytes(): number {
    return this.#res.writableLength;
  }

  protected write(envelope: Prepared): void {
    if (this.#gzip === undefined) {
      this.#write(envelope.sseFrame());
      return;
    }
    const segment = envelope.sseGzip();
    if (this.#write(segment.bytes)) this.#gzip.add(segment);
  }

  heartbeat(): void {
    this.#raw(HEARTBEAT, true);
  }

  end(message: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.#raw(`event: ${(JSON.parse(message) as { t: string }).t}\ndata: ${message}\n\n`);
    this.detach();
    const res = this.#res;
    const flushed = new Promise<void>((resolve) => {
      if (res.writableFinished || res.destroyed) resolve();
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
    });
    if (this.#gzip !== undefined) this.#write(this.#gzip.end());
    res.end();
    return flushed;
  }

  /** Writes text outside an envelope; `fixed`: the same for every client (compressed once, shared). */
  #raw(text: string, fixed = false): void {
    if (this.#gzip === undefined) {
      this.#write(Buffer.from(text, 'utf8'));
      return;
    }
    let segment = fixed ? fixedSegments.get(text) : undefined;
    if (segment === undefined) {
      segment = gzipSegment(Buffer.from(text, 'utf8'));
      if (fixed) fixedSegments.set(text, segment);
    }
    if (this.#write(segment.bytes)) this.#gzip.add(segment);
  }

  /** Writes when the socket is still there; says whether it did. */
  #write(chunk: Buffer): boolean {
    // The socket may be gone between its 'close' and our next write: nothing to send to.
    if (this.#res.destroyed || this.#res.writableEnded) return false;
    this.#res.write(chunk);
    return true;
  }
}

/** What every SSE stream starts with (the reconnect delay), and its heartbeat comment. */
const RETRY = 'retry: 2000\n\n';
const HEARTBEAT = ': hb\n\n';

/** Gzip segments of the fixed texts, made on first use and shared by every gzip client like an envelope's. */
const fixedSegments = new Map<string, GzipSegment>();

/** A WebSocket client: one text message per envelope (permessage-deflate is negotiated by the socket). */
export class WsConnection extends Connection {
  readonly transport = 'ws';
  readonly #socket: WebSocket;

  constructor(
    socket: WebSocket,
    hub: StateHub,
    view: View,
    limits: ConnectionLimits,
    metrics: ServerMetrics,
  ) {
    super(hub, view, limits, metrics);
    this.#socket = socket;
  }

  bufferedBytes(): number {
    return this.#socket.bufferedAmount;
  }

  protected write(envelope: Prepared): void {
    this.#socket.send(envelope.bytes(), { binary: false });
  }

  heartbeat(): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.ping();
  }

  end(message: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.detach();
    const socket = this.#socket;
    if (socket.readyState !== socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.send(message, () => socket.close(1001, 'server going away'));
    });
  }
}
