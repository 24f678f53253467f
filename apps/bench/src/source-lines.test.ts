import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageSrcDir, sourceLines } from './source-lines.js';

describe('sourceLines', () => {
  let dir = '';
  afterEach(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('counts the lines of non-test .ts files, in subfolders too, as wc -l does', () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-lines-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.ts'), 'one\ntwo\n\nfour\n');
    writeFileSync(join(dir, 'sub', 'b.ts'), 'x\ny'); // no final newline: 1 line, like wc -l
    writeFileSync(join(dir, 'a.test.ts'), 'not\ncounted\n');
    writeFileSync(join(dir, 'c.js'), 'not\ncounted\n');
    expect(sourceLines(dir)).toEqual({ files: ['a.ts', 'sub/b.ts'], lines: 5 });
  });

  it('finds the threads package source', () => {
    const threads = sourceLines(packageSrcDir('@sys/threads'));
    expect(threads.files).toContain('backtest.ts');
    expect(threads.files.some((f) => f.endsWith('.test.ts'))).toBe(false);
    expect(threads.lines).toBeGreaterThan(100);
  });
});
