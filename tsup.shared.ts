import { defineConfig, type Options } from 'tsup';

/** The one build every package's tsup.config.ts uses: ESM + .d.ts from src/index.ts, for Node 20. */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...overrides,
  });
}
