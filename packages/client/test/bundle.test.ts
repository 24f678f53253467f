import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The browser entry, bundled as a web app would (esbuild, platform browser, our sources through the
// @sys/source condition). The size goal (≤ 12 KB min+gzip) is judged in apps/bench; this checks what is in it.
async function bundle() {
  const result = await build({
    entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    conditions: ['@sys/source'],
    logLevel: 'silent',
    // Inputs are named from the repository root (packages/…), wherever the test runs from.
    absWorkingDir: new URL('../../..', import.meta.url).pathname,
  });
  const text = result.outputFiles[0]?.text ?? '';
  // Files whose code is in the output (a re-exported module that tree-shaking removed has 0 bytes).
  const used = Object.values(result.metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, v]) => v.bytesInOutput > 0)
      .map(([f]) => f),
  );
  return { text, inputs: Object.keys(result.metafile.inputs), used };
}

describe('browser bundle', () => {
  it('has no Node built-in, no Node global and no server code', async () => {
    const { text, inputs, used } = await bundle();
    expect(inputs.filter((f) => f.startsWith('node:') || !f.includes('packages/'))).toEqual([]);
    // Only the client and the two packages it may use.
    const packages = new Set(inputs.map((f) => /packages\/([^/]+)\//.exec(f)?.[1]));
    expect([...packages].sort()).toEqual(['client', 'core', 'diff-tracker']);
    expect(text).not.toMatch(/node:|\brequire\(|\bBuffer\b|\bprocess\./);
    for (const server of ['fastify', 'duckdb', '@sys/server', 'ws']) {
      expect(inputs.some((f) => f.includes(`node_modules/${server}`))).toBe(false);
    }
    // The feed, differ and tracker are not reached from the client's entry (tree-shaken).
    expect(used.some((f) => /diff-tracker\/src\/(feed|diff|tracker)\.ts$/.test(f))).toBe(false);
    expect(used.some((f) => f.endsWith('diff-tracker/src/fingerprint.ts'))).toBe(true);
  });
});
