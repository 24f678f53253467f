import { fileURLToPath } from 'node:url';
import { delay } from '@sys/core';
import WebSocket from 'ws';
import { BenchChild, type Usage } from '../child.js';
import {
  atLeast,
  atMost,
  below,
  figure,
  quantile,
  type Row,
  type SectionResult,
  summarize,
  timed,
  withRatios,
} from '../harness.js';
import { latencies, SseProbe } from '../sse.js';

/** Sizes of section 10. */
export interface ServeSizes {
  readonly symbols: number;
  /** Market ms per wall ms: 60 is the one market minute per second. */
  readonly speed: number;
  readonly clients: number;
  /** Wall seconds measured per run (after `warmupMs`). */
  readonly measureMs: number;
  readonly warmupMs: number;
}

/** The case: 1,000 SSE clients on a 500-symbol run at one market minute per second. */
export const SERVE_FULL: ServeSizes = {
  symbols: 500,
  speed: 60,
  clients: 1000,
  measureMs: 10_000,
  warmupMs: 3000,
};

/** Quick mode. */
export const SERVE_QUICK: ServeSizes = {
  symbols: 40,
  speed: 600,
  clients: 20,
  measureMs: 1500,
  warmupMs: 500,
};

const CHILD = fileURLToPath(new URL('../serve-child.ts', import.meta.url));

