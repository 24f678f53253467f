import { get } from 'node:http';
import { createGunzip } from 'node:zlib';
import { EventSource } from 'eventsource';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  AUTH,
  cleanupAfterEach,
  getJson,
  JsonPatchCopy,
  positionOf,
  serveSample,
  TOKEN,
  until,
  type WireEnvelope,
} from '../test/helpers.js';
import type { SysServer } from './index.js';

const cleanup = cleanupAfterEach();

/** An SSE follower through the `eventsource` package, applying every envelope to a replica. */
function followSse(server: SysServer, query = '', lastEventId?: string) {
  const replica = new JsonPatchCopy();
  const errors: unknown[] = [];
  const es = new EventSource(`${server.url}/v1/stream${query}`, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string>),
          ...AUTH,
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
      }),
  });
  for (const type of ['snapshot', 'delta', 'shutdown']) {
    es.addEventListener(type, (m) => {
      try {
        replica.apply(JSON.parse(m.data) as WireEnvelope);
      } catch (e) {
        errors.push(e);
      }
    });
  }
  cleanup.push(() => es.close());
  return { replica, errors, es };
}

/** A WebSocket follower through `ws`. */
function followWs(server: SysServer, hello: Record<string, unknown>) {
  const replica = new JsonPatchCopy();
  const errors: unknown[] = [];
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, {
    headers: AUTH,
    perMessageDeflate: true,
  });
  ws.on('open', () => ws.send(JSON.stringify(hello)));
  ws.on('message', (data) => {
    try {
      replica.apply(JSON.parse(String(data)) as WireEnvelope);
    } catch (e) {
      errors.push(e);
    }
  });
  cleanup.push(() => ws.close());
  return { replica, errors, ws };
}

/** Starts the day at real-time speed and pauses it at once, so a test moves it minute by minute. */
async function startPaused(server: SysServer): Promise<void> {
  await fetch(`${server.url}/v1/control/speed`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: '{"speed":1}',
  });
  await runDay(server);
  const res = await fetch(`${server.url}/v1/control/pause`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
}

