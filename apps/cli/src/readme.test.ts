import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { requireBuild, SYS, sysEnv } from '../test/sys.js';

beforeAll(requireBuild);

it('the README example runs with the built binary: the second json is an empty change set', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const line = readme.split('\n').find((l) => l.startsWith('printf '));
  if (line === undefined) throw new Error('README has no printf example');
  expect(line.endsWith('| sys')).toBe(true);
  const command = `${line.slice(0, -'sys'.length)}"${process.execPath}" "${SYS}"`;
  const { stdout } = await promisify(execFile)('sh', ['-c', command], { env: sysEnv() });
  const [first, second] = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(Object.keys(first ?? {})).toEqual(
    expect.arrayContaining(['system_manager', 'threads', 'session_data']),
  );
  expect(Object.keys(second ?? {})).toEqual(['_metadata']);
  expect(second?._metadata).toMatchObject({ changed_paths: [] });
});

// Under `pnpm test`, pnpm names itself in npm_execpath; run alone under plain node there is no pnpm to ask.
const pnpm = process.env.npm_execpath;
it.skipIf(pnpm === undefined || !/pnpm/.test(pnpm))(
  'the root `pnpm sys <args>` runs the built binary, in the caller’s directory',
  async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [pnpm ?? '', '--silent', 'sys', ...args], {
        cwd: root,
        env: sysEnv(),
      });
    const { stdout } = await run(['system', 'status']);
    expect(JSON.parse(stdout)).toMatchObject({ state: 'stopped' });
    // A relative path resolves against the directory pnpm was started in (the root), not apps/cli.
    const failed = await run(['backtest', 'run', 'no-such-sys-config.json']).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain(`cannot read ${join(root, 'no-such-sys-config.json')}`);
  },
);
