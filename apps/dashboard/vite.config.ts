import { defineConfig } from 'vite';

// Sibling packages are read from their sources (the `@sys/source` export condition), as tests and
// typecheck do: the page never needs a stale dist of @sys/client.
export default defineConfig({
  base: './',
  resolve: { conditions: ['@sys/source', 'browser', 'module', 'import', 'default'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true, reportCompressedSize: true },
});
