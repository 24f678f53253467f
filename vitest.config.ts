import { defineConfig } from 'vitest/config';

// One run over every package so CI gets a single JSON report; each package also runs alone.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'scripts'],
  },
});
