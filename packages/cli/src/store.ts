import type { BarStore } from '@sys/market-data/duckdb';
import { param } from './params.js';

/** `--db`: the bar store a command reads or writes (see openStore for the default). */
export const dbParam = param.path({
  description: 'The bar store (DuckDB file); default ./data/sys.duckdb',
  placeholder: 'path',
});

/**
 * The bar store at `db`, or the default one under `cwd`. DuckDB (a native module) is imported here, so only
 * the commands that read or write the store load it, not every `sys` start.
 */
export async function openStore(
  db: string | undefined,
  cwd: string,
  mode: 'import' | 'read',
): Promise<{ store: BarStore; path: string }> {
  const { BarStore, defaultStorePath } = await import('@sys/market-data/duckdb');
  const path = db ?? defaultStorePath(cwd);
  // Only an import creates a store or writes to one; reading opens it read-only and never creates it.
  const options = mode === 'import' ? {} : { readOnly: true, create: false };
  return { store: await BarStore.open(path, options), path };
}
