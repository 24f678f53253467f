import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

// Tests must run against sibling sources even where a dist exists (CI builds before testing): vitest
// resolves `@sys/*` and its subpaths through the `@sys/source` export condition (vitest.shared.ts).
// A module inside session-data imports market-data by name; if that reached the dist, its functions
// would be other objects than those of market-data's src files, imported here by path.
const packages = fileURLToPath(new URL('../packages/', import.meta.url));
const dir = mkdtempSync(join(packages, 'session-data', '.resolve-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a sibling and its subpath entries resolve to their src files, not to dist', async () => {
  const probe = join(dir, 'probe.ts');
  writeFileSync(
    probe,
    "export * as main from '@sys/market-data';\nexport * as csv from '@sys/market-data/csv';\n",
  );
  const viaName = await import(probe);
  const main = await import(join(packages, 'market-data', 'src', 'index.ts'));
  const csv = await import(join(packages, 'market-data', 'src', 'csv.ts'));
  expect(viaName.main.validateBar).toBeTypeOf('function');
  expect(viaName.main.validateBar).toBe(main.validateBar);
  expect(viaName.csv.readCsvBars).toBeTypeOf('function');
  expect(viaName.csv.readCsvBars).toBe(csv.readCsvBars);
});
