/**
 * The processes of bench section 13, each on its own so its CPU is its own. BENCH_ROLE=publisher: a
 * SystemManager over synthetic symbols served by @sys/server and published to NATS (BENCH_NATS, run
 * BENCH_RUN), stamping when each position is made. BENCH_ROLE=follower: a replica of that run serving its
 * own clients. IPC ops: `start` (publisher: a new run), `usage`, `stamps` (when each position was made there),
 * `stats`, `exit`.
 */
import { startPublishing, startReplica } from '@sys/nats';
import { startServer } from '@sys/server';
import { serveIpc, usage } from './child.js';
import { restart, stampPositions, syntheticManager } from './synthetic-run.js';

const nats = { url: process.env.BENCH_NATS ?? '' };
const run = process.env.BENCH_RUN ?? 'bench';

if (process.env.BENCH_ROLE === 'publisher') {
  const manager = syntheticManager();
  const server = await startServer({ manager, port: 0 });
  const stamps = stampPositions(server.hub);
  const publishing = await startPublishing({ hub: server.hub, run, nats });
  serveIpc(
    { url: server.url },
    {
      start: () => restart(manager),
      usage: () => usage(server.hub.position.seq),
      stamps: () => stamps.take(),
      stats: () => publishing.publisher.stats(),
    },
    async () => {
      await manager.stop();
      await publishing.close();
      await server.close();
    },
  );
} else {
  const replica = await startReplica({ run, nats, server: { port: 0, maxConnections: 20_000 } });
  // When this replica's hub makes each position (before its clients are written to).
  const stamps = stampPositions(replica.follower.hub);
  serveIpc(
    { url: replica.server.url },
    {
      usage: () => usage(replica.follower.position.seq),
      stamps: () => stamps.take(),
      stats: () => replica.follower.stats(),
    },
    () => replica.close(),
  );
}
