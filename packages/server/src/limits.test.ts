import { connect } from 'node:net';
import { SystemManager, sampleConfig } from '@sys/system-manager';
import { describe, expect, it } from 'vitest';
import {
  AUTH,
  cleanupAfterEach,
  expectExact,
  getJson,
  JsonPatchCopy,
  positionOf,
  serveSample,
  TOKEN,
  until,
  type WireEnvelope,
} from '../test/helpers.js';
import { type SysServer, startServer } from './index.js';

const cleanup = cleanupAfterEach();

async function post(server: SysServer, path: string, body: string, headers: Record<string, string> = AUTH) {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe('bad requests get a clear 4xx JSON error and change nothing', () => {
  it('refuses unknown routes, bad positions, bad filters, long URLs, bad bodies and wrong tokens', async () => {
    const { server, manager } = await serveSample();
    cleanup.push(() => server.close());
    const before = await positionOf(server);
    const cases: Array<[string, () => Promise<{ status: number; body: unknown }>, number, string]> = [
      ['unknown route', () => getJson(server, '/v1/nothing'), 404, 'NOT_FOUND'],
      ['since not a position', () => getJson(server, '/v1/state?since=12'), 400, 'BAD_POSITION'],
      ['since with a bad seq', () => getJson(server, '/v1/state?since=abc:-1'), 400, 'BAD_POSITION'],
      [
        'Last-Event-ID not a position',
        () => getJson(server, '/v1/stream', { 'last-event-id': 'x' }),
        400,
        'BAD_POSITION',
      ],
      ['unknown symbol', () => getJson(server, '/v1/state?symbols=AAPL,NOPE'), 400, 'UNKNOWN_SYMBOL'],
      ['empty symbol list', () => getJson(server, '/v1/state?symbols=,'), 400, 'BAD_FILTER'],
      ['path not a pointer', () => getJson(server, '/v1/state?path=session_data'), 400, 'BAD_FILTER'],
      ['path with a bad escape', () => getJson(server, '/v1/state?path=/a~2b'), 400, 'BAD_FILTER'],
      ['debug not a flag', () => getJson(server, '/v1/state?debug=maybe'), 400, 'BAD_REQUEST'],
      ['unknown query key', () => getJson(server, '/v1/state?sinse=a:1'), 400, 'BAD_REQUEST'],
      ['wait past 30 s', () => getJson(server, `/v1/state?since=${before}&wait=999999`), 400, 'BAD_REQUEST'],
      [
        'oversized query',
        () => getJson(server, `/v1/state?symbols=${'A'.repeat(9000)}`),
        414,
        'URI_TOO_LONG',
      ],
      [
        'wrong token',
        () => getJson(server, '/v1/state', { authorization: 'Bearer nope' }),
        401,
        'UNAUTHORIZED',
      ],
      ['bad JSON body', () => post(server, '/v1/control/step', '{"minutes":'), 400, 'CTP_INVALID_JSON_BODY'],
      [
        'step minutes not whole',
        () => post(server, '/v1/control/step', '{"minutes":1.5}'),
        400,
        'BAD_REQUEST',
      ],
      ['speed zero', () => post(server, '/v1/control/speed', '{"speed":0}'), 400, 'INVALID_SPEED'],
      ['speed a word', () => post(server, '/v1/control/speed', '{"speed":"fast"}'), 400, 'INVALID_SPEED'],
      ['pause while stopped', () => post(server, '/v1/control/pause', '{}'), 409, 'SYSTEM_STATE'],
      [
        'start a bad config',
        () => post(server, '/v1/control/start', '{"config":{"symbols":[]}}'),
        400,
        'CONFIG',
      ],
      [
        'control with a wrong token',
        () => post(server, '/v1/control/start', '{}', { authorization: 'Bearer x' }),
        401,
        'UNAUTHORIZED',
      ],
    ];
    for (const [what, answer, status, code] of cases) {
      const got = await answer();
      expect({ what, status: got.status }).toEqual({ what, status });
      const body = got.body as { error: { code: string; message: string } };
      expect({ what, code: body.error.code }).toEqual({ what, code });
      expect(body.error.message.length).toBeGreaterThan(10);
    }
    expect(manager.state).toBe('stopped');
    expect(manager.speed).toBe('max');
    expect(await positionOf(server)).toBe(before);
  });

  it('has no control without a token, and refuses to bind beyond loopback without one', async () => {
    const manager = new SystemManager(sampleConfig());
    const server = await startServer({ manager, port: 0 });
    cleanup.push(() => server.close());
    const res = await post(server, '/v1/control/start', '{}', {});
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('CONTROL_DISABLED');
    expect(manager.state).toBe('stopped');
    // Reads need no token on such a server.
    expect((await fetch(`${server.url}/v1/state`)).status).toBe(200);
    await expect(startServer({ manager, host: '0.0.0.0', port: 0 })).rejects.toThrow(/token/);
    await expect(startServer({ manager, port: 0, tickMs: -1 })).rejects.toThrow(/tickMs/);
  });

  it('sends CORS headers only to configured origins, and answers their preflight', async () => {
    const { server } = await serveSample({ corsOrigins: ['https://dash.example'] });
    cleanup.push(() => server.close());
    const pre = await fetch(`${server.url}/v1/state`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dash.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await fetch(`${server.url}/v1/state`, {
      headers: { ...AUTH, origin: 'https://evil.example' },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const { server: plain } = await serveSample();
    cleanup.push(() => plain.close());
    const none = await fetch(`${plain.url}/v1/state`, {
      headers: { ...AUTH, origin: 'https://dash.example' },
    });
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers health without a token, metrics in Prometheus text, and the OpenAPI document of every route', async () => {
    const { server } = await serveSample();
    cleanup.push(() => server.close());
    const health = await fetch(`${server.url}/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', state: 'stopped' });
    const metrics = await (await fetch(`${server.url}/v1/metrics`, { headers: AUTH })).text();
    for (const name of [
      'sys_server_clients',
      'sys_server_envelopes_sent_total',
      'sys_server_bytes_sent_total',
      'sys_server_snapshots_sent_total',
      'sys_server_client_lag_seq',
      'sys_server_control_calls_total',
    ]) {
      expect(metrics).toContain(`# TYPE ${name}`);
    }
    const api = (await getJson(server, '/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>>;
    };
    for (const route of [
      '/v1/state',
      '/v1/stream',
      '/v1/health',
      '/v1/metrics',
      '/v1/control/step',
      '/v1/control/speed',
    ]) {
      expect(Object.keys(api.paths)).toContain(route);
    }
    // Generated from the schemas that validate: the query parameters the server checks are listed.
    const params = api.paths['/v1/state']?.get?.parameters?.map((p) => p.name) ?? [];
    expect(params).toEqual(expect.arrayContaining(['since', 'wait', 'debug', 'symbols', 'path']));
  });
});

/** An SSE client on a raw socket that can stop reading, as a stuck browser tab would. */
function rawSse(server: SysServer, query: string) {
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  socket.write(
    `GET /v1/stream${query} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${TOKEN}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  let text = '';
  socket.on('data', (d) => {
    text += d.toString('latin1');
  });
  cleanup.push(() => {
    socket.destroy();
  });
  return {
    socket,
    /** Envelopes received so far: the chunked body decoded, then each `data:` line of a whole frame. */
    envelopes(): WireEnvelope[] {
      const body = Buffer.from(dechunk(text), 'latin1').toString('utf8');
      return [...body.matchAll(/^data: (\{.*\})\n\n/gm)].map(
        (m) => JSON.parse(m[1] as string) as WireEnvelope,
      );
    },
  };
}

/** The body of an HTTP/1.1 response with chunked transfer coding, as far as it has arrived. */
function dechunk(raw: string): string {
  let at = raw.indexOf('\r\n\r\n');
  if (at < 0) return '';
  at += 4;
  let body = '';
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) return body;
    const size = Number.parseInt(raw.slice(at, eol), 16);
    if (size === 0 || eol + 2 + size > raw.length) return body;
    body += raw.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

describe('a client that stops reading', () => {
  it('costs bounded memory, then gets one catch-up and ends exact', async () => {
    // Enough symbols that the debug stream outgrows the sockets' kernel buffers early in the day, so the
    // client is stalled for many positions (not only the last one) whatever the machine's load.
    const symbols = Array.from({ length: 200 }, (_, i) => `S${String(i).padStart(3, '0')}`);
    const maxBufferBytes = 256 * 1024;
    const manager = new SystemManager({
      symbols,
      source: { type: 'synthetic', seed: 7 },
      backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      speed: 'max',
    });
    const server = await startServer({
      manager,
      port: 0,
      token: TOKEN,
      tickMs: 1,
      maxBufferBytes,
      stuckTimeoutMs: 60_000,
      compress: false,
    });
    cleanup.push(() => server.close());
    const slow = rawSse(server, '?debug=1');
    await until(() => slow.envelopes().length === 1, 'the first snapshot');
    slow.socket.pause();
    let largest = 0;
    let maxQueued = 0;
    manager.onEvent(() => {
      for (const c of server.clientStats()) maxQueued = Math.max(maxQueued, c.bufferedBytes);
    });
    const sizes = new Set<number>();
    const watch = setInterval(() => {
      for (const c of server.clientStats()) maxQueued = Math.max(maxQueued, c.bufferedBytes);
    }, 1);
    await manager.start();
    await manager.done();
    server.hub.sample();
    clearInterval(watch);
    const final = await getJson(server, '/v1/state?debug=1');
    largest = Buffer.byteLength(JSON.stringify(final.body)) + 200;
    sizes.add(largest);
    const stats = server.clientStats()[0];
    expect(stats?.stalled).toBe(true);
    // What the server holds for it: at most its buffer plus the one envelope that went over it.
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(maxBufferBytes + largest);
    const metrics = await (await fetch(`${server.url}/v1/metrics`, { headers: AUTH })).text();
    expect(metrics).toMatch(/sys_server_backpressure_total\{transport="sse"\} [1-9]/);
    // It reads again: one catch-up from where it was, then it is exact.
    slow.socket.resume();
    const replica = new JsonPatchCopy();
    let applied = 0;
    await expectExact(
      () => {
        const e = slow.envelopes();
        for (; applied < e.length; applied++) replica.apply(e[applied] as WireEnvelope);
        return replica;
      },
      server,
      '?debug=1',
    );
    // The positions it missed came as one catch-up: a delta over several positions (or a snapshot with
    // its reason), where a client that keeps up gets one delta per position of the debug face.
    const catchups = slow
      .envelopes()
      .filter(
        (e) =>
          (e.t === 'delta' && (e.to ?? 0) - (e.from ?? 0) > 1) ||
          (e.t === 'snapshot' && e.reason !== 'new_consumer'),
      );
    expect(catchups.length).toBeGreaterThan(0);
  }, 120_000);
});
