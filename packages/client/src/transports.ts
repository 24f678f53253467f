import { isPlainObject, SysError } from '@sys/core';
import { utf8Length } from '@sys/diff-tracker';
import { ConnectionLostError, ServerResponseError } from './errors.js';
import { SseParser } from './sse.js';

/** The part of the standard WebSocket the client uses (a browser's, Node 22's, or the `ws` package's). */
export interface WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor (the global one in browsers; inject `ws` in Node 20, which has none). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of the standard EventSource the client uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  close(): void;
}

/** An EventSource constructor (the global one in browsers). */
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** A fetch function (the global one in browsers and Node 20). */
export type FetchLike = typeof globalThis.fetch;

/** What a transport reports to the client. */
export interface TransportHandlers {
  /** One envelope's JSON text. */
  onText(text: string): void;
  /** An envelope built here (poll's complete-state GET), and the bytes its body took. */
  onEnvelope(envelope: unknown, sizeBytes: number): void;
  /** The connection ended or failed. Not called after close(). */
  onDrop(error: Error): void;
}

/** An open connection. */
export interface Connection {
  close(): void;
}

/** Everything a transport needs, resolved from the client's options. */
export interface TransportConfig {
  readonly baseUrl: string;
  readonly symbols: readonly string[] | undefined;
  readonly paths: readonly string[] | undefined;
  readonly debug: boolean;
  readonly token: string | undefined;
  readonly fetch: FetchLike | undefined;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly EventSource: EventSourceConstructor | undefined;
  readonly pollWaitMs: number;
}

/** Opens a connection; `position()` is the copy's position now (read per request by poll). */
export type Connect = (
  config: TransportConfig,
  position: () => string | undefined,
  handlers: TransportHandlers,
) => Connection;

/** `base` + `/v1/…` with the filter query (and `since`/`token`/extra when given). */
export function endpoint(
  config: TransportConfig,
  route: string,
  extra: Record<string, string | undefined> = {},
): URL {
  const base = config.baseUrl.endsWith('/') ? config.baseUrl : `${config.baseUrl}/`;
  const url = new URL(`v1/${route}`, base);
  if (config.debug) url.searchParams.set('debug', '1');
  if (config.symbols !== undefined) url.searchParams.set('symbols', config.symbols.join(','));
  for (const p of config.paths ?? []) url.searchParams.append('path', p);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

function headers(config: TransportConfig, accept: string): Record<string, string> {
  const h: Record<string, string> = { accept };
  if (config.token !== undefined) h.authorization = `Bearer ${config.token}`;
  return h;
}

function requireFetch(config: TransportConfig): FetchLike {
  const f = config.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') {
    throw new ConnectionLostError('fetch', 'no fetch in this environment: pass options.fetch');
  }
  return f;
}

