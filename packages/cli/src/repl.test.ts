import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { delay } from '@sys/core';
import { afterAll, expect, it } from 'vitest';
import { Capture, tempDir } from '../test/io.js';
import { main, PROMPT } from './index.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** A shell on a fake terminal: keys are typed into stdin; the screen is what readline wrote. */
function terminal(historyFile: string) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new Capture(true);
  const stderr = new Capture(true);
  const finished = main([], { stdin, stdout, stderr, env: { NO_COLOR: '1' }, cwd: tmp.dir }, { historyFile });
  const type = async (keys: string) => {
    stdin.write(keys);
    await delay(30);
  };
  return { stdout, stderr, type, finished };
}

it('prompts, completes with Tab, keeps history across runs, clears the line on Ctrl-C, leaves on Ctrl-D', async () => {
  const history = join(tmp.dir, 'history');
  const first = terminal(history);
  await first.type('sys\t');
  await first.type('stat\t');
  await first.type('\r');
  await first.type('system spee\x03');
  await first.type('\x04');
  expect(await first.finished).toBe(0);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is stripped
  const screen = first.stdout.text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  expect(screen).toContain(PROMPT);
  expect(screen).toContain(`${PROMPT}system status `);
  expect(screen).toContain('"state": "stopped"');
  expect(screen).toContain('^C');
  expect(readFileSync(history, 'utf8')).toBe('system status\n');

  // The next run recalls it with the up arrow.
  writeFileSync(history, 'help exit\nsystem status\n');
  const second = terminal(history);
  await second.type('\x1b[A\x1b[A\r');
  await second.type('\x04');
  await second.finished;
  expect(second.stdout.text).toContain('Usage: sys exit');
});

/** Waits until `ready()` holds (checked every 10 ms), failing with `what` after 10 s. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

const prompts = (text: string) => text.split(PROMPT).length - 1;

it('Ctrl-C cancels the running command and the shell goes on', async () => {
  const shell = terminal(join(tmp.dir, 'history2'));
  // Each step waits for what the screen shows, not for a fixed time, so a loaded machine only slows it.
  await until(() => prompts(shell.stdout.text) >= 1, 'the first prompt');
  await shell.type('system start --speed 1\r');
  await until(() => prompts(shell.stdout.text) >= 2, 'the prompt after system start');
  await shell.type('system wait\r');
  await shell.type('\x03');
  await until(() => shell.stderr.text.includes('system wait: cancelled'), 'the cancelled wait');
  await shell.type('system status\r');
  await until(() => shell.stdout.text.includes('"state": "running"'), 'the status');
  await shell.type('\x04');
  expect(await shell.finished).toBe(0);
  expect(shell.stderr.text).toContain('system wait: cancelled');
  expect(shell.stdout.text).toContain('"state": "running"');
});
