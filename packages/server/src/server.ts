import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { isPlainObject, type Json, SysError } from '@sys/core';
import { fingerprint } from '@sys/diff-tracker';
import {
  ConfigError,
  type SessionConfigInput,
  type SystemManager,
  SystemStateError,
} from '@sys/system-manager';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { type Connection, type ConnectionLimits, SseConnection, WsConnection } from './connection.js';
import { errorBody, HttpError } from './errors.js';
import { StateHub } from './hub.js';
import { ServerMetrics } from './metrics.js';
import { formatPosition, type Position, parsePosition } from './position.js';
import { CONTROL_BODIES, STATE_QUERY, STREAM_QUERY } from './schemas.js';
import { parseViewSpec, type ViewSpec, valueAt } from './view.js';

/** Options of `startServer`. */
export interface ServerOptions {
  /** The system to serve. */
  manager?: SystemManager;
  /**
   * Instead of a manager: a fed hub (`new StateHub({ initial })`) whose positions someone else pushes, e.g.
   * a replica following a publisher. Served read-only: no control routes, the plain face only.
   */
  hub?: StateHub;
  /** Interface to bind. Default 127.0.0.1; any other needs a token. */
  host?: string;
  /** Port; 0 picks a free one. Default 7070. */
  port?: number;
  /** Bearer token required on every route but health; also enables the control routes. */
  token?: string;
  /** Origins allowed to call from a browser page (CORS); default none. */
  corsOrigins?: readonly string[];
  /** Least wall time between two samples of the state while a run moves. Default 50 ms. */
  tickMs?: number;
  /** The state is also sampled this often (control changes, the end of a run). Default 1000 ms. */
  pollMs?: number;
  /** SSE comment / WebSocket ping interval. Default 15 s. */
  heartbeatMs?: number;
  /** Per-client send buffer; past it the client is sent one catch-up when it drains. Default 1 MiB. */
  maxBufferBytes?: number;
  /** A client over its buffer this long is disconnected. Default 30 s. */
  stuckTimeoutMs?: number;
  /** Most simultaneous connections. Default 10,000. */
  maxConnections?: number;
  /** Positions kept for resuming (count, and bytes beyond the latest state, per face). */
  maxPositions?: number;
  maxHistoryBytes?: number;
  /** gzip on HTTP answers and SSE, permessage-deflate on WebSocket. Default true. */
  compress?: boolean;
  /** Time `close()` gives clients to receive their last envelope before sockets are cut. Default 5 s. */
  shutdownDeadlineMs?: number;
  /** Fingerprint of a state, sent as `fp` in every envelope; default @sys/diff-tracker's, `false` for none. */
  fingerprint?: ((state: Json, previous?: Json) => string) | false;
  /** A folder of static files served at `/` (the dashboard). */
  staticDir?: string;
}

/** A running server. */
export interface SysServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  readonly hub: StateHub;
  readonly metrics: ServerMetrics;
  readonly app: FastifyInstance;
  /** Connected stream clients now. */
  connectionCount(): number;
  /** Each connected stream client: transport, position, bytes queued for it, and whether it is stalled. */
  clientStats(): ClientStats[];
  /**
   * Stops accepting, samples the state a last time, sends every stream client its final envelope and a
   * `shutdown` message, and closes within the deadline.
   */
  close(): Promise<void>;
}

/** One stream client as `clientStats` shows it. */
export interface ClientStats {
  readonly transport: 'sse' | 'ws';
  readonly position: string | null;
  readonly bufferedBytes: number;
  readonly stalled: boolean;
}

/** Thrown for options that would make an unsafe or impossible server. */
export class ServerOptionsError extends SysError {
  constructor(message: string) {
    super('SERVER_OPTIONS', message);
  }
}

const MAX_URL_CHARS = 8192;