/** A WebSocket follower of the debug face, with or without permessage-deflate; counts wire bytes. */
function wsFollower(
  url: string,
  deflate: boolean,
): { ws: WebSocket; wireBytes: () => number; ready: Promise<void> } {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`, { perMessageDeflate: deflate });
  const ready = new Promise<void>((resolve) => {
    ws.on('open', () => ws.send(JSON.stringify({ debug: true })));
    ws.once('message', () => resolve());
  });
  const socket = () => (ws as unknown as { _socket?: { bytesRead: number } })._socket;
  return { ws, wireBytes: () => socket()?.bytesRead ?? 0, ready };
}

/** One in this many fan-out clients decodes its stream and times each frame's arrival. */
const SCAN_EVERY = 10;

/**
 * Section 10 (issue 14): the server's fan-out. One run served to one SSE client, then the same served to
 * many: CPU per position in the server's process, delivery latency from an envelope's creation to each
 * client's receipt, memory per idle client, a filtered client's bytes, and compression on the debug stream.
 */
export async function runServe(sizes: ServeSizes): Promise<SectionResult> {
  const server = new BenchChild<{ url: string }>(CHILD, {
    BENCH_SYMBOLS: String(sizes.symbols),
    BENCH_SPEED: String(sizes.speed),
  });
  const { url } = await server.ready;
  const rows: Row[] = [];
  const notes: string[] = [];
  const open: Array<{ close(): void }> = [];
  try {
    // Memory per idle client: connect them with the run stopped (nothing moves), GC, compare.
    const before = await server.call<Usage>('usage');
    const idle = Array.from(
      { length: sizes.clients },
      () => new SseProbe(url, '', { gzip: true, scan: false }),
    );
    await Promise.all(idle.map((f) => f.ready));
    await delay(200);
    const after = await server.call<Usage>('usage');
    for (const f of idle) f.close();
    await delay(300);
    const perClientRss = (after.rssBytes - before.rssBytes) / sizes.clients;
    const perClientHeap = (after.heapBytes - before.heapBytes) / sizes.clients;
    rows.push(
      figure(`memory per idle SSE client (RSS), ${sizes.clients} clients`, perClientRss, 'bytes', 'lower', {
        goal: atMost('≤ 20 KB', perClientRss, 20 * 1024),
      }),
      figure('memory per idle SSE client (JS heap + external)', perClientHeap, 'bytes', 'lower'),
    );

    // CPU per position with one client, then with many: the same run, the same measuring window.
    const cpuPerTick = async (followers: number, extra: () => Array<{ close(): void }>) => {
      await server.call('start');
      // gzip as browsers ask for it; every tenth client decodes and times frames (the rest only read bytes,
      // as remote clients would cost this process nothing).
      const fs = Array.from(
        { length: followers },
        (_, i) => new SseProbe(url, '', { gzip: true, scan: i % SCAN_EVERY === 0 }),
      );
      const more = extra();
      open.push(...fs, ...more);
      await Promise.all(fs.map((f) => f.ready));
      await delay(sizes.warmupMs);
      await server.call('stamps');
      const a = await server.call<Usage>('usage');
      await delay(sizes.measureMs);
      const b = await server.call<Usage>('usage');
      const stamps = await server.call<Record<string, number>>('stamps');
      const ticks = Math.max(1, b.seq - a.seq);
      return { cpuMsPerTick: (b.cpuMicros - a.cpuMicros) / 1000 / ticks, ticks, fs, more, stamps };
    };
    const one = await cpuPerTick(1, () => []);
    for (const f of open.splice(0)) f.close();
    let filtered: SseProbe | undefined;
    let unfiltered: SseProbe | undefined;
    let gz: SseProbe | undefined;
    let plainDebug: SseProbe | undefined;
    let wsDeflate: ReturnType<typeof wsFollower> | undefined;
    let wsPlain: ReturnType<typeof wsFollower> | undefined;
    const many = await cpuPerTick(sizes.clients, () => {
      filtered = new SseProbe(url, '?symbols=S0000');
      unfiltered = new SseProbe(url);
      gz = new SseProbe(url, '?debug=1', { gzip: true, scan: false });
      plainDebug = new SseProbe(url, '?debug=1');
      wsDeflate = wsFollower(url, true);
      wsPlain = wsFollower(url, false);
      return [
        filtered,
        unfiltered,
        gz,
        plainDebug,
        { close: () => wsDeflate?.ws.close() },
        { close: () => wsPlain?.ws.close() },
      ];
    });
    rows.push(
      figure(
        `server CPU per position, 1 SSE client (${one.ticks} positions)`,
        one.cpuMsPerTick,
        'ms',
        'lower',
      ),
      figure(
        `server CPU per position, ${sizes.clients} SSE clients (${many.ticks} positions)`,
        many.cpuMsPerTick,
        'ms',
        'lower',
        {
          baseline: `server CPU per position, 1 SSE client (${one.ticks} positions)`,
          goal: atMost('≤ 3× one client', many.cpuMsPerTick / one.cpuMsPerTick, 3),
        },
      ),
    );

    // Delivery latency: creation of each position's envelope → receipt, over every client and position.
    const sorted = latencies(many.fs, many.stamps);
    const lat = summarize(sorted);
    const p99 = quantile(sorted, 0.99);
    rows.push(
      timed(`delivery latency, ${sizes.clients} clients (p95 column; p99 in goal)`, lat, {
        goal: below(`p99 < 50 ms (p99 ${p99.toFixed(1)} ms)`, p99, 50),
      }),
    );

    // A filtered client's bytes against an unfiltered one's, over the same window.
    const fb = filtered?.wireBytes ?? 0;
    const ub = unfiltered?.wireBytes ?? 1;
    rows.push(
      figure('bytes: unfiltered client', ub, 'bytes', 'lower'),
      figure(`bytes: filtered client (1 symbol of ${sizes.symbols})`, fb, 'bytes', 'lower', {
        baseline: 'bytes: unfiltered client',
        goal: atMost('≤ 1 % of unfiltered', fb / ub, 0.01),
      }),
    );
    // Compression of the debug stream: gzip SSE and permessage-deflate WS against the same uncompressed.
    const sseRatio = (plainDebug?.wireBytes ?? 0) / Math.max(1, gz?.wireBytes ?? 0);
    const wsRatio = (wsPlain?.wireBytes() ?? 0) / Math.max(1, wsDeflate?.wireBytes() ?? 0);
    rows.push(
      figure('compression ratio, debug stream, gzip SSE', sseRatio, 'ratio', 'higher', {
        goal: atLeast('≥ 5×', sseRatio, 5),
      }),
      figure('compression ratio, debug stream, permessage-deflate WS', wsRatio, 'ratio', 'higher', {
        goal: atLeast('≥ 5×', wsRatio, 5),
      }),
    );
    notes.push(
      `The server runs in its own process (CPU and memory are its own); ${sizes.clients.toLocaleString('en-US')} SSE clients in this process, on 127.0.0.1.`,
      `Synthetic ${sizes.symbols} symbols at speed ${sizes.speed}; each measured window is ${sizes.measureMs / 1000} s after ${sizes.warmupMs / 1000} s of warm-up.`,
      'A position is one sample of the state that changed; its envelope is serialized once and written to every client at that position.',
      'Latency: from the moment the server made a position (a subscriber attached before any client) to a client receiving its whole SSE frame, same clock (performance.timeOrigin + now).',
      `Fan-out clients ask for gzip as browsers do; one in ${SCAN_EVERY} decodes and times frames, the others only read their bytes (so this process is not what is measured). The filtered/unfiltered and compression rows use uncompressed or separate clients.`,
    );
  } finally {
    for (const f of open) f.close();
    await server.exit();
  }
  return {
    id: 10,
    title: 'The server: fan-out to many SSE clients (issue 14)',
    rows: withRatios(rows),
    notes,
  };
}
