import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Objm } from '@nats-io/obj';
import { delay, sealParsed } from '@sys/core';
import { fingerprint } from '@sys/diff-tracker';
import {
  connectNats,
  Follower,
  type FollowerStats,
  Publisher,
  type PublisherStats,
  runNames,
  SNAPSHOT_OBJECT,
} from '@sys/nats';
import { NatsServer } from '@sys/nats/testing';
import { StateHub } from '@sys/server';
import { BenchChild, type Usage } from '../child.js';
import { tickingState, wireBytes } from '../data.js';
import {
  atMost,
  below,
  figure,
  gc,
  quantile,
  type Row,
  type SectionResult,
  summarize,
  timed,
  withRatios,
} from '../harness.js';
import { latencies, SseProbe } from '../sse.js';

/** Sizes of section 13. */
export interface NatsSizes {
  readonly symbols: number;
  /** Market ms per wall ms: 60 is one market minute per second. */
  readonly speed: number;
  readonly followers: number;
  readonly clientsPerFollower: number;
  /** Wall ms measured per window (after `warmupMs`). */
  readonly measureMs: number;
  readonly warmupMs: number;
  /** The catch-up case: a debug state of this many symbols holding this many 1m bars each… */
  readonly catchupSymbols: number;
  readonly catchupStartMinutes: number;
  /** …published with this many positions after its snapshot (1 % of the symbols one more bar each)… */
  readonly catchupDeltas: number;
  /** …and a fresh follower timed this many times. */
  readonly catchupRuns: number;
}

/** The case: one publisher, 3 followers with 300 SSE clients each, 500 symbols at a minute a second. */
export const NATS_FULL: NatsSizes = {
  symbols: 500,
  speed: 60,
  followers: 3,
  clientsPerFollower: 300,
  measureMs: 10_000,
  warmupMs: 3000,
  catchupSymbols: 1000,
  catchupStartMinutes: 200,
  catchupDeltas: 10,
  catchupRuns: 5,
};

/** Quick mode. */
export const NATS_QUICK: NatsSizes = {
  symbols: 40,
  speed: 600,
  followers: 2,
  clientsPerFollower: 10,
  measureMs: 1500,
  warmupMs: 500,
  catchupSymbols: 40,
  catchupStartMinutes: 60,
  catchupDeltas: 3,
  catchupRuns: 2,
};

const CHILD = fileURLToPath(new URL('../nats-child.ts', import.meta.url));

/** One in this many SSE clients decodes its stream and times each frame's arrival (the rest read bytes). */
const SCAN_EVERY = 10;

/**
 * Share of the catch-up state's symbols that change per position. 1 % as in section 11: with every symbol
 * changing, one delta of the 1,000-symbol debug face is over nats-server's 1 MiB max_payload and travels
 * as a snapshot in the object store (a gap marker in the stream), so there would be no deltas to apply.
 */
const CATCHUP_CHANGE = 0.01;

/**
 * Section 13 (issue 17): fan-out beyond one machine. A publisher (`sys serve --publish`) replays synthetic
 * symbols into JetStream; followers (`sys serve --follow`) serve SSE clients with its positions. Measured:
 * the publisher's CPU per position with no clients and with every follower's clients connected, the
 * end-to-end latency (position made at the publisher → whole SSE frame at a follower's client), and how
 * long a new follower takes to catch up from a snapshot of a large debug state.
 */
export async function runNats(sizes: NatsSizes): Promise<SectionResult> {
  let nats: NatsServer;
  try {
    nats = await NatsServer.start();
  } catch (error) {
    return {
      id: 13,
      title: 'NATS JetStream: publisher, followers and their clients (issue 17)',
      rows: [],
      notes: [`Not run: ${(error as Error).message}.`],
    };
  }
  try {
    const rows = [...(await fanOut(nats.url, sizes)), ...(await catchUp(nats.url, sizes))];
    return {
      id: 13,
      title: 'NATS JetStream: publisher, followers and their clients (issue 17)',
      rows: withRatios(rows),
      notes: [
        `A local nats-server (JetStream, file store); the publisher and each follower run in a process of their own; the ${(sizes.followers * sizes.clientsPerFollower).toLocaleString('en-US')} SSE clients in this process, all on 127.0.0.1 (one machine: 2 cores shared by every process).`,
        `Synthetic ${sizes.symbols} symbols at speed ${sizes.speed}; each window is ${sizes.measureMs / 1000} s after ${sizes.warmupMs / 1000} s of warm-up. The publisher's CPU is measured first with the followers connected and no SSE clients, then with every client connected, over the same run.`,
        `Latency: the publisher stamps each position when its hub makes it (a subscriber attached before the publisher, same clock: performance.timeOrigin + now); a client's arrival is when its whole SSE frame is in. One in ${SCAN_EVERY} clients decodes and times frames (gzip, as browsers ask); the others only read their bytes.`,
        `Catch-up: a ${sizes.catchupSymbols.toLocaleString('en-US')}-symbol debug state (${sizes.catchupStartMinutes} 1m bars each) published through a fed hub, its snapshot in the object store, then ${sizes.catchupDeltas} positions (${CATCHUP_CHANGE * 100} % of the symbols one more bar each); a fresh follower (its own connection) is timed from connecting to holding the last position.`,
      ],
    };
  } finally {
    await nats.dispose();
  }
}

