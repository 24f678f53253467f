// README examples run as tests. Plain JS with its types in readme-examples.d.mts, so a package's test
// can import it from outside the package without pulling a source file outside its tsconfig rootDir.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

/** Every ```ts block of a markdown text, in order, with the line its code starts on. */
export function readmeExamples(markdown) {
  const out = [];
  for (const m of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm))
    out.push({ code: m[1], line: markdown.slice(0, m.index).split('\n').length + 1 });
  return out;
}

const CHECKED_LOG = /^\s*console\.log\(.*\);?\s*\/\/ → (.*)$/;

/**
 * What an example promises to print: the text after `// → ` on each `console.log(…); // → text` line,
 * in order. A `// →` anywhere else would read like a check and check nothing, so it is refused.
 */
export function expectedOutput(example) {
  const out = [];
  example.code.split('\n').forEach((text, i) => {
    const m = CHECKED_LOG.exec(text);
    if (m !== null) out.push(m[1]);
    else if (text.includes('// →'))
      throw new Error(
        `README line ${example.line + i}: '// →' is only checked after a console.log(…) on its own line`,
      );
  });
  return out;
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * Runs one README example as the program a user would paste: written to a temp file inside the package
 * folder `packageDir` (so `@sys/…` imports, the package's own name included, resolve through its
 * dependencies and the `@sys/source` condition) and run by `node --conditions=@sys/source --import tsx`
 * from an empty temp directory (so files it writes land there). The example checks its own result, with
 * `node:assert` or with `console.log(x); // → text` lines, whose texts must be exactly what it prints;
 * one with neither is refused, since an example nobody checks drifts from the code.
 */
export async function runReadmeExample(example, packageDir, timeoutMs = 60_000) {
  const expected = expectedOutput(example);
  if (expected.length === 0 && !/\bassert(\.\w+)?\(/.test(example.code))
    throw new Error(
      `README line ${example.line}: the example checks nothing; use node:assert or console.log(x); // → text`,
    );
  const dir = mkdtempSync(join(packageDir, '.readme-'));
  const cwd = mkdtempSync(join(tmpdir(), 'sys-readme-'));
  try {
    const script = join(dir, 'example.mts');
    writeFileSync(script, example.code);
    const run = await promisify(execFile)(
      process.execPath,
      ['--conditions=@sys/source', '--import', tsx, script],
      { cwd, timeout: timeoutMs },
    ).catch((error) => {
      throw new Error(
        `README example at line ${example.line} failed (exit ${error.code ?? error.signal}):\n${error.stderr}${error.stdout}`,
      );
    });
    if (expected.length > 0)
      expect(run.stdout.replace(/\n$/, '').split('\n'), `README example at line ${example.line}`).toEqual(
        expected,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Registers one test per ```ts block of a package README (`readme`: its URL), run by runReadmeExample. */
export function testReadmeExamples(readme, options = {}) {
  const path = fileURLToPath(readme);
  const examples = readmeExamples(readFileSync(path, 'utf8'));
  const timeoutMs = options.timeoutMs ?? 60_000;
  it('the README has a ```ts example', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const example of examples)
    it(
      `the README example at line ${example.line} runs and prints what it says`,
      async () => {
        await runReadmeExample(example, dirname(path), timeoutMs);
      },
      timeoutMs + 10_000,
    );
}