/** A non-2xx response as a typed error, with the server's `{ error: { code, message } }` when it sent one. */
async function responseError(where: string, res: Response): Promise<ServerResponseError> {
  let code: string | undefined;
  let detail = res.statusText;
  try {
    const body: unknown = await res.json();
    const error = isPlainObject(body) ? body.error : undefined;
    if (isPlainObject(error)) {
      if (typeof error.code === 'string') code = error.code;
      if (typeof error.message === 'string') detail = error.message;
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return new ServerResponseError(where, res.status, code, detail);
}

function asError(where: string, e: unknown): Error {
  if (SysError.isInstance(e)) return e;
  return new ConnectionLostError(where, e instanceof Error ? e.message : String(e), { cause: e });
}

/** SSE through the standard EventSource when there is one, else a fetch-based reader. */
export const connectSse: Connect = (config, position, handlers) => {
  const ES = config.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
  if (ES !== undefined) return connectEventSource(ES, config, position, handlers);
  return connectSseFetch(config, position, handlers);
};

function connectEventSource(
  ES: EventSourceConstructor,
  config: TransportConfig,
  position: () => string | undefined,
  handlers: TransportHandlers,
): Connection {
  // EventSource sends no headers of ours: the position and token go in the query (the wire allows both).
  const url = endpoint(config, 'stream', { since: position(), token: config.token });
  const es = new ES(url.href);
  let closed = false;
  const onData = (event: { data?: unknown }) => {
    if (!closed && typeof event.data === 'string') handlers.onText(event.data);
  };
  for (const type of ['snapshot', 'delta', 'message']) es.addEventListener(type, onData);
  es.addEventListener('error', () => {
    // EventSource would reconnect by itself from its last id; the client owns reconnects (it may need a
    // snapshot instead), so this one is closed and the client decides.
    if (closed) return;
    closed = true;
    es.close();
    handlers.onDrop(new ConnectionLostError(url.pathname, 'the event stream failed or ended'));
  });
  return {
    close() {
      closed = true;
      es.close();
    },
  };
}

/** SSE read with fetch and a streaming body (Node 20, or a browser without EventSource). */
export const connectSseFetch: Connect = (config, position, handlers) => {
  const abort = new AbortController();
  let closed = false;
  const url = endpoint(config, 'stream', { since: position() });
  const run = async () => {
    const res = await requireFetch(config)(url, {
      headers: headers(config, 'text/event-stream'),
      signal: abort.signal,
    });
    if (!res.ok) throw await responseError(`GET ${url.pathname}`, res);
    if (res.body === null) throw new ConnectionLostError(url.pathname, 'the response has no body');
    const parser = new SseParser((event) => {
      if (!closed) handlers.onText(event.data);
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done || closed) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    if (!closed) throw new ConnectionLostError(url.pathname, 'the server ended the event stream');
  };
  run().catch((e: unknown) => {
    if (!closed) handlers.onDrop(asError(url.pathname, e));
  });
  return {
    close() {
      closed = true;
      abort.abort();
    },
  };
};

/** WebSocket: the first message chooses the position and filters; then one envelope per text message. */
export const connectWs: Connect = (config, position, handlers) => {
  const WS = config.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WS === undefined) {
    throw new ConnectionLostError('ws', 'no WebSocket in this environment: pass options.WebSocket (e.g. ws)');
  }
  const url = endpoint(config, 'ws', { token: config.token });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // Filters travel in the first message, not the query.
  for (const k of ['debug', 'symbols', 'path']) url.searchParams.delete(k);
  const ws = new WS(url.href);
  let closed = false;
  const drop = (error: Error) => {
    if (closed) return;
    closed = true;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch {
      // Already closing.
    }
    handlers.onDrop(error);
  };
  ws.onopen = () => {
    const first: Record<string, unknown> = {};
    const since = position();
    if (since !== undefined) first.since = since;
    if (config.debug) first.debug = true;
    if (config.symbols !== undefined) first.symbols = config.symbols;
    if (config.paths !== undefined) first.paths = config.paths;
    ws.send(JSON.stringify(first));
  };
  ws.onmessage = (event) => {
    if (closed) return;
    const data = event.data;
    if (typeof data === 'string') handlers.onText(data);
    else
      drop(new ServerResponseError(url.pathname, 0, undefined, 'a binary message where envelopes are text'));
  };
  ws.onclose = (event) => {
    drop(new ConnectionLostError(url.pathname, `closed with code ${event.code} ${event.reason}`.trim()));
  };
  ws.onerror = () => {
    drop(new ConnectionLostError(url.pathname, 'the WebSocket failed'));
  };
  return {
    close() {
      if (closed) return;
      closed = true;
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'client closed');
      } catch {
        // Not open yet: closing it is all that was asked.
      }
    },
  };
};

/**
 * Long poll: a complete-state GET when the copy has no position, then `GET /v1/state?since=…&wait=…` in a
 * loop, one envelope per answer, until closed or a request fails.
 */
export const connectPoll: Connect = (config, position, handlers) => {
  const abort = new AbortController();
  let closed = false;
  const fetchFn = requireFetch(config);
  const run = async () => {
    while (!closed) {
      const since = position();
      const url =
        since === undefined
          ? endpoint(config, 'state')
          : endpoint(config, 'state', { since, wait: String(config.pollWaitMs) });
      const res = await fetchFn(url, { headers: headers(config, 'application/json'), signal: abort.signal });
      if (!res.ok) throw await responseError(`GET ${url.pathname}`, res);
      const text = await res.text();
      if (closed) return;
      if (since !== undefined) {
        handlers.onText(text);
        continue;
      }
      // The complete state: its position and fingerprint come in headers; it becomes a snapshot.
      const at = res.headers.get('sys-position') ?? res.headers.get('etag')?.replace(/^(W\/)?"|"$/g, '');
      const colon = at?.lastIndexOf(':') ?? -1;
      if (at === undefined || colon < 1) {
        throw new ServerResponseError(
          `GET ${url.pathname}`,
          res.status,
          undefined,
          'no Sys-Position or ETag header',
        );
      }
      let state: unknown;
      try {
        state = JSON.parse(text);
      } catch {
        throw new ServerResponseError(`GET ${url.pathname}`, res.status, undefined, 'the body is not JSON');
      }
      const fp = res.headers.get('sys-fingerprint');
      handlers.onEnvelope(
        {
          t: 'snapshot',
          epoch: at.slice(0, colon),
          seq: Number(at.slice(colon + 1)),
          reason: 'requested',
          state,
          ...(fp === null ? {} : { fp }),
        },
        utf8Length(text),
      );
    }
  };
  run().catch((e: unknown) => {
    if (!closed) handlers.onDrop(asError('poll', e));
  });
  return {
    close() {
      closed = true;
      abort.abort();
    },
  };
};
