import { ArgumentError, isPlainObject, type Json } from '@sys/core';
import { utf8Length } from '@sys/diff-tracker';
import { type BackoffOptions, backoffDelayMs } from './backoff.js';
import { ServerResponseError } from './errors.js';
import { Replica, type ResyncReason, type WireEnvelope } from './replica.js';
import {
  type Connect,
  type Connection,
  connectPoll,
  connectSse,
  connectWs,
  type EventSourceConstructor,
  type FetchLike,
  type TransportConfig,
  type WebSocketConstructor,
} from './transports.js';

/** How the client reaches the server. */
export type TransportKind = 'sse' | 'ws' | 'poll';

/** Where the client is: connecting (or reconnecting), live, waiting for a snapshot, or closed for good. */
export type ClientStatus = 'connecting' | 'live' | 'resyncing' | 'closed';

/** Options of createStateClient. */
export interface StateClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:7070` (routes are under `/v1`). */
  url: string;
  transport: TransportKind;
  /** Only these symbols under /session_data/symbols. */
  symbols?: readonly string[];
  /** Only these JSON Pointer subtrees (with their ancestors). */
  paths?: readonly string[];
  /** The debug face of the state (bars, performance …). */
  debug?: boolean;
  /** Bearer token, when the server requires one. */
  token?: string;
  /** Injected fetch (default the global one). */
  fetch?: FetchLike;
  /** Injected WebSocket constructor (default the global one; Node 20 has none: pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** Injected EventSource (default the global one; without either, SSE is read with fetch). */
  EventSource?: EventSourceConstructor;
  /** Reconnect waits. */
  backoff?: BackoffOptions;
  /** Long-poll hold asked of the server (≤ 30,000 ms). Default 25,000. */
  pollWaitMs?: number;
}

/** What a listener receives after each change of the copy. */
export interface StateChange {
  /** The copy now; subtrees the envelope did not touch are the same objects as before. */
  readonly state: Json;
  /** RFC 6901 pointers the envelope wrote (`['']` for a snapshot). */
  readonly changedPaths: readonly string[];
  readonly envelope: WireEnvelope;
}

/** A listener of changes; what it throws is counted and kept in `lastError`, never rethrown. */
export type StateListener = (change: StateChange) => void;

/** Counters since the client was created. */
export interface ClientCounters {
  /** Envelopes received (every one, applied or not). */
  readonly envelopes: number;
  /** UTF-8 bytes of the envelopes' JSON text (after any transfer decompression). */
  readonly bytes: number;
  /** Snapshots applied, by the server's reason. */
  readonly snapshots: Readonly<Record<string, number>>;
  /** Deltas the copy was already past (a duplicate or stale envelope), dropped without harm. */
  readonly duplicates: number;
  /** Times the client dropped its position and asked for a snapshot, by reason. */
  readonly resyncs: Readonly<Record<ResyncReason, number>>;
  /** Envelopes whose `fp` differed from the fingerprint of the copy after applying them. */
  readonly fingerprintMismatches: number;
  /** Connections opened after the first. */
  readonly reconnects: number;
  /** Exceptions thrown by listeners (caught). */
  readonly listenerErrors: number;
}

/** A live, exact copy of the server's state. */
export interface StateClient {
  readonly status: ClientStatus;
  /** `epoch:seq` of the copy, or undefined before the first snapshot and while resyncing. */
  readonly position: string | undefined;
  readonly counters: ClientCounters;
  /** The last error met (a dropped connection, a server error, a listener's exception). */
  readonly lastError: Error | undefined;
  /** The copy now (null before the first snapshot). Frozen; share it freely. */
  getState(): Json;
  /** Calls `listener` after every change of the copy; returns the unsubscribe function. */
  subscribe(listener: StateListener): () => void;
  /** Drops the position and asks for a snapshot (counted as a `requested` resync). */
  resync(): void;
  /** Closes the connection for good; no listener is called after it. */
  close(): void;
}

const CONNECT: Record<TransportKind, Connect> = { sse: connectSse, ws: connectWs, poll: connectPoll };

/** Creates a client and starts connecting. */
export function createStateClient(options: StateClientOptions): StateClient {
  return new Client(options);
}

interface MutableCounters {
  envelopes: number;
  bytes: number;
  snapshots: Record<string, number>;
  duplicates: number;
  resyncs: Record<ResyncReason, number>;
  fingerprintMismatches: number;
  reconnects: number;
  listenerErrors: number;
}

class Client implements StateClient {
  readonly #config: TransportConfig;
  readonly #connect: Connect;
  readonly #backoff: BackoffOptions;
  readonly #replica = new Replica();
  readonly #listeners = new Set<StateListener>();
  readonly #counters: MutableCounters = {
    envelopes: 0,
    bytes: 0,
    snapshots: {},
    duplicates: 0,
    resyncs: {
      gap: 0,
      apply_failed: 0,
      fingerprint_mismatch: 0,
      bad_envelope: 0,
      epoch_changed: 0,
      requested: 0,
    },
    fingerprintMismatches: 0,
    reconnects: 0,
    listenerErrors: 0,
  };
  #status: ClientStatus = 'connecting';
  #connection: Connection | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts since the last envelope applied: the backoff exponent. */
  #attempt = 0;
  #connections = 0;
  #lastError: Error | undefined;

  constructor(options: StateClientOptions) {
    if (!isPlainObject(options)) throw new ArgumentError('options', options, 'an object');
    if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) {
      throw new ArgumentError('options.url', options.url, 'an http:// or https:// URL');
    }
    if (!Object.hasOwn(CONNECT, options.transport)) {
      throw new ArgumentError('options.transport', options.transport, "'sse', 'ws' or 'poll'");
    }
    const pollWaitMs = options.pollWaitMs ?? 25_000;
    if (!Number.isInteger(pollWaitMs) || pollWaitMs < 0 || pollWaitMs > 30_000) {
      throw new ArgumentError('options.pollWaitMs', pollWaitMs, 'an integer from 0 to 30000');
    }
    this.#config = {
      baseUrl: options.url,
      symbols: options.symbols,
      paths: options.paths,
      debug: options.debug === true,
      token: options.token,
      fetch: options.fetch,
      WebSocket: options.WebSocket,
      EventSource: options.EventSource,
      pollWaitMs,
    };
    this.#connect = CONNECT[options.transport];
    this.#backoff = options.backoff ?? {};
    this.#open();
  }

  get status(): ClientStatus {
    return this.#status;
  }

  get position(): string | undefined {
    return this.#replica.position;
  }

  get counters(): ClientCounters {
    const c = this.#counters;
    return { ...c, snapshots: { ...c.snapshots }, resyncs: { ...c.resyncs } };
  }

  get lastError(): Error | undefined {
    return this.#lastError;
  }

  getState(): Json {
    return this.#replica.state;
  }

  subscribe(listener: StateListener): () => void {
    if (typeof listener !== 'function') throw new ArgumentError('listener', listener, 'a function');
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  resync(): void {
    if (this.#status !== 'closed') this.#resync('requested');
  }

  close(): void {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connection?.close();
    this.#connection = undefined;
    this.#listeners.clear();
  }

  #open(): void {
    this.#timer = undefined;
    if (this.#status === 'closed') return;
    if (this.#connections++ > 0) this.#counters.reconnects++;
    // Each connection reports through handlers bound to it: a late callback of a replaced one is ignored.
    const handlers = {
      onText: (text: string) => {
        if (this.#connection === connection) this.#onText(text);
      },
      onEnvelope: (envelope: unknown, sizeBytes: number) => {
        if (this.#connection === connection) this.#onEnvelope(envelope, sizeBytes);
      },
      onDrop: (error: Error) => {
        if (this.#connection === connection) this.#onDrop(error);
      },
    };
    let connection: Connection | undefined;
    try {
      connection = this.#connect(this.#config, () => this.#replica.position, handlers);
    } catch (e) {
      // No transport in this environment (e.g. no WebSocket): nothing to retry until options change.
      this.#lastError = e instanceof Error ? e : new Error(String(e));
      this.close();
      return;
    }
    this.#connection = connection;
  }

  #onText(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (isPlainObject(parsed) && isPlainObject(parsed.error) && !('t' in parsed)) {
      // The server refused (a bad first WebSocket message …); it closes the connection next.
      const error = parsed.error;
      this.#lastError = new ServerResponseError(
        'server message',
        0,
        typeof error.code === 'string' ? error.code : undefined,
        typeof error.message === 'string' ? error.message : 'error',
      );
      return;
    }
    if (isPlainObject(parsed) && (parsed.t === 'shutdown' || parsed.t === 'closing')) {
      // The server says it is going away (or dropping this slow client): the connection ends next and the
      // client reconnects with backoff. Not an envelope: nothing to apply.
      return;
    }
    this.#onEnvelope(parsed, utf8Length(text));
  }

  #onEnvelope(envelope: unknown, sizeBytes: number): void {
    const c = this.#counters;
    c.envelopes++;
    c.bytes += sizeBytes;
    const outcome = this.#replica.apply(envelope);
    switch (outcome.kind) {
      case 'ignored':
        if (outcome.duplicate) c.duplicates++;
        if (this.#replica.position !== undefined) this.#status = 'live';
        return;
      case 'resync':
        if (outcome.reason === 'fingerprint_mismatch') c.fingerprintMismatches++;
        this.#lastError = new ServerResponseError('envelope', 0, outcome.reason, outcome.detail);
        this.#resync(outcome.reason);
        return;
      case 'applied': {
        const e = envelope as WireEnvelope;
        if (e.t === 'snapshot') c.snapshots[e.reason] = (c.snapshots[e.reason] ?? 0) + 1;
        this.#attempt = 0;
        this.#status = 'live';
        this.#notify({ state: outcome.state, changedPaths: outcome.changedPaths, envelope: e });
      }
    }
  }

  #notify(change: StateChange): void {
    for (const listener of [...this.#listeners]) {
      if (this.#status === 'closed') return;
      try {
        listener(change);
      } catch (e) {
        this.#counters.listenerErrors++;
        this.#lastError = e instanceof Error ? e : new Error(String(e));
      }
    }
  }

  /** Drops the position and reconnects for a snapshot; the copy stays readable meanwhile. */
  #resync(reason: ResyncReason): void {
    this.#counters.resyncs[reason]++;
    this.#replica.reset();
    this.#status = 'resyncing';
    this.#connection?.close();
    this.#connection = undefined;
    this.#schedule();
  }

  #onDrop(error: Error): void {
    this.#lastError = error;
    this.#connection = undefined;
    if (this.#status === 'live') this.#status = 'connecting';
    this.#schedule();
  }

  #schedule(): void {
    if (this.#status === 'closed') return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const waitMs = backoffDelayMs(this.#attempt++, this.#backoff);
    this.#timer = setTimeout(() => this.#open(), waitMs);
  }
}