/** Starts serving `manager` over HTTP, SSE and WebSocket; resolves once listening. */
export async function startServer(options: ServerOptions): Promise<SysServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token === undefined || options.token === '' ? undefined : options.token;
  if (token === undefined && !isLoopback(host)) {
    throw new ServerOptionsError(
      `binding ${host} exposes the session beyond this machine: give a token (--token or SYS_TOKEN), or bind 127.0.0.1`,
    );
  }
  checkPositive(options, [
    'tickMs',
    'pollMs',
    'heartbeatMs',
    'maxBufferBytes',
    'stuckTimeoutMs',
    'shutdownDeadlineMs',
  ]);
  const manager = options.manager;
  if ((manager === undefined) === (options.hub === undefined)) {
    throw new ServerOptionsError(
      'startServer needs a manager to serve, or a fed hub (one of them, not both)',
    );
  }
  const hub =
    options.hub ??
    new StateHub({
      source: (o) => (manager as SystemManager).stateJson(o),
      epoch: () => (manager as SystemManager).feed.epoch,
      ...(options.maxPositions === undefined ? {} : { maxPositions: options.maxPositions }),
      ...(options.maxHistoryBytes === undefined ? {} : { maxHistoryBytes: options.maxHistoryBytes }),
      // Every envelope carries the fingerprint of the state after it, so a client proves its copy exact.
      ...(options.fingerprint === false ? {} : { fingerprint: options.fingerprint ?? fingerprint }),
    });
  const connections = new Set<Connection>();
  const metrics = new ServerMetrics({
    lags: () => [...connections].map((c) => hub.position.seq - (c.position?.seq ?? 0)),
    position: () => hub.position.seq,
    retainedBytes: () => hub.retainedBytes,
  });
  const limits: ConnectionLimits = {
    maxBufferBytes: options.maxBufferBytes ?? 1024 * 1024,
    stuckTimeoutMs: options.stuckTimeoutMs ?? 30_000,
  };
  const compressOn = options.compress !== false;
  const abort = new AbortController();

  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 200 },
    connectionTimeout: 0,
    requestTimeout: 60_000,
    http: { maxHeaderSize: 16 * 1024 },
    // Sockets are cut by close() itself, after clients were sent their last envelope (or at the deadline).
    forceCloseConnections: false,
    // Unknown query keys and body fields are errors, not silently dropped; `path=a` alone is a list of one.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
  });
  app.server.maxConnections = options.maxConnections ?? 10_000;

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'sys server',
        version: '1',
        description: 'The session state over HTTP, SSE and WebSocket',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  if (compressOn)
    await app.register(compress, { global: true, threshold: 1024, encodings: ['gzip', 'deflate'] });
  await app.register(websocket, {
    options: { perMessageDeflate: compressOn, maxPayload: 64 * 1024 },
  });
  if (options.staticDir !== undefined) {
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, { root: options.staticDir, prefix: '/', index: 'index.html' });
  }

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length > MAX_URL_CHARS) {
      throw new HttpError(
        414,
        'URI_TOO_LONG',
        `the request URL is ${req.url.length} characters; at most ${MAX_URL_CHARS}`,
      );
    }
    cors(req, reply, options.corsOrigins);
    if (req.method === 'OPTIONS') return;
    const path = req.url.split('?')[0] ?? '';
    if (!path.startsWith('/v1/') || path === '/v1/health' || token === undefined) return;
    if (!tokenMatches(req, token)) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'this server needs a token: send Authorization: Bearer <token> (or ?token= for EventSource/WebSocket)',
      );
    }
  });

  app.setErrorHandler((error, _req, reply) => {
    const e = toHttpError(error);
    void reply.status(e.status).send(errorBody(e.code, e.message));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send(
        errorBody(
          'NOT_FOUND',
          `no route ${req.method} ${req.url.split('?')[0]}; the routes are listed at /v1/openapi.json`,
        ),
      );
  });
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    app.options('/*', { schema: { hide: true } }, async (_req, reply) => reply.status(204).send());
  }

  const known = (): ReadonlySet<string> =>
    new Set(manager === undefined ? symbolsIn(hub.state) : manager.config.symbols);

  app.get('/v1/health', { schema: { summary: 'Liveness: always answers, no token needed' } }, async () => ({
    status: 'ok',
    state: manager === undefined ? systemStateIn(hub.state) : manager.state,
    position: formatPosition(hub.position.epoch, hub.position.seq),
    clients: connections.size,
  }));

  app.get(
    '/v1/state',
    {
      schema: {
        summary: 'The complete state, or one catch-up envelope from `since`',
        querystring: STATE_QUERY,
      },
    },
    async (req, reply) => {
      const q = req.query as {
        since?: string;
        wait?: number;
        debug?: string;
        symbols?: string;
        path?: string[];
      };
      const spec = specOf(q, known());
      fresh();
      const view = hub.view(spec);
      hub.touch(view);
      if (q.since === undefined) {
        if (q.wait !== undefined)
          throw new HttpError(
            400,
            'BAD_REQUEST',
            'wait needs since (a long poll waits for a change after a position)',
          );
        const etag = `"${formatPosition(view.epoch, view.seq)}"`;
        reply
          .header('etag', etag)
          .header('sys-position', formatPosition(view.epoch, view.seq))
          .header('cache-control', 'no-cache');
        if (view.fp !== undefined) reply.header('sys-fingerprint', view.fp);
        if (req.headers['if-none-match'] === etag) return reply.status(304).send();
        return reply.type('application/json; charset=utf-8').send(hub.stateText(view));
      }
      const since = parsePosition(q.since, 'since');
      if (q.wait !== undefined && since.epoch === view.epoch && since.seq === view.seq) {
        const signal = AbortSignal.any([abort.signal, closedSignal(reply)]);
        await hub.waitForChange(view, since.seq, q.wait, signal);
      }
      const envelope =
        hub.catchup(view, since) ??
        ({
          text: JSON.stringify({
            t: 'delta',
            epoch: view.epoch,
            from: since.seq,
            to: view.seq,
            ...(view.fp === undefined ? {} : { fp: view.fp }),
            ops: [],
          }),
        } as const);
      reply.header('sys-position', formatPosition(view.epoch, view.seq)).header('cache-control', 'no-cache');
      return reply.type('application/json; charset=utf-8').send(envelope.text);
    },
  );

  app.get(
    '/v1/stream',
    {
      schema: {
        summary: 'Server-Sent Events: one event per envelope; resume with Last-Event-ID',
        querystring: STREAM_QUERY,
      },
      compress: false,
    },
    async (req, reply) => {
      const q = req.query as { since?: string; debug?: string; symbols?: string; path?: string[] };
      const spec = specOf(q, known());
      const last = req.headers['last-event-id'];
      const sinceText = typeof last === 'string' && last !== '' ? last : q.since;
      const since =
        sinceText === undefined
          ? undefined
          : parsePosition(sinceText, typeof last === 'string' && last !== '' ? 'Last-Event-ID' : 'since');
      fresh();
      const view = hub.view(spec);
      reply.hijack();
      const gzip = compressOn && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const c = new SseConnection(reply.raw, gzip, hub, view, limits, metrics);
      follow(c, since);
      reply.raw.on('close', () => unfollow(c));
    },
  );

  app.get(
    '/v1/ws',
    { websocket: true, schema: { summary: 'WebSocket: send a hello, then receive envelopes' } },
    (socket: WebSocket, req) => {
      socket.once('message', (data) => {
        let c: WsConnection;
        let since: Position | undefined;
        try {
          const hello = parseHello(data);
          const spec = specOf({ debug: hello.debug, symbols: hello.symbols, path: hello.paths }, known());
          since = hello.since === undefined ? undefined : parsePosition(String(hello.since), 'since');
          fresh();
          c = new WsConnection(socket, hub, hub.view(spec), limits, metrics);
        } catch (error) {
          const e = toHttpError(error);
          socket.send(JSON.stringify(errorBody(e.code, e.message)), () => socket.close(1008, e.code));
          return;
        }
        follow(c, since);
        socket.on('close', () => unfollow(c));
      });
      socket.on('error', () => socket.terminate());
      void req;
    },
  );

  for (const action of ['start', 'pause', 'resume', 'stop', 'step', 'speed'] as const) {
    app.post(
      `/v1/control/${action}`,
      { schema: { summary: `Control: ${action}`, body: CONTROL_BODIES[action], security: [{ bearer: [] }] } },
      async (req) => {
        if (token === undefined || manager === undefined) {
          metrics.control.inc({ action, status: 'CONTROL_DISABLED' });
          throw new HttpError(
            403,
            'CONTROL_DISABLED',
            manager === undefined
              ? 'this server is a replica: control the publisher'
              : 'control needs a token: start the server with --token (or SYS_TOKEN) and send it as a Bearer token',
          );
        }
        try {
          const body = (req.body ?? {}) as {
            config?: SessionConfigInput;
            minutes?: number;
            speed?: number | string;
          };
          await control(manager, action, body);
        } catch (error) {
          metrics.control.inc({ action, status: toHttpError(error).code });
          throw error;
        }
        metrics.control.inc({ action, status: 'ok' });
        scheduleSample(0);
        return { ok: true, state: manager.state, speed: manager.speed };
      },
    );
  }

  app.get('/v1/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_req, reply) => {
    const gauge = metrics.clients;
    gauge.reset();
    for (const c of connections) gauge.inc({ transport: c.transport });
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/v1/openapi.json', { schema: { summary: 'This API as OpenAPI 3' } }, async () => app.swagger());

  // Sampling: after run events (at most once per tickMs), and on a slow timer for everything else.
  const tickMs = options.tickMs ?? 50;
  let lastSampleMs = 0;
  let pending: NodeJS.Timeout | undefined;
  function sampleNow(): void {
    if (pending !== undefined) clearTimeout(pending);
    pending = undefined;
    lastSampleMs = Date.now();
    hub.sample();
  }
  /**
   * A sample unless one was taken within tickMs while the run moves: a burst of requests makes one
   * position, not one each. A run that is not moving (paused, stopped, ended) is sampled on every read —
   * it costs a memoized read of an unchanged state — so a read after `done()` sees the run's end, not the
   * sample taken a few ms before it.
   */
  function fresh(): void {
    if (Date.now() - lastSampleMs >= tickMs || manager?.state !== 'running') sampleNow();
  }
  function scheduleSample(delayMs?: number): void {
    if (pending !== undefined) {
      if (delayMs !== 0) return;
      clearTimeout(pending);
    }
    const wait = delayMs ?? Math.max(0, lastSampleMs + tickMs - Date.now());
    pending = setTimeout(sampleNow, wait);
  }
  const offEvent = manager?.onEvent(() => scheduleSample()) ?? (() => undefined);
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  let lastBeatMs = Date.now();
  const poll = setInterval(() => sampleNow(), options.pollMs ?? 1000);
  const checks = setInterval(
    () => {
      const now = Date.now();
      const beat = now - lastBeatMs >= heartbeatMs;
      if (beat) lastBeatMs = now;
      for (const c of connections) {
        c.check(now);
        if (beat) c.heartbeat();
      }
    },
    Math.min(100, heartbeatMs),
  );

  function follow(c: Connection, since: Position | undefined): void {
    connections.add(c);
    c.begin(since);
  }
  function unfollow(c: Connection): void {
    c.detach();
    connections.delete(c);
  }

  await app.listen({ host, port: options.port ?? 7070 });
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    port,
    hub,
    metrics,
    app,
    connectionCount: () => connections.size,
    clientStats: () =>
      [...connections].map((c) => ({
        transport: c.transport,
        position: c.position === undefined ? null : formatPosition(c.position.epoch, c.position.seq),
        bufferedBytes: c.bufferedBytes(),
        stalled: c.stalledSinceMs !== undefined,
      })),
    close() {
      closing ??= (async () => {
        offEvent();
        clearInterval(poll);
        clearInterval(checks);
        if (pending !== undefined) clearTimeout(pending);
        app.server.close();
        abort.abort();
        hub.sample();
        const p = hub.position;
        const bye = JSON.stringify({ t: 'shutdown', epoch: p.epoch, seq: p.seq });
        const ended = [...connections].map((c) => {
          metrics.disconnected.inc({ reason: 'shutdown' });
          return c.end(bye);
        });
        const deadline = options.shutdownDeadlineMs ?? 5000;
        let timer: NodeJS.Timeout | undefined;
        const cut = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadline);
        });
        // Each client's last bytes are flushed (or the deadline passes), then every socket left is closed.
        await Promise.race([Promise.all(ended), cut]);
        app.server.closeIdleConnections();
        await Promise.race([app.close(), cut]);
        app.server.closeAllConnections();
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

/** The symbols a state holds under /session_data/symbols (a fed hub's filters check against them). */
function symbolsIn(state: Json): string[] {
  const symbols = valueAt(state, ['session_data', 'symbols']);
  return isPlainObject(symbols) ? Object.keys(symbols) : [];
}

/** The system's state (`/system_manager/state`) in a fed hub's state, for health. */
function systemStateIn(state: Json): string {
  const v = valueAt(state, ['system_manager', 'state']);
  return typeof v === 'string' ? v : 'unknown';
}

/** Carries out one control call with the manager's own checks (the CLI's). */
async function control(
  manager: SystemManager,
  action: 'start' | 'pause' | 'resume' | 'stop' | 'step' | 'speed',
  body: { config?: SessionConfigInput; minutes?: number; speed?: number | string },
): Promise<void> {
  switch (action) {
    case 'start':
      await manager.start(body.config);
      return;
    case 'pause':
      manager.pause();
      return;
    case 'resume':
      manager.resume();
      return;
    case 'stop':
      await manager.stop();
      return;
    case 'step':
      await manager.step(body.minutes ?? 1);
      return;
    case 'speed':
      manager.setSpeed(body.speed as number | string);
      return;
  }
}

function specOf(
  q: { debug?: unknown; symbols?: unknown; path?: unknown },
  known: ReadonlySet<string>,
): ViewSpec {
  return parseViewSpec({ debug: q.debug, symbols: q.symbols, paths: q.path }, known);
}

interface Hello {
  since?: unknown;
  debug?: unknown;
  symbols?: unknown;
  paths?: unknown;
}

function parseHello(data: unknown): Hello {
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(
      400,
      'BAD_HELLO',
      'the first message must be JSON: {"since"?: "epoch:seq", "debug"?: true, "symbols"?: [...], "paths"?: [...]}',
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(
      400,
      'BAD_HELLO',
      'the first message must be a JSON object: {"since"?, "debug"?, "symbols"?, "paths"?}',
    );
  }
  const extra = Object.keys(value).filter((k) => !['since', 'debug', 'symbols', 'paths'].includes(k));
  if (extra.length > 0)
    throw new HttpError(
      400,
      'BAD_HELLO',
      `unknown field ${JSON.stringify(extra[0])} in the first message; allowed: since, debug, symbols, paths`,
    );
  return value as Hello;
}

/** Any error as the HttpError answered for it. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ConfigError) return new HttpError(400, error.code, error.message);
  if (error instanceof SystemStateError) return new HttpError(409, error.code, error.message);
  const e = error as { validation?: unknown; statusCode?: unknown; code?: unknown; message?: unknown };
  if (e !== null && typeof e === 'object' && e.validation !== undefined) {
    return new HttpError(400, 'BAD_REQUEST', String(e.message));
  }
  if (SysError.isInstance(error)) return new HttpError(400, error.code, error.message);
  if (
    e !== null &&
    typeof e === 'object' &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  ) {
    return new HttpError(
      e.statusCode,
      typeof e.code === 'string' ? e.code.replace(/^FST_ERR_/, '') : 'BAD_REQUEST',
      String(e.message),
    );
  }
  return new HttpError(500, 'INTERNAL', 'the server failed to answer; see its log');
}

function tokenMatches(req: FastifyRequest, token: string): boolean {
  const header = req.headers.authorization;
  let given: string | undefined;
  if (typeof header === 'string' && header.startsWith('Bearer ')) given = header.slice(7);
  else given = (req.query as { token?: unknown } | undefined)?.token as string | undefined;
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function cors(req: FastifyRequest, reply: FastifyReply, origins: readonly string[] | undefined): void {
  const origin = req.headers.origin;
  if (origins === undefined || typeof origin !== 'string') return;
  if (!origins.includes(origin) && !origins.includes('*')) return;
  reply
    .header('access-control-allow-origin', origin)
    .header('vary', 'origin')
    .header('access-control-allow-headers', 'authorization, content-type, last-event-id')
    .header('access-control-allow-methods', 'GET, POST, OPTIONS')
    .header('access-control-expose-headers', 'etag, sys-position, sys-fingerprint');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Aborts when the client goes away before its answer is sent (a long poll given up). */
function closedSignal(reply: FastifyReply): AbortSignal {
  const c = new AbortController();
  reply.raw.once('close', () => c.abort());
  return c.signal;
}

function checkPositive(options: ServerOptions, keys: readonly (keyof ServerOptions)[]): void {
  for (const k of keys) {
    const v = options[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 2_147_483_647)) {
      throw new ServerOptionsError(
        `${k} must be a number of ms/bytes between 1 and 2147483647, got ${String(v)}`,
      );
    }
  }
}
