import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Lines of source in a directory tree. */
export interface SourceLines {
  /** Files counted, relative to the directory, sorted. */
  readonly files: readonly string[];
  /** Lines of all of them, counted as `wc -l` does (newline characters). */
  readonly lines: number;
}

/** Counts the lines of every `.ts` file under `dir` except tests (`*.test.ts`), by reading the files. */
export function sourceLines(dir: string): SourceLines {
  const files: string[] = [];
  let lines = 0;
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        files.push(path);
        const text = readFileSync(join(dir, path), 'utf8');
        for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
      }
    }
  };
  walk('');
  return { files: files.sort(), lines };
}

/** The `src` directory of a workspace package, found the way node resolves the package itself. */
export function packageSrcDir(name: string): string {
  return join(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)), 'src');
}
