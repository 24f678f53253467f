/**
 * The server side of bench section 10, in a process of its own so its CPU and memory are its own: a
 * SystemManager over synthetic symbols served by @sys/server on 127.0.0.1. The parent drives it over IPC:
 * `start` (a new run), `usage` (CPU µs and memory after a GC), `stamps` (when each position was created),
 * `exit`.
 */
import { startServer } from '@sys/server';
import { SystemManager } from '@sys/system-manager';

const symbols = Number(process.env.BENCH_SYMBOLS ?? '500');
const speed = Number(process.env.BENCH_SPEED ?? '60');
const names = Array.from({ length: symbols }, (_, i) => `S${String(i).padStart(4, '0')}`);
const manager = new SystemManager({
  symbols: names,
  source: { type: 'synthetic', seed: 42 },
  backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
  speed,
});
const server = await startServer({ manager, port: 0, maxConnections: 20_000 });

// Creation time of each position of the plain view: a subscriber attached before any client is told first.
const stamps = new Map<string, number>();
const plain = server.hub.view({ debug: false });
server.hub.attach(plain, {
  onEnvelope(e) {
    stamps.set(`${e.epoch}:${e.to}`, performance.timeOrigin + performance.now());
  },
});

function usage(): { cpuMicros: number; rssBytes: number; heapBytes: number; seq: number } {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  return {
    cpuMicros: c.user + c.system,
    rssBytes: m.rss,
    heapBytes: m.heapUsed + m.external,
    seq: server.hub.position.seq,
  };
}

process.on('message', async (raw) => {
  const msg = raw as { id: number; op: string };
  let reply: unknown = null;
  if (msg.op === 'start') {
    if (manager.state === 'running' || manager.state === 'paused') await manager.stop();
    await manager.start();
  } else if (msg.op === 'usage') {
    reply = usage();
  } else if (msg.op === 'stamps') {
    reply = Object.fromEntries(stamps);
    stamps.clear();
  } else if (msg.op === 'exit') {
    await manager.stop();
    await server.close();
    process.send?.({ id: msg.id, reply: null }, undefined, {}, () => process.exit(0));
    return;
  }
  process.send?.({ id: msg.id, reply });
});
process.send?.({ id: 0, reply: { url: server.url } });
