/**
 * The server side of bench section 10, in a process of its own so its CPU and memory are its own: a
 * SystemManager over synthetic symbols served by @sys/server on 127.0.0.1. The parent drives it over IPC:
 * `start` (a new run), `usage` (CPU µs and memory after a GC), `stamps` (when each position was created),
 * `exit`.
 */
import { startServer } from '@sys/server';
import { serveIpc, usage } from './child.js';
import { restart, stampPositions, syntheticManager } from './synthetic-run.js';

const manager = syntheticManager();
const server = await startServer({ manager, port: 0, maxConnections: 20_000 });
const stamps = stampPositions(server.hub);

serveIpc(
  { url: server.url },
  {
    start: () => restart(manager),
    usage: () => usage(server.hub.position.seq),
    stamps: () => stamps.take(),
  },
  async () => {
    await manager.stop();
    await server.close();
  },
);
