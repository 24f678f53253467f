import { type Json, jsonEqual } from '@sys/core';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createStateClient,
  type EventSourceConstructor,
  type StateClient,
  type StateClientOptions,
  type TransportKind,
  type WebSocketConstructor,
} from '../src/index.js';
import { FeedServer } from './feed-server.js';

type Sym = { close: number; volume: number; bars: readonly (readonly number[])[] };
type State = { clock: number; symbols: Readonly<Record<string, Sym>> };

function initialState(symbols: number): State {
  const out: Record<string, Sym> = {};
  for (let i = 0; i < symbols; i++) {
    out[`S${String(i).padStart(3, '0')}`] = { close: 100 + i, volume: 1000 * i, bars: [[0, 100 + i]] };
  }
  return { clock: 0, symbols: out };
}

/** The next state: `k` symbols (round robin from the clock) get a new close, volume and bar; the rest are shared. */
function tick(s: State, k: number): State {
  const names = Object.keys(s.symbols);
  const clock = s.clock + 1;
  const symbols = { ...s.symbols };
  for (let j = 0; j < k; j++) {
    const name = names[(clock * k + j) % names.length] as string;
    const old = symbols[name] as Sym;
    const close = Math.round((old.close + ((clock * 7 + j) % 5) - 2 + 0.01 * j) * 100) / 100;
    symbols[name] = { close, volume: old.volume + 10 * clock, bars: [...old.bars, [clock, close]] };
  }
  return { clock, symbols };
}

const servers: FeedServer[] = [];
const clients: StateClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function start(
  transport: TransportKind,
  extra: Partial<StateClientOptions> = {},
  symbols = 20,
): Promise<{ server: FeedServer; client: StateClient; checks: string[] }> {
  const server = new FeedServer(initialState(symbols) as unknown as Json);
  servers.push(server);
  const url = await server.listen();
  const client = createStateClient({
    url,
    transport,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    backoff: { initialMs: 20, maxMs: 200 },
    pollWaitMs: 1_000,
    ...extra,
  });
  clients.push(client);
  // After every envelope the copy must equal the producer's state at that envelope's position.
  const checks: string[] = [];
  client.subscribe(({ state, envelope }) => {
    const seq = envelope.t === 'snapshot' ? envelope.seq : envelope.to;
    const expected = server.stateAt(seq);
    if (expected === undefined || !jsonEqual(state, expected)) checks.push(`copy differs at ${seq}`);
    if (client.position !== `${server.epoch}:${seq}`) checks.push(`position ${client.position} at ${seq}`);
  });
  return { server, client, checks };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const inSync = (server: FeedServer, client: StateClient) => () =>
  client.position === server.position && jsonEqual(client.getState(), server.state);

const TRANSPORTS: TransportKind[] = ['sse', 'ws', 'poll'];

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('keeps an exact copy through every envelope, and untouched symbols keep their identity', async () => {
    const { server, client, checks } = await start(transport);
    expect(client.status).toBe('connecting');
    await waitFor('the first snapshot', inSync(server, client));
    expect(client.status).toBe('live');
    let s = server.state as unknown as State;
    for (let i = 0; i < 30; i++) {
      const before = client.getState() as unknown as State;
      s = tick(s, 2);
      server.publish(s);
      await waitFor(`tick ${i}`, inSync(server, client));
      const after = client.getState() as unknown as State;
      // Symbols the tick did not change are the very objects the copy held before it.
      for (const name of Object.keys(after.symbols)) {
        const changed = !jsonEqual(before.symbols[name] as Json, after.symbols[name] as Json);
        if (!changed) expect(after.symbols[name], name).toBe(before.symbols[name]);
      }
      expect(Object.isFrozen(after)).toBe(true);
    }
    expect(checks).toEqual([]);
    const c = client.counters;
    // Poll starts from a complete-state GET, which the client counts as a requested snapshot.
    expect(c.snapshots).toEqual(transport === 'poll' ? { requested: 1 } : { new_consumer: 1 });
    expect(c.fingerprintMismatches).toBe(0);
    expect(Object.values(c.resyncs).every((n) => n === 0)).toBe(true);
    expect(c.bytes).toBeGreaterThan(0);
    expect(c.listenerErrors).toBe(0);
  });

  it('resumes from its position after the server drops it, without a snapshot', async () => {
    const { server, client, checks } = await start(transport);
    await waitFor('the first snapshot', inSync(server, client));
    let s = server.state as unknown as State;
    for (let i = 0; i < 5; i++) {
      s = tick(s, 3);
      server.publish(s);
      if (i === 2) server.dropAll();
    }
    await waitFor('catching up', inSync(server, client));
    expect(checks).toEqual([]);
    const snapshots = Object.values(client.counters.snapshots).reduce((a, b) => a + b, 0);
    expect(snapshots).toBe(1);
  });
});

describe('client', () => {
  it('reads SSE through a standard EventSource when given one', async () => {
    const { server, client, checks } = await start('sse', {
      EventSource: EventSource as unknown as EventSourceConstructor,
    });
    await waitFor('the first snapshot', inSync(server, client));
    let s = server.state as unknown as State;
    for (let i = 0; i < 5; i++) {
      s = tick(s, 1);
      server.publish(s);
      await waitFor(`tick ${i}`, inSync(server, client));
    }
    expect(checks).toEqual([]);
  });

  it('never lets a listener exception out, and still calls the other listeners', async () => {
    const { server, client } = await start('sse');
    const seen: number[] = [];
    client.subscribe(() => {
      throw new Error('listener bug');
    });
    const off = client.subscribe(({ envelope }) =>
      seen.push(envelope.t === 'delta' ? envelope.to : envelope.seq),
    );
    await waitFor('the first snapshot', inSync(server, client));
    server.publish(tick(server.state as unknown as State, 1));
    await waitFor('one delta', inSync(server, client));
    expect(seen.length).toBe(2);
    expect(client.counters.listenerErrors).toBe(2);
    expect(client.lastError?.message).toBe('listener bug');
    off();
    server.publish(tick(server.state as unknown as State, 1));
    await waitFor('another delta', inSync(server, client));
    expect(seen.length).toBe(2);
  });

  it('resync() asks for a snapshot; close() stops everything', async () => {
    const { server, client } = await start('ws');
    await waitFor('the first snapshot', inSync(server, client));
    client.resync();
    expect(client.status).toBe('resyncing');
    expect(client.position).toBeUndefined();
    // The copy stays readable while it waits.
    expect(jsonEqual(client.getState(), server.state)).toBe(true);
    await waitFor('the snapshot', inSync(server, client));
    expect(client.counters.resyncs.requested).toBe(1);
    expect(client.counters.snapshots.new_consumer).toBe(2);
    client.close();
    expect(client.status).toBe('closed');
    const at = client.position;
    server.publish(tick(server.state as unknown as State, 1));
    await new Promise((r) => setTimeout(r, 50));
    expect(client.position).toBe(at);
  });

  it('refuses bad options with a typed error naming the option', () => {
    expect(() => createStateClient({ url: 'ftp://x', transport: 'sse' })).toThrow(/options\.url/);
    expect(() => createStateClient({ url: 'http://x', transport: 'smoke' as 'sse' })).toThrow(
      /options\.transport/,
    );
    expect(() => createStateClient({ url: 'http://x', transport: 'poll', pollWaitMs: 60_000 })).toThrow(
      /options\.pollWaitMs/,
    );
  });
});