async function runDay(server: SysServer): Promise<void> {
  const res = await fetch(`${server.url}/v1/control/start`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
}

describe('following the state over SSE and WebSocket', () => {
  it('ends every follower equal to GET /v1/state after a whole AAPL day: plain, debug and filtered', async () => {
    const { server, manager } = await serveSample();
    cleanup.push(() => server.close());
    const queries = [
      '',
      '?debug=1',
      '?symbols=AAPL&path=/session_data/symbols/AAPL/volume&path=/system_manager',
    ];
    const sse = queries.map((q) => followSse(server, q));
    const ws = [
      followWs(server, {}),
      followWs(server, { debug: true }),
      followWs(server, {
        symbols: ['AAPL'],
        paths: ['/session_data/symbols/AAPL/volume', '/system_manager'],
      }),
    ];
    await until(() => [...sse, ...ws].every((f) => f.replica.seq !== undefined), 'first snapshots');
    await runDay(server);
    await manager.done();
    for (const [i, q] of queries.entries()) {
      const want = await positionOf(server, q);
      for (const f of [sse[i], ws[i]])
        await until(() => f?.replica.position === want, `follower ${q} at ${want}`);
      const now = await getJson(server, `/v1/state${q}`);
      expect(sse[i]?.replica.state).toEqual(now.body);
      expect(ws[i]?.replica.state).toEqual(now.body);
    }
    for (const f of [...sse, ...ws]) {
      expect(f.errors).toEqual([]);
      expect(f.replica.received[0]).toMatchObject({ t: 'snapshot', reason: 'new_consumer' });
      // The day moved the state many times; each change came as a delta, not a new snapshot.
      expect(f.replica.received.filter((e) => e.t === 'delta').length).toBeGreaterThan(2);
      expect(f.replica.received.filter((e) => e.t === 'snapshot')).toHaveLength(1);
    }
    // The reference day's figures, through the filtered view.
    const aapl = (await getJson(server, '/v1/state?path=/session_data/symbols/AAPL/volume')).body;
    expect(aapl).toEqual({ session_data: { symbols: { AAPL: { volume: 59584161 } } } });
    // A filtered follower received only its parts: its ops never leave the selected subtrees.
    const filtered = sse[2]?.replica.received.flatMap((e) => e.ops ?? []) ?? [];
    expect(filtered.length).toBeGreaterThan(0);
    const selected = ['/session_data/symbols/AAPL/volume', '/system_manager'];
    for (const op of filtered) {
      // Inside a selected subtree, or an ancestor of one (made when the selected value first appears).
      expect(
        selected.some((s) => op.path === s || op.path.startsWith(`${s}/`) || s.startsWith(`${op.path}/`)),
      ).toBe(true);
    }
  }, 60_000);

  it('a read after the run ends sees its end, even within tickMs of the last sample', async () => {
    // Samples far apart: only an event can trigger one, so a read must not rely on the next one.
    const { server, manager } = await serveSample({ tickMs: 60_000, pollMs: 60_000 });
    cleanup.push(() => server.close());
    await manager.start();
    await manager.done();
    const { body } = await getJson(server, '/v1/state');
    const state = body as { system_manager: { state: string }; session_data: unknown };
    expect(state.system_manager.state).toBe('stopped');
    expect(state.session_data).toEqual(JSON.parse(JSON.stringify(manager.stateJson().session_data)));
  });

  it('resumes from Last-Event-ID with a delta while the position is kept, and a snapshot once it is gone', async () => {
    const { server, manager } = await serveSample({ maxPositions: 1_000_000 });
    cleanup.push(() => server.close());
    const first = followSse(server);
    await until(() => first.replica.seq !== undefined, 'first snapshot');
    await startPaused(server);
    await manager.step(30);
    await until(
      async () => first.replica.position === (await positionOf(server)),
      'caught up after 30 minutes',
    );
    const left = first.replica.position;
    const kept = structuredClone(first.replica.state);
    first.es.close();
    await manager.step(30);
    // Reconnect where it left: a delta from that position, no snapshot.
    const back = followSse(server, '', left);
    back.replica.state = kept;
    const [epoch, seq] = left.split(':');
    back.replica.epoch = epoch;
    back.replica.seq = Number(seq);
    await until(async () => back.replica.position === (await positionOf(server)), 'resumed');
    expect(back.replica.received.map((e) => e.t)).toEqual(['delta']);
    expect(back.replica.state).toEqual((await getJson(server, '/v1/state')).body);
    // The same through `since` on a poll.
    const polled = await getJson(server, `/v1/state?since=${left}`);
    expect(polled.body).toMatchObject({ t: 'delta', from: Number(seq) });
    await manager.stop();
  }, 60_000);

  it('sends a snapshot with reason position_gone past the kept positions, and epoch_changed after a restart', async () => {
    const { server, manager } = await serveSample({ maxPositions: 3 });
    cleanup.push(() => server.close());
    const start = await positionOf(server);
    await startPaused(server);
    for (let i = 0; i < 6; i++) await manager.step(1).then(() => server.hub.sample());
    const gone = await getJson(server, `/v1/state?since=${start}`);
    expect(gone.body).toMatchObject({ t: 'snapshot', reason: 'position_gone' });
    const recent = await positionOf(server);
    await manager.stop();
    // A new run of the same manager is a new epoch: a client from the old one gets a snapshot saying so.
    manager.setSpeed('max');
    await manager.start();
    await manager.done();
    const after = await getJson(server, `/v1/state?since=${recent}`);
    expect(after.body).toMatchObject({ t: 'snapshot', reason: 'epoch_changed' });
    expect((after.body as WireEnvelope).epoch).not.toBe(recent.split(':')[0]);
    // And a future position of this epoch cannot be resumed either.
    const now = await positionOf(server);
    const [e, s] = now.split(':');
    expect((await getJson(server, `/v1/state?since=${e}:${Number(s) + 100}`)).body).toMatchObject({
      reason: 'position_gone',
    });
  }, 60_000);

  it('answers a poll at the current position with an empty delta, and a long poll when the state moves', async () => {
    const { server, manager } = await serveSample();
    cleanup.push(() => server.close());
    const here = await positionOf(server);
    const empty = await getJson(server, `/v1/state?since=${here}`);
    expect(empty.body).toMatchObject({ t: 'delta', ops: [] });
    await startPaused(server);
    const at = await positionOf(server);
    const waiting = getJson(server, `/v1/state?since=${at}&wait=10000`);
    await new Promise((r) => setTimeout(r, 50));
    await manager.step(1);
    const moved = await waiting;
    expect(moved.body).toMatchObject({ t: 'delta', from: Number(at.split(':')[1]) });
    expect(((moved.body as WireEnvelope).ops ?? []).length).toBeGreaterThan(0);
    // ETag / If-None-Match.
    const etag = `"${await positionOf(server)}"`;
    const res = await fetch(`${server.url}/v1/state`, { headers: { ...AUTH, 'if-none-match': etag } });
    expect(res.status).toBe(304);
    await manager.stop();
  }, 30_000);

  it('gzip SSE: the decoded stream rebuilds the exact state, and its trailer checks out at shutdown', async () => {
    const { server, manager } = await serveSample();
    let closed = false;
    cleanup.push(() => (closed ? undefined : server.close()));
    const decoded = new Promise<{ text: string; wire: number; encoding: string | undefined }>(
      (resolve, reject) => {
        get(`${server.url}/v1/stream?debug=1`, { headers: { ...AUTH, 'accept-encoding': 'gzip' } }, (res) => {
          const gunzip = createGunzip();
          let text = '';
          let wire = 0;
          res.on('data', (d: Buffer) => {
            wire += d.length;
          });
          res.pipe(gunzip);
          gunzip.on('data', (d: Buffer) => {
            text += d.toString('utf8');
          });
          // gunzip checks the trailer's CRC-32 and length when the stream ends.
          gunzip.on('end', () => resolve({ text, wire, encoding: res.headers['content-encoding'] }));
          gunzip.on('error', reject);
        }).on('error', reject);
      },
    );
    await new Promise((r) => setTimeout(r, 100));
    await runDay(server);
    await manager.done();
    server.hub.sample();
    const final = await getJson(server, '/v1/state?debug=1');
    closed = true;
    await server.close();
    const { text, wire, encoding } = await decoded;
    expect(encoding).toBe('gzip');
    const replica = new JsonPatchCopy();
    for (const m of text.matchAll(/^event: (snapshot|delta)\ndata: (.*)$/gm))
      replica.apply(JSON.parse(m[2] as string) as WireEnvelope);
    expect(replica.position).toBe(final.headers.get('etag')?.replaceAll('"', ''));
    expect(replica.state).toEqual(final.body);
    expect(text).toMatch(/^event: shutdown$/m);
    // Compressed on the wire: far fewer bytes than the text.
    expect(wire * 5).toBeLessThan(Buffer.byteLength(text));
  }, 60_000);

  it('tells WebSocket clients what is wrong with a bad first message and closes with 1008', async () => {
    const { server } = await serveSample();
    cleanup.push(() => server.close());
    for (const [hello, code] of [
      ['not json', 'BAD_HELLO'],
      ['{"since":"nope"}', 'BAD_POSITION'],
      ['{"symbols":["ZZZZ"]}', 'UNKNOWN_SYMBOL'],
      ['{"bogus":1}', 'BAD_HELLO'],
    ] as const) {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: AUTH });
      const got = await new Promise<{ message: string; close: number }>((resolve, reject) => {
        let message = '';
        ws.on('open', () => ws.send(hello));
        ws.on('message', (d) => {
          message = String(d);
        });
        ws.on('close', (c) => resolve({ message, close: c }));
        ws.on('error', reject);
      });
      expect(got.close).toBe(1008);
      expect(JSON.parse(got.message)).toMatchObject({ error: { code } });
    }
    // Without the token the upgrade itself is refused.
    const anon = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`);
    const status = await new Promise<number>((resolve) =>
      anon.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    const withQuery = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws?token=${TOKEN}`);
    await new Promise<void>((resolve, reject) => {
      withQuery.on('open', () => resolve());
      withQuery.on('error', reject);
    });
    withQuery.close();
  });
});
