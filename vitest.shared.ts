import { defineProject } from 'vitest/config';

/**
 * Resolve `@sys/*` through the `@sys/source` export condition every package's `exports` entries carry
 * (`@sys/x` and each subpath such as `@sys/x/csv` → the src file it names), then vitest's defaults for a
 * Node run. The same condition drives `customConditions` in tsconfig.base.json and
 * `node --conditions=@sys/source --import tsx`, so tests, typecheck and dev scripts read sibling sources
 * the same way: no build first, never a stale dist. Tests run in the SSR (server) environment, so `ssr` is
 * the one that counts; vitest also passes these to its workers as `--conditions`.
 */
const conditions = ['@sys/source', 'node', 'development|production'];

/** The one vitest base every package's one-line config extends; `include` for a folder without `src/`. */
export function packageProject(name: string, options: { include?: string[] } = {}) {
  return defineProject({
    test: {
      name,
      include: options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
    },
    resolve: { conditions },
    ssr: { resolve: { conditions } },
  });
}
