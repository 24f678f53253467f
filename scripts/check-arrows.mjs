#!/usr/bin/env node
// Checks that imports between workspace packages follow the arrows:
//
//   core ← diff-tracker ← market-time ← market-data ← indicators ← session-data ← threads ← system-manager
//        ← server ← nats ← cli ← apps/*        (client may import only core and diff-tracker)
//
// For every .ts file under packages/*/{src,test,bench} and apps/*/{src,test,bench} it reports, as file:line:
// - a sibling import that is not earlier in that order (packages not in the tree yet are skipped);
// - an import that reaches into another package's files (`@sys/x/src/…`, any subpath `@sys/x` does not
//   export, or a relative path into another package) instead of its `exports`;
// - a sibling import missing from package.json: `dependencies` (or peer/optional) for source files; test
//   files (`*.test.ts`, `test/`, `bench/`) may also use `devDependencies`. Tests follow the order too, since
//   a devDependency on a later package would be a cycle in the workspace graph;
// - a pure entry that loads I/O: the main entry (`exports['.']`) of the PURE packages, followed through
//   relative imports, sibling entries (main or subpath) and dynamic `import()`, must not reach node:fs,
//   node:net, node:http, DuckDB, ws or the rest of IO_MODULES. `import type` is erased, so it is not followed;
// - a static import of an adapter (a sibling subpath entry that reaches I/O) from a LAZY_ADAPTERS package,
//   which wires adapters and must load them with `await import()`;
// - an `exports` entry without the `@sys/source` condition (tests, typecheck and dev scripts resolve
//   siblings through it), or one naming a file that does not exist.
//
// Usage: node scripts/check-arrows.mjs [root]   (exit 0: clean, 1: violations listed on stderr)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Package folders (under packages/) from the bottom up; apps/* come after all of them. */
export const ORDER = [
  'core',
  'diff-tracker',
  'market-time',
  'market-data',
  'indicators',
  'session-data',
  'threads',
  'system-manager',
  'server',
  'nats',
  'cli',
];

/** Packages outside the chain: what each may import. Anything after those may import it. */
export const ONLY = { client: ['core', 'diff-tracker'] };

/**
 * Later packages a package outside the chain may use in its tests only (devDependencies), to test against
 * the real thing: the client's tests run a real @sys/server over a real SystemManager. Nothing in the chain
 * depends on the client, so this makes no cycle.
 */
export const TEST_PEERS = { client: ['system-manager', 'server'] };

/** Packages whose main entry must not load I/O, in any app or a browser. */
export const PURE = [
  'core',
  'diff-tracker',
  'market-time',
  'market-data',
  'indicators',
  'session-data',
  'threads',
];

/** Packages that wire adapters and must load them lazily, with `await import()`. */
export const LAZY_ADAPTERS = ['system-manager'];

const NODE_IO = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'child_process',
  'cluster',
  'readline',
  'readline/promises',
];

/** Modules a pure entry must not reach (a trailing `/*` covers a scope). */
export const IO_MODULES = [
  ...NODE_IO,
  ...NODE_IO.map((m) => `node:${m}`),
  '@duckdb/*',
  'better-sqlite3',
  'ws',
  'fastify',
  '@fastify/*',
  '@nats-io/*',
  'eventsource',
  'undici',
];

const SOURCE_CONDITION = '@sys/source';
const CODE_DIRS = ['src', 'test', 'bench'];

