import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedOutput, readmeExamples, runReadmeExample } from './readme-examples.mjs';

// A package with no dist: its example imports it by name, through the `@sys/source` condition.
const pkg = mkdtempSync(join(tmpdir(), 'readme-examples-'));
afterAll(() => rmSync(pkg, { recursive: true, force: true }));
writeFileSync(
  join(pkg, 'package.json'),
  JSON.stringify({
    name: '@demo/answer',
    type: 'module',
    exports: { '.': { '@sys/source': './src/index.ts', import: './dist/index.js' } },
  }),
);
mkdirSync(join(pkg, 'src'));
writeFileSync(join(pkg, 'src', 'index.ts'), 'export const answer: number = 42;\n');

const example = (code: string) => ({ code, line: 3 });

describe('readmeExamples', () => {
  it('finds each ```ts block with the line its code starts on, and no other block', () => {
    const markdown = '# x\n\n```ts\nconst a = 1;\n```\n\n```sh\nls\n```\n\n```ts\nconst b = 2;\n```\n';
    expect(readmeExamples(markdown)).toEqual([
      { code: 'const a = 1;\n', line: 4 },
      { code: 'const b = 2;\n', line: 12 },
    ]);
  });

  it('reads the // → texts of console.log lines and refuses one on any other line', () => {
    expect(
      expectedOutput(example("console.log(1); // → 1\nif (x) {\n  console.log('a b'); // → a b\n}\n")),
    ).toEqual(['1', 'a b']);
    expect(() => expectedOutput(example('const x = f(); // → 1\n'))).toThrow(
      "README line 3: '// →' is only checked after a console.log(…) on its own line",
    );
  });
});

describe('runReadmeExample', () => {
  it('runs an example that imports its package by name and prints what it says', async () => {
    await runReadmeExample(
      example("import { answer } from '@demo/answer';\n\nconsole.log(answer); // → 42\n"),
      pkg,
    );
  });

  it('fails when the output differs from a // → text', async () => {
    await expect(
      runReadmeExample(
        example("import { answer } from '@demo/answer';\nconsole.log(answer + 1); // → 42\n"),
        pkg,
      ),
    ).rejects.toThrow(/README example at line 3/);
  });

  it('fails when an assertion fails, with its message', async () => {
    await expect(
      runReadmeExample(
        example(
          "import assert from 'node:assert/strict';\nimport { answer } from '@demo/answer';\nassert.equal(answer, 41);\n",
        ),
        pkg,
      ),
    ).rejects.toThrow(/failed \(exit 1\)[\s\S]*42 !== 41/);
  });

  it('refuses an example that checks nothing', async () => {
    await expect(
      runReadmeExample(example("import { answer } from '@demo/answer';\nanswer === 42; // true\n"), pkg),
    ).rejects.toThrow('README line 3: the example checks nothing');
  });
});
