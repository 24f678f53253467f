import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonEqual } from '@sys/core';
import type { SysServer } from '@sys/server';
import { sampleConfig } from '@sys/system-manager';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateChange, StateClient, TransportKind } from '../src/index.js';
import { client, FACES, serveDay, startPaused, stateOf, until } from './live.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const TRANSPORTS: TransportKind[] = ['sse', 'ws', 'poll'];

/**
 * The day's regular-session volume from the bundled reference figures (samples/expected/, beside the CSV
 * the sample config replays; the client's tests may not import @sys/market-data for its samplePath).
 */
function referenceVolume(): number {
  const source = sampleConfig().source;
  const csv = source.type === 'csv' ? source.paths[0] : undefined;
  if (csv === undefined) throw new Error('the sample config replays no CSV');
  const file = join(dirname(csv), 'expected', 'AAPL_2025-07-02.json');
  const expected = JSON.parse(readFileSync(file, 'utf8')) as { regular_session: { volume: number } };
  return expected.regular_session.volume;
}

interface Follower {
  transport: TransportKind;
  face: (typeof FACES)[number];
  client: StateClient;
  changes: StateChange[];
}

/** Every follower of a face is at the server's position of that face, with a copy equal to GET /v1/state. */
async function allExact(server: SysServer, followers: Follower[]): Promise<boolean> {
  for (const face of FACES) {
    const now = await stateOf(server.url, face.query);
    for (const f of followers) {
      if (f.face !== face) continue;
      if (f.client.position !== now.position || !jsonEqual(f.client.getState(), now.state)) return false;
    }
  }
  return true;
}

describe('against a real sys server, a whole AAPL day', () => {
  it('over SSE, WS and poll, plain, debug and filtered: the copy equals GET /v1/state after every minute, and every envelope passes its fingerprint check', async () => {
    const { server, manager } = await serveDay();
    cleanup.push(() => server.close());
    const followers: Follower[] = [];
    for (const transport of TRANSPORTS) {
      for (const face of FACES) {
        const c = client(server.url, transport, face.options);
        cleanup.push(() => c.close());
        const f: Follower = { transport, face, client: c, changes: [] };
        c.subscribe((change) => f.changes.push(change));
        followers.push(f);
      }
    }
    await until('first snapshots', () => followers.every((f) => f.client.status === 'live'));
    await startPaused(manager);
    let minutes = 0;
    while (!manager.progress().ended) {
      await manager.step(1);
      server.hub.sample();
      minutes++;
      await until(`every copy exact after minute ${minutes}`, () => allExact(server, followers));
    }
    await manager.done();
    server.hub.sample();
    await until('every copy exact at the end of the day', () => allExact(server, followers));
    expect(minutes).toBeGreaterThanOrEqual(390);
    // The reference day's volume, read from the copy of the filtered follower over each transport.
    for (const f of followers.filter((x) => x.face.name === 'filtered')) {
      const s = f.client.getState() as { session_data: { symbols: { AAPL: { volume: number } } } };
      expect(s.session_data.symbols.AAPL.volume).toBe(referenceVolume());
    }
    for (const f of followers) {
      const what = `${f.transport} ${f.face.name}`;
      const c = f.client.counters;
      expect(c.fingerprintMismatches, what).toBe(0);
      expect(
        Object.values(c.resyncs).every((n) => n === 0),
        what,
      ).toBe(true);
      expect(c.listenerErrors, what).toBe(0);
      // One snapshot, then the whole day as deltas, each carrying the fingerprint the copy was checked against.
      const deltas = f.changes.filter((x) => x.envelope.t === 'delta');
      expect(
        f.changes.filter((x) => x.envelope.t === 'snapshot'),
        what,
      ).toHaveLength(1);
      expect(deltas.length, what).toBeGreaterThanOrEqual(minutes / 2);
      expect(
        f.changes.every((x) => typeof x.envelope.fp === 'string'),
        what,
      ).toBe(true);
    }
  }, 180_000);
});
