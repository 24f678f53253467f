import { defineProject } from 'vitest/config';

/** The one vitest base every package's one-line config extends. */
export function packageProject(name: string) {
  return defineProject({
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
    },
    resolve: {
      // Tests run against sibling packages' sources, so a package tests alone without building the others.
      conditions: ['@sys/source'],
    },
  });
}
