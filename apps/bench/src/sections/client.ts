import { gzipSync } from 'node:zlib';
import { Replica } from '@sys/client';
import { type Json, sealJson } from '@sys/core';
import { ChangeFeed, fingerprint } from '@sys/diff-tracker';
import { build } from 'esbuild';
import { syntheticDay, tickingState } from '../data.js';
import {
  atMost,
  below,
  figure,
  gc,
  type Row,
  type SectionResult,
  summarize,
  timed,
  withRatios,
} from '../harness.js';

/** Sizes of section 11. */
export interface ClientSizes {
  readonly symbols: number;
  readonly startMinutes: number;
  /** Ticks timed (each one sample), after `warmup` untimed ones. */
  readonly ticks: number;
  readonly warmup: number;
}

/** The full run: the 1,000-symbol debug state of section 1, 1 % of the symbols changing per tick. */
export const CLIENT_FULL: ClientSizes = { symbols: 1000, startMinutes: 200, ticks: 60, warmup: 10 };

/** Quick mode: the same on 40 symbols. */
export const CLIENT_QUICK: ClientSizes = { symbols: 40, startMinutes: 40, ticks: 15, warmup: 3 };

const BUNDLE_LIMIT_BYTES = 12 * 1024;

/** The client's browser bundle as a web app would make it: esbuild, platform browser, minified. */
async function clientBundle(): Promise<string> {
  const entry = new URL('../../../../packages/client/src/index.ts', import.meta.url).pathname;
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    conditions: ['@sys/source'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** Times `step(i)` for i in 0..ticks+warmup-1, one sample per call, dropping the warm-up ones. */
function perTick(ticks: number, warmup: number, step: (i: number) => void): ReturnType<typeof summarize> {
  const samples: number[] = [];
  for (let i = 0; i < ticks + warmup; i++) {
    const t0 = performance.now();
    step(i);
    const ms = performance.now() - t0;
    if (i >= warmup) samples.push(ms);
  }
  return summarize(samples);
}

/** Section 11: the client's bundle size and the fingerprint's cost per envelope, producer and client. */
export async function runClient(sizes: ClientSizes): Promise<SectionResult> {
  const rows: Row[] = [];
  const bundle = await clientBundle();
  const gzipBytes = gzipSync(bundle, { level: 9 }).length;
  rows.push(
    figure('@sys/client browser bundle · minified', Buffer.byteLength(bundle), 'bytes', 'lower'),
    figure('@sys/client browser bundle · min+gzip', gzipBytes, 'bytes', 'lower', {
      goal: atMost('≤ 12 KB', gzipBytes, BUNDLE_LIMIT_BYTES),
    }),
  );

  const day = syntheticDay(sizes.symbols);
  const n = sizes.ticks + sizes.warmup;
  // 1 % of the symbols, at least one (quick mode's 40 symbols would otherwise change none).
  const options = {
    symbols: sizes.symbols,
    startMinutes: sizes.startMinutes,
    changeFraction: Math.max(0.01, 1 / sizes.symbols),
  };

  // Producer: the states a feed holds (sealed, sharing unchanged subtrees), made untimed; each timed sample
  // is the fingerprint of the next state next to the one before, as ChangeFeed computes it per position.
  const producer = tickingState(options, day);
  const states: Json[] = [sealJson(producer.state())];
  for (let i = 0; i < n; i++) {
    producer.tick();
    states.push(sealJson(producer.state()));
  }
  fingerprint(states[0] as Json);
  gc();
  const fp = perTick(sizes.ticks, sizes.warmup, (i) => fingerprint(states[i + 1] as Json, states[i] as Json));
  states.length = 0;
  gc();

  // The producer's whole read per tick (sample + diff + envelope + fingerprint), for scale.
  const fed = tickingState(options, day);
  const feed = new ChangeFeed(() => fed.state(), { epoch: 'bench' });
  const texts: string[] = [JSON.stringify(feed.read('client', { debug: true }).envelope)];
  const read = perTick(sizes.ticks, sizes.warmup, () => {
    fed.tick();
    texts.push(JSON.stringify(feed.read('client', { debug: true }).envelope));
  });
  gc();

  // Client: the same envelopes, parsed outside the timed window; apply with and without the fp check.
  const withFp = new Replica();
  const withoutFp = new Replica();
  const parse = (t: string, keepFp: boolean): unknown => {
    const e = JSON.parse(t) as { fp?: string };
    if (!keepFp) delete e.fp;
    return e;
  };
  withFp.apply(parse(texts[0] as string, true));
  withoutFp.apply(parse(texts[0] as string, false));
  let failures = 0;
  const timeApply = (replica: Replica, keepFp: boolean) => {
    const parsed = texts.slice(1).map((t) => parse(t, keepFp));
    gc();
    return perTick(sizes.ticks, sizes.warmup, (i) => {
      if (replica.apply(parsed[i]).kind !== 'applied') failures++;
    });
  };
  const bare = timeApply(withoutFp, false);
  const checked = timeApply(withFp, true);
  const deltaBytes = summarize(texts.slice(1).map((t) => Buffer.byteLength(t))).median;

  const label = `${sizes.symbols.toLocaleString('en-US')}-symbol debug state, 1 % change`;
  const readRow = `${label} · producer: ChangeFeed.read, fingerprint included (baseline)`;
  const bareRow = `${label} · client: Replica.apply without a fingerprint (baseline)`;
  rows.push(
    timed(readRow, read),
    timed(`${label} · producer: fingerprint(state, previous) per envelope`, fp, {
      baseline: readRow,
      goal: below('< 0.3 ms', fp.median, 0.3),
    }),
    timed(bareRow, bare),
    timed(`${label} · client: Replica.apply + fingerprint check per delta`, checked, {
      baseline: bareRow,
      goal: below('< 1 ms', checked.median, 1),
    }),
    figure(`${label} · delta envelope size`, deltaBytes, 'bytes', 'lower'),
    figure(`${label} · envelopes the client failed to apply`, failures, 'count', 'lower'),
  );
  return {
    id: 11,
    title: `Client: browser bundle and fingerprint cost (${sizes.symbols.toLocaleString('en-US')} symbols)`,
    rows: withRatios(rows),
    notes: [
      'bundle = packages/client/src/index.ts bundled by esbuild (platform browser, esm, minified) with @sys/core and @sys/diff-tracker; gzip = zlib level 9',
      `state: SYNTHETIC symbols (seeded) × ${sizes.startMinutes} minutes of bars, debug JSON, as in section 1; a tick gives 1 % of the symbols (at least one) one new 1m bar`,
      'producer fingerprint: fingerprint(next, previous) on states sealed outside the timed window, the previous state hashed before (what ChangeFeed does once per position)',
      'client: Replica.apply of each delta envelope in order (JSON.parse outside the timed window): RFC 6902 apply, freeze of the new nodes, and (second row) the fingerprint of the copy against the envelope fp',
      `one sample per tick, ${sizes.warmup} untimed warm-up ticks first; every envelope must apply (the failures row must be 0)`,
    ],
  };
}