/** Runs every check on the workspace at `root`; returns the violations, sorted by file and line. */
export function checkArrows(root) {
  const workspace = readWorkspace(root);
  const byName = new Map(workspace.map((w) => [w.name, w]));
  const violations = [];
  const report = (file, line, message) =>
    violations.push({ file: relative(root, file).split(sep).join('/'), line, message });
  const graph = new ModuleGraph(byName);

  for (const w of workspace) {
    if (w.kind === 'package' && rank(w) === undefined)
      report(w.manifest, 1, `packages/${w.folder} is not in the arrows order: add it to ORDER in ${SELF}`);
    for (const [subpath, target] of Object.entries(w.exports)) {
      if (subpath === './package.json') continue;
      const source = sourceTarget(target);
      if (source === undefined)
        report(
          w.manifest,
          1,
          `exports['${subpath}'] has no '${SOURCE_CONDITION}' condition naming its src file`,
        );
      else if (!existsSync(join(w.dir, source)))
        report(
          w.manifest,
          1,
          `exports['${subpath}']['${SOURCE_CONDITION}'] names ${source}, which does not exist`,
        );
    }
  }

  for (const w of workspace) {
    for (const file of w.files) {
      const dev = isDevFile(w, file);
      for (const imp of graph.imports(file)) {
        if (imp.specifier.startsWith('.')) {
          const target = resolve(dirname(file), imp.specifier);
          const owner = workspace.find((o) => o !== w && isInside(o.dir, target));
          if (owner !== undefined)
            report(
              file,
              imp.line,
              `'${imp.specifier}' reaches into ${owner.name}'s files; import '${owner.name}' (its exports) instead`,
            );
          else if (!dev && !isInside(w.dir, target))
            report(
              file,
              imp.line,
              `'${imp.specifier}' leaves ${w.name}: a published package cannot import files outside it`,
            );
          continue;
        }
        const ref = parseSysSpecifier(imp.specifier);
        if (ref === undefined) continue;
        const target = byName.get(ref.name);
        if (target === undefined) {
          report(file, imp.line, `'${imp.specifier}': no workspace package is named ${ref.name}`);
          continue;
        }
        if (target === w) continue;
        const why =
          dev && TEST_PEERS[w.folder]?.includes(target.folder) === true ? undefined : arrowProblem(w, target);
        if (why !== undefined) report(file, imp.line, `'${imp.specifier}': ${why}`);
        if (!(ref.subpath in target.exports))
          report(
            file,
            imp.line,
            `'${imp.specifier}' reaches into ${target.name}'s internals; import one of its exports: ${exportList(target)}`,
          );
        const declared = w.dependencies.has(target.name) || (dev && w.devDependencies.has(target.name));
        if (!declared)
          report(
            file,
            imp.line,
            `'${imp.specifier}': ${target.name} is not in ${dev ? 'dependencies or devDependencies' : 'dependencies'} of ${relative(root, w.manifest)}`,
          );
        if (
          !dev &&
          !imp.typeOnly &&
          !imp.dynamic &&
          ref.subpath !== '.' &&
          LAZY_ADAPTERS.includes(w.folder) &&
          graph.firstIo(graph.entryFile(target, ref.subpath)) !== undefined
        )
          report(
            file,
            imp.line,
            `'${imp.specifier}' is an adapter: ${w.name} wires adapters lazily, so load it with await import('${imp.specifier}')`,
          );
      }
    }
  }

  for (const w of workspace) {
    if (w.kind !== 'package' || !PURE.includes(w.folder)) continue;
    const entry = graph.entryFile(w, '.');
    if (entry === undefined) continue;
    // One report per place where this package's own files hand over to I/O (or to the module leading
    // there), with the shortest chain and how many other I/O imports lie behind the same line.
    const sites = new Map();
    for (const { chain, io } of graph.ioPaths(entry)) {
      const last = chain.filter((step) => isInside(w.dir, step.file)).at(-1) ?? chain[0];
      const key = `${last.file}:${last.line}`;
      const site = sites.get(key);
      if (site === undefined) sites.set(key, { last, chain, io, more: 0 });
      else site.more++;
    }
    for (const { last, chain, io, more } of sites.values()) {
      const path = chain
        .map((step) => `${relative(root, step.file).split(sep).join('/')}:${step.line}`)
        .join(' → ');
      const others =
        more === 0 ? '' : ` (and ${more} more I/O import${more === 1 ? '' : 's'} behind this line)`;
      report(
        last.file,
        last.line,
        `${w.name}'s main entry is pure but loads '${io}': ${path} → '${io}'${others}`,
      );
    }
  }

  violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return violations;
}