/** The publisher, followers and SSE clients: publisher CPU without and with clients, end-to-end latency. */
async function fanOut(url: string, sizes: NatsSizes): Promise<Row[]> {
  const env = {
    BENCH_NATS: url,
    BENCH_RUN: 'bench',
    BENCH_SYMBOLS: String(sizes.symbols),
    BENCH_SPEED: String(sizes.speed),
  };
  const publisher = new BenchChild<{ url: string }>(CHILD, { ...env, BENCH_ROLE: 'publisher' });
  const followers: BenchChild<{ url: string }>[] = [];
  const probes: SseProbe[] = [];
  try {
    await publisher.ready;
    // The followers start from the publisher's first snapshot (its idle state), then the run starts.
    for (let i = 0; i < sizes.followers; i++) {
      followers.push(new BenchChild<{ url: string }>(CHILD, { ...env, BENCH_ROLE: 'follower' }));
    }
    const urls = await Promise.all(followers.map(async (f) => (await f.ready).url));
    await publisher.call('start');

    /** Publisher (and followers') CPU per position over one window; the stamps of its positions. */
    const window = async () => {
      await delay(sizes.warmupMs);
      await publisher.call('stamps');
      const a = await publisher.call<Usage>('usage');
      const fa = await Promise.all(followers.map((f) => f.call<Usage>('usage')));
      await delay(sizes.measureMs);
      const b = await publisher.call<Usage>('usage');
      const fb = await Promise.all(followers.map((f) => f.call<Usage>('usage')));
      const stamps = await publisher.call<Record<string, number>>('stamps');
      const followerStamps = await Promise.all(
        followers.map((f) => f.call<Record<string, number>>('stamps')),
      );
      const ticks = Math.max(1, b.seq - a.seq);
      const followerMs = fb.map((x, i) => (x.cpuMicros - (fa[i] as Usage).cpuMicros) / 1000 / ticks);
      return {
        ticks,
        publisherMs: (b.cpuMicros - a.cpuMicros) / 1000 / ticks,
        followerMs: followerMs.reduce((s, x) => s + x, 0) / Math.max(1, followerMs.length),
        stamps,
        followerStamps,
      };
    };
    await Promise.all(followers.map((f) => f.call('stamps')));
    const quiet = await window();
    for (const u of urls) {
      for (let i = 0; i < sizes.clientsPerFollower; i++) {
        probes.push(new SseProbe(u, '', { gzip: true, scan: i % SCAN_EVERY === 0 }));
      }
    }
    await Promise.all(probes.map((p) => p.ready));
    const busy = await window();
    const pub = await publisher.call<PublisherStats>('stats');
    const fstats = await Promise.all(followers.map((f) => f.call<FollowerStats>('stats')));

    const clients = sizes.followers * sizes.clientsPerFollower;
    const base = `publisher CPU per position, ${sizes.followers} followers, no SSE clients (${quiet.ticks} positions)`;
    const sorted = latencies(probes, busy.stamps);
    const p99 = quantile(sorted, 0.99);
    const resyncs = fstats.reduce((s, f) => s + f.resyncs, 0);
    // Where the time goes: publisher → a follower's hub (NATS and the follower's apply), and that hub →
    // its clients (the follower's writes and this process's reads).
    const toHub: number[] = [];
    for (const own of busy.followerStamps) {
      for (const [id, at] of Object.entries(own)) {
        const made = busy.stamps[id];
        if (made !== undefined) toHub.push(at - made);
      }
    }
    const toClient = probes.flatMap((p, i) =>
      latencies([p], busy.followerStamps[Math.floor(i / sizes.clientsPerFollower)] ?? {}),
    );
    return [
      figure(base, quiet.publisherMs, 'ms', 'lower'),
      figure(
        `publisher CPU per position, ${clients} SSE clients on ${sizes.followers} followers (${busy.ticks} positions)`,
        busy.publisherMs,
        'ms',
        'lower',
        { baseline: base, goal: atMost('≤ 1.5× no clients', busy.publisherMs / quiet.publisherMs, 1.5) },
      ),
      figure(
        'follower CPU per position, no SSE clients (mean of followers)',
        quiet.followerMs,
        'ms',
        'lower',
      ),
      figure(
        `follower CPU per position, ${sizes.clientsPerFollower} SSE clients each (mean of followers)`,
        busy.followerMs,
        'ms',
        'lower',
        { baseline: 'follower CPU per position, no SSE clients (mean of followers)' },
      ),
      timed(
        `end-to-end latency, publisher → follower → SSE client (p95 column; p99 in goal)`,
        summarize(sorted),
        {
          goal: below(`p99 < 100 ms (p99 ${p99.toFixed(1)} ms)`, p99, 100),
          note: `${sorted.length} deliveries; publisher acked ${pub.acked}, gaps ${pub.gaps}; followers resynced ${resyncs} times`,
        },
      ),
      timed('latency part: publisher → follower hub (NATS, apply, fingerprint check)', summarize(toHub)),
      timed('latency part: follower hub → SSE client (writes, this process reading)', summarize(toClient)),
    ];
  } finally {
    for (const p of probes) p.close();
    await Promise.all(followers.map((f) => f.exit()));
    await publisher.exit();
  }
}

