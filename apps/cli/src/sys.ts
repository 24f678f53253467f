#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BROKEN_PIPE_EXIT, isBrokenPipe, main, processIo } from '@sys/cli';

/**
 * The built dashboard (`@sys/dashboard`'s dist folder), which `sys serve` offers at `/`; undefined when it
 * is not installed or not built, and then `serve` serves the API alone.
 */
function dashboardDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@sys/dashboard/package.json');
    const dist = join(dirname(manifest), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

// Through `pnpm sys …` (or `pnpm start`) the script runs in apps/cli; paths the user typed are relative to
// the directory they typed them in, which pnpm passes as INIT_CWD.
const initCwd = process.env.INIT_CWD;
if (process.env.npm_lifecycle_event !== undefined && initCwd !== undefined) process.chdir(initCwd);

// A reader that leaves after sys has finished writing (`sys … | head`) closes the pipe late: exit as a tool
// killed by SIGPIPE would (141), without a stack trace. `main` handles a pipe closed while it runs.
process.stdout.on('error', (error) => {
  if (isBrokenPipe(error)) process.exitCode = BROKEN_PIPE_EXIT;
});
const dashboard = dashboardDir();
process.exitCode = await main(
  process.argv.slice(2),
  processIo(),
  dashboard === undefined ? {} : { dashboardDir: dashboard },
);