const SELF = 'scripts/check-arrows.mjs';

function readWorkspace(root) {
  const out = [];
  for (const kind of ['package', 'app']) {
    const parent = join(root, kind === 'package' ? 'packages' : 'apps');
    if (!existsSync(parent)) continue;
    for (const folder of readdirSync(parent).sort()) {
      const dir = join(parent, folder);
      const manifest = join(dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      out.push({
        kind,
        folder,
        dir,
        manifest,
        name: pkg.name,
        exports: normaliseExports(pkg.exports),
        dependencies: new Set(
          Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }),
        ),
        devDependencies: new Set(Object.keys(pkg.devDependencies ?? {})),
        files: CODE_DIRS.flatMap((d) => listTs(join(dir, d))),
      });
    }
  }
  return out;
}

/** `exports` as a map of subpath → target; a bare string or condition object is the '.' entry. */
function normaliseExports(exports) {
  if (exports === undefined) return {};
  if (typeof exports === 'string') return { '.': exports };
  if (Object.keys(exports).every((k) => !k.startsWith('.'))) return { '.': exports };
  return exports;
}

function sourceTarget(target) {
  if (target === null || typeof target !== 'object') return undefined;
  const source = target[SOURCE_CONDITION];
  return typeof source === 'string' ? source : undefined;
}

function exportList(w) {
  const keys = Object.keys(w.exports).filter((k) => k !== './package.json');
  return keys.length === 0 ? '(none)' : keys.map((k) => `'${k}'`).join(', ');
}

