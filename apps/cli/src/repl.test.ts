import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTerminal, ptyTool } from '../test/pty.js';
import { requireBuild } from '../test/sys.js';

const dir = mkdtempSync(join(tmpdir(), 'sys-pty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(requireBuild);

const PROMPT = 'system@mismartera: ';

if (ptyTool === undefined) {
  console.warn('SKIPPED the interactive shell test: neither `script` (util-linux) nor `tmux` is on PATH');
}

describe.skipIf(ptyTool === undefined)(`the interactive shell in a pseudo-terminal (via ${ptyTool})`, () => {
  it('prompts, completes with Tab, runs commands while a session runs, Ctrl-C cancels, Ctrl-D leaves', async () => {
    const history = join(dir, 'history');
    const t = openTerminal({ SYS_HISTORY_FILE: history });
    try {
      // (tmux drops trailing blanks from screen lines, so patterns do not end in one.)
      await t.waitFor(PROMPT.trimEnd());
      await t.type('syst\t');
      await t.waitFor(`${PROMPT}system`);
      await t.type('stat\t');
      await t.waitFor(`${PROMPT}system status`);
      await t.type('\r');
      // Pretty JSON on a terminal, then the prompt again.
      await t.waitFor(/\{\n {2}"state": "stopped",\n {2}"session": null\n\}\n\s*system@mismartera:\s*$/);

      // Double Tab lists the flags of a command.
      await t.type('system json --');
      await t.type('\t');
      await t.type('\t');
      await t.waitFor(/--complete\s+--debug/);
      await t.type('\x03');

      await t.type('system start --speed 30\r');
      await t.waitFor('started AAPL 2025-07-02 → 2025-07-02 at speed 30');
      await t.type('system status\r');
      await t.waitFor('"state": "running"');
      await t.type('system wait\r');
      await new Promise((r) => setTimeout(r, 300));
      await t.type('\x03');
      await t.waitFor('system wait: cancelled');
      await t.type('\x04');
      expect(await t.exited()).toBe(0);
      expect(readFileSync(history, 'utf8').split('\n')).toEqual(
        expect.arrayContaining(['system status', 'system start --speed 30', 'system wait']),
      );
    } finally {
      t.dispose();
    }
  });
});