/** A fresh follower catching up from the snapshot of a large debug state plus the positions after it. */
async function catchUp(url: string, sizes: NatsSizes): Promise<Row[]> {
  const ticking = tickingState({
    symbols: sizes.catchupSymbols,
    startMinutes: sizes.catchupStartMinutes,
    // At least one symbol per position, so every position changes the state even at tiny sizes.
    changeFraction: Math.max(CATCHUP_CHANGE, 1 / sizes.catchupSymbols),
  });
  const epoch = 'catchup';
  const state = ticking.state();
  const hub = new StateHub({ initial: { epoch, seq: 1, state }, fingerprint });
  const nc = await connectNats({ url });
  const run = 'catchup';
  // Snapshots only at the start (the first position), so a follower has every later position to apply.
  const publisher = await Publisher.start({
    hub,
    nc,
    run,
    snapshotEverySeq: 1_000_000,
    snapshotEveryMs: 3_600_000,
  });
  try {
    const last = 1 + sizes.catchupDeltas;
    for (let seq = 2; seq <= last; seq++) {
      ticking.tick();
      hub.push({ epoch, seq }, ticking.state());
    }
    await until(() => {
      const s = publisher.stats();
      return s.published === `${epoch}:${last}` && s.snapshots >= 1;
    }, 60_000);

    const loaded: number[] = [];
    const caught: number[] = [];
    const parts = {
      fetch: [] as number[],
      parse: [] as number[],
      seal: [] as number[],
      hash: [] as number[],
    };
    let storedBytes = 0;
    for (let r = 0; r < sizes.catchupRuns; r++) {
      gc();
      const t0 = performance.now();
      const fc = await connectNats({ url });
      const follower = await Follower.start({ nc: fc, run, id: `bench-${r}` });
      loaded.push(performance.now() - t0);
      await until(() => follower.position.seq === last, 60_000);
      caught.push(performance.now() - t0);
      const stats = follower.stats();
      await follower.close();
      await fc.close();
      if (stats.snapshotsLoaded !== 1 || stats.applied < sizes.catchupDeltas) {
        throw new Error(
          `catch-up run ${r}: ${JSON.stringify(stats)} (expected 1 snapshot, ${sizes.catchupDeltas} applied)`,
        );
      }
      // Where a snapshot load goes, each step alone as the follower does it.
      gc();
      let t = performance.now();
      const store = await new Objm(nc).open(runNames(run).snapshots);
      const blob = (await store.getBlob(SNAPSHOT_OBJECT)) ?? new Uint8Array();
      parts.fetch.push(performance.now() - t);
      storedBytes = blob.length;
      t = performance.now();
      const parsed = (JSON.parse(gunzipSync(blob).toString('utf8')) as { state: unknown }).state;
      parts.parse.push(performance.now() - t);
      t = performance.now();
      const sealed = sealParsed(parsed);
      parts.seal.push(performance.now() - t);
      t = performance.now();
      fingerprint(sealed);
      parts.hash.push(performance.now() - t);
    }
    const what = `${sizes.catchupSymbols.toLocaleString('en-US')}-symbol debug state`;
    return [
      figure(`catch-up: snapshot size, ${what}`, wireBytes(state), 'bytes', 'lower'),
      timed(`catch-up: follower holds the snapshot (connect, load, parse), ${what}`, summarize(loaded)),
      timed(
        `catch-up: follower at the last position (snapshot + ${sizes.catchupDeltas} positions), ${what}`,
        summarize(caught),
        {
          goal: below('< 1 s', summarize(caught).median, 1000),
        },
      ),
      figure('catch-up part: bytes in the object store (gzip level 1)', storedBytes, 'bytes', 'lower'),
      timed('catch-up part: fetch the object (chunks, SHA-256 digest check)', summarize(parts.fetch)),
      timed('catch-up part: gunzip + JSON.parse', summarize(parts.parse)),
      timed('catch-up part: freeze in place (sealParsed)', summarize(parts.seal)),
      timed('catch-up part: first fingerprint of the state', summarize(parts.hash)),
    ];
  } finally {
    await publisher.close(10_000);
    await nc.close();
  }
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`bench section 13: not done within ${timeoutMs} ms`);
    await delay(2);
  }
}