function listTs(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTs(path));
    else if (/\.m?tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function isDevFile(w, file) {
  const rel = relative(w.dir, file).split(sep);
  return rel[0] === 'test' || rel[0] === 'bench' || /\.test\.m?tsx?$/.test(file);
}

function isInside(dir, path) {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}

function rank(w) {
  if (w.kind === 'app') return ORDER.length;
  const i = ORDER.indexOf(w.folder);
  if (i >= 0) return i;
  const only = ONLY[w.folder];
  // A package outside the chain sits just above the highest package it may import.
  return only === undefined ? undefined : Math.max(...only.map((d) => ORDER.indexOf(d))) + 0.5;
}

/** Why `from` may not import `to`, or undefined when the arrow points the right way. */
function arrowProblem(from, to) {
  if (to.kind === 'app') return `${to.name} is an app; nothing imports an app`;
  const only = ONLY[from.folder];
  if (only !== undefined && !only.includes(to.folder))
    return `${from.folder} may import only ${only.join(' and ')}, not ${to.folder}`;
  const a = rank(from);
  const b = rank(to);
  if (a === undefined || b === undefined) return undefined; // reported once, at package.json
  if (b >= a) return `${to.folder} is not earlier than ${from.folder} in ${ORDER.join(' ← ')} ← apps`;
  return undefined;
}

/** `@sys/x/a/b` → { name: '@sys/x', subpath: './a/b' }; undefined for anything else. */
function parseSysSpecifier(specifier) {
  const m = /^(@sys\/[^/]+)(\/.*)?$/.exec(specifier);
  return m === null ? undefined : { name: m[1], subpath: m[2] === undefined ? '.' : `.${m[2]}` };
}

function isIoModule(specifier) {
  return IO_MODULES.some((m) =>
    m.endsWith('/*')
      ? specifier.startsWith(m.slice(0, -1))
      : specifier === m || specifier.startsWith(`${m}/`),
  );
}

/** Parsed imports per file, and the runtime graph pure entries are followed through. */
class ModuleGraph {
  #byName;
  #imports = new Map();
  #firstIo = new Map();

  constructor(byName) {
    this.#byName = byName;
  }

  /** Every import of a file: static, re-export, dynamic `import()` and `import('x').T` type references. */
  imports(file) {
    let found = this.#imports.get(file);
    if (found !== undefined) return found;
    found = [];
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const add = (literal, typeOnly, dynamic) =>
      found.push({
        specifier: literal.text,
        line: source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1,
        typeOnly,
        dynamic,
      });
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
        add(node.moduleSpecifier, node.importClause?.isTypeOnly === true, false);
      else if (
        ts.isExportDeclaration(node) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      )
        add(node.moduleSpecifier, node.isTypeOnly, false);
      else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteralLike(node.arguments[0])
      )
        add(node.arguments[0], false, true);
      else if (
        ts.isImportTypeNode(node) &&
        ts.isLiteralTypeNode(node.argument) &&
        ts.isStringLiteral(node.argument.literal)
      )
        add(node.argument.literal, true, false);
      ts.forEachChild(node, visit);
    };
    visit(source);
    this.#imports.set(file, found);
    return found;
  }

  /** The source file a package's export `subpath` names through `@sys/source`, if it exists. */
  entryFile(w, subpath) {
    const source = sourceTarget(w.exports[subpath]) ?? (subpath === '.' ? './src/index.ts' : undefined);
    if (source === undefined) return undefined;
    const file = join(w.dir, source);
    return existsSync(file) ? file : undefined;
  }

  /** Where a runtime import leads: { file } for workspace code, { io } for an I/O module, or null. */
  #follow(file, imp) {
    if (imp.typeOnly) return null;
    if (imp.specifier.startsWith('.')) {
      const target = resolveRelative(dirname(file), imp.specifier);
      return target === undefined ? null : { file: target };
    }
    if (isIoModule(imp.specifier)) return { io: imp.specifier };
    const ref = parseSysSpecifier(imp.specifier);
    const w = ref && this.#byName.get(ref.name);
    const target = w && this.entryFile(w, ref.subpath);
    return target === undefined ? null : { file: target };
  }

  /** The first I/O module reachable from `entry` (memoised), or undefined. */
  firstIo(entry) {
    if (entry === undefined) return undefined;
    if (!this.#firstIo.has(entry)) this.#firstIo.set(entry, this.ioPaths(entry)[0]?.io);
    return this.#firstIo.get(entry);
  }

  /** One shortest chain of imports (file, line) per I/O import reachable from `entry`. */
  ioPaths(entry) {
    const seen = new Set([entry]);
    const queue = [{ file: entry, chain: [] }];
    const out = [];
    const reported = new Set();
    while (queue.length > 0) {
      const { file, chain } = queue.shift();
      for (const imp of this.imports(file)) {
        const next = this.#follow(file, imp);
        if (next === null) continue;
        const steps = [...chain, { file, line: imp.line }];
        if ('io' in next) {
          const key = `${file}:${imp.line}`;
          if (!reported.has(key)) {
            reported.add(key);
            out.push({ chain: steps, io: next.io });
          }
        } else if (!seen.has(next.file)) {
          seen.add(next.file);
          queue.push({ file: next.file, chain: steps });
        }
      }
    }
    return out;
  }
}

/** NodeNext relative specifiers name the emitted .js; the source is the .ts beside it. */
function resolveRelative(dir, specifier) {
  const base = resolve(dir, specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.jsx$/, '.tsx'),
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => /\.m?tsx?$/.test(c) && existsSync(c) && statSync(c).isFile());
}

function main() {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = checkArrows(root);
  if (violations.length === 0) {
    console.log(`check-arrows: every import in ${root} follows the arrows`);
    return 0;
  }
  const n = violations.length;
  console.error(`check-arrows: ${n} import${n === 1 ? ' breaks' : 's break'} the arrows:`);
  for (const v of violations) console.error(`${v.file}:${v.line}  ${v.message}`);
  return 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main();
