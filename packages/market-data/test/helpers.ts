import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BarStore } from '../src/duckdb.js';
import type { Bar } from '../src/index.js';

/** A fresh directory under the OS temp dir and a function that removes it. */
export function tempDir(prefix = 'sys-market-data-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Collects an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Everything a store holds, to compare before and after an operation. */
export async function storeSnapshot(store: BarStore): Promise<{ coverage: unknown; bars: Bar[] }> {
  return {
    coverage: await store.coverage(),
    bars: await collect(store.streamBars({ symbols: [], startDate: '2000-01-01', endDate: '2099-12-31' })),
  };
}

/**
 * The sample CSV read by the test itself (split and Number, ISO times through Date.parse), independent of
 * the package's reader, so a round trip can be checked against it.
 */
export function parseSampleIndependently(path: string, symbol: string): Bar[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  if (header !== 'timestamp,open,high,low,close,volume') throw new Error(`unexpected header ${header}`);
  return rows.map((row) => {
    const [t, o, h, l, c, v] = row.split(',');
    return {
      symbol,
      startMs: Date.parse(t as string),
      open: Number(o),
      high: Number(h),
      low: Number(l),
      close: Number(c),
      volume: Number(v),
    };
  });
}

/**
 * Every module (its URL; `node:` for built-ins) that a fresh `node` loads for `await import(specifier)`, run
 * from `cwd` on the sources (`--conditions=@sys/source`, tsx) and recorded by test/record-loads.mjs. A real
 * child process, because vitest's own module graph says nothing about what Node would load.
 */
export async function modulesLoadedBy(specifier: string, cwd: string): Promise<string[]> {
  const tmp = tempDir('sys-loads-');
  try {
    const file = join(tmp.dir, 'loads.txt');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const recorder = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));
    await promisify(execFile)(
      process.execPath,
      [
        '--conditions=@sys/source',
        '--import',
        tsx,
        '--import',
        recorder,
        '--input-type=module',
        '--eval',
        `await import(${JSON.stringify(specifier)});`,
      ],
      { cwd, env: { ...process.env, SYS_RECORD_LOADS: file } },
    );
    return [
      ...new Set(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((url) => url !== ''),
      ),
    ];
  } finally {
    tmp.remove();
  }
}
