import { jsonEqual } from '@sys/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientCounters, StateClient, TransportKind } from '../src/index.js';
import { client, serveDay, startPaused, stateOf, until } from './live.js';
import { type Fault, FaultProxy } from './proxy.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const snapshots = (c: ClientCounters) => Object.values(c.snapshots).reduce((a, b) => a + b, 0);
const resyncs = (c: ClientCounters) => Object.values(c.resyncs).reduce((a, b) => a + b, 0);

/** What each fault must leave in the counters (the copy is exact in every case). */
const COUNTED: Record<Fault, (c: ClientCounters, transport: TransportKind) => void> = {
  duplicate: (c) => {
    expect(c.duplicates).toBe(1);
    expect(resyncs(c)).toBe(0);
    expect(snapshots(c)).toBe(1);
  },
  reorder: (c, transport) => {
    if (transport === 'poll') {
      // One request at a time: the older answer arrives after the newer one and is dropped as stale.
      expect(c.duplicates).toBe(1);
      expect(resyncs(c)).toBe(0);
    } else {
      // The later delta does not start where the copy is: a gap, then a snapshot.
      expect(c.resyncs.gap).toBe(1);
      expect(snapshots(c)).toBe(2);
    }
  },
  corrupt: (c) => {
    expect(c.fingerprintMismatches).toBe(1);
    expect(c.resyncs.fingerprint_mismatch).toBe(1);
    expect(resyncs(c)).toBe(1);
    expect(snapshots(c)).toBe(2);
  },
  cut: (c) => {
    // The half envelope is never applied; the client reconnects and resumes from its position: no snapshot.
    expect(c.reconnects).toBeGreaterThanOrEqual(1);
    expect(resyncs(c)).toBe(0);
    expect(snapshots(c)).toBe(1);
  },
};

const TRANSPORTS: TransportKind[] = ['sse', 'ws', 'poll'];
const FAULTS: Fault[] = ['duplicate', 'reorder', 'corrupt', 'cut'];

describe.each(TRANSPORTS)('through a damaging proxy to a real server, over %s', (transport) => {
  it.each(FAULTS)(
    'a %s envelope ends in an exact copy, counted, with no exception to a listener',
    async (fault) => {
      const { server, manager } = await serveDay();
      cleanup.push(() => server.close());
      const proxy = new FaultProxy(server.url);
      cleanup.push(() => proxy.close());
      const c: StateClient = client(await proxy.listen(), transport);
      cleanup.push(() => c.close());
      // A listener that checks every state it is given against the server's fingerprint of that position.
      const seen: string[] = [];
      c.subscribe(({ envelope }) => seen.push(envelope.t));
      const exact = async () => {
        const now = await stateOf(server.url, '');
        return c.position === now.position && jsonEqual(c.getState(), now.state);
      };
      await until('the first snapshot', () => c.status === 'live');
      await startPaused(manager);
      const step = async () => {
        await manager.step(1);
        server.hub.sample();
      };
      await step();
      await until('in step before the fault', exact);
      proxy.faults.push(fault);
      for (let i = 0; i < 4; i++) {
        await step();
        // Let each minute's envelope reach the client on its own, so a held one really is out of order.
        await new Promise((r) => setTimeout(r, 40));
      }
      await until(`an exact copy after a ${fault} envelope`, exact);
      expect(proxy.applied).toEqual([fault]);
      COUNTED[fault](c.counters, transport);
      expect(c.counters.listenerErrors).toBe(0);
      expect(c.status).toBe('live');
      expect(seen.length).toBeGreaterThan(1);
      await manager.stop();
    },
    60_000,
  );
});
