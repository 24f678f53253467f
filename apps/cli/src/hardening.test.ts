import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { requireBuild, SYS, sysEnv } from '../test/sys.js';

requireBuild();

/** Runs sys with `input` on stdin, reads `bytes` of stdout, then closes the pipe as `head -c` does. */
function readThenClose(args: string[], input: string, bytes: number) {
  return new Promise<{ code: number | null; stderr: string; read: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [SYS, ...args], { env: sysEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let read = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      read += d.toString();
      if (read.length >= bytes) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, read }));
    child.stdin.end(input);
  });
}

describe('issue 20 item 6: a reader that leaves (`| head -c 100`)', () => {
  it('ends a piped shell running `system json --watch` quietly: exit 141, no stack trace', async () => {
    const { code, stderr, read } = await readThenClose(
      [],
      'system start --speed 60\nsystem json --watch --interval 10\n',
      100,
    );
    expect(read.length).toBeGreaterThanOrEqual(100);
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|Error:|at .*\.js/);
  });

  it('ends `backtest run --debug` quietly when the reader leaves after 100 bytes', async () => {
    const { code, stderr } = await readThenClose(['backtest', 'run', '-q', '--debug'], '', 100);
    // The state may fit the pipe before the reader leaves (exit 0); either way no crash and no stack.
    expect([0, 141]).toContain(code);
    expect(stderr).toBe('');
  });
});
