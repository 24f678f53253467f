// `node --import <this file>`: writes every module loaded after it to the file named by SYS_RECORD_LOADS,
// one URL a line, so a test can see what importing an entry pulls in (purity checks). ESM modules are
// recorded as the loader resolves them; CommonJS ones (a native addon's JS wrapper, the `.node` file) from
// `require.cache` at exit, because Node 20's hooks do not see `require` inside CommonJS. Plain JS: the hooks
// run on the loader thread, where no TypeScript loader helps. Put it after `--import tsx`: the last
// registered hook runs first, so it sees the URL tsx resolved to.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

let file;

/** Loader-thread setup: where to append. */
export function initialize(data) {
  file = data.file;
}

/** Records each resolved URL after the rest of the chain (tsx, Node) resolved it. */
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(file, `${result.url}\n`);
  return result;
}

// This module is loaded on the loader thread too, as the hooks themselves; only the main thread registers.
if (isMainThread) {
  const target = process.env.SYS_RECORD_LOADS;
  if (target === undefined) throw new Error('record-loads: set SYS_RECORD_LOADS to the file to write to');
  const cache = createRequire(import.meta.url).cache;
  // What tsx and this file loaded themselves is not the entry's doing.
  const before = new Set(Object.keys(cache));
  register(import.meta.url, { data: { file: target } });
  process.on('exit', () => {
    const added = Object.keys(cache).filter((path) => !before.has(path));
    if (added.length > 0) appendFileSync(target, `${added.map((p) => pathToFileURL(p).href).join('\n')}\n`);
  });
}
