import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sys-cli-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the README example runs as written', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README has no ts example');
  const index = fileURLToPath(new URL('./index.ts', import.meta.url));
  const script = join(dir, 'example.mts');
  writeFileSync(script, block.replace(`'@sys/cli'`, JSON.stringify(index)));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@sys/source', '--import', tsx, script],
    {
      cwd: dir,
    },
  );
  expect(stdout).toBe(
    [
      'hello Ada Lovelace',
      'hello Ada Lovelace',
      "[ '--times ' ]",
      'demo greet: --times expects a whole number ≥ 1, got "often"',
      '',
    ].join('\n'),
  );
}, 60_000);
