import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatValue, type Row, type SectionResult } from './harness.js';

/** Where and on what a run happened. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly totalMemoryMiB: number;
  /** 1-minute load average when the run started: a busy shared machine makes every number noisier. */
  readonly loadAverage1m: number;
}

/** The file a run writes to bench-results/. */
export interface BenchResults {
  readonly format: 'sys-bench/1';
  readonly startedAt: string;
  readonly durationMs: number;
  readonly git: { readonly sha: string; readonly dirty: boolean };
  readonly mode: 'full' | 'quick';
  readonly machine: MachineInfo;
  readonly sections: readonly SectionResult[];
}

/** CPU model, cores, Node version and load of this machine. */
export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The repository root, short HEAD sha and whether the work tree has changes (null outside git). */
export function gitInfo(cwd: string): { root: string; sha: string; dirty: boolean } | null {
  const root = git(['rev-parse', '--show-toplevel'], cwd);
  const sha = git(['rev-parse', '--short=10', 'HEAD'], cwd);
  if (root === null || sha === null) return null;
  const status = git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return { root, sha, dirty: status !== null && status !== '' };
}

/** Writes `bench-results/<date>-<sha>[-quick|-sN].json` under `root`; returns the path. */
export function saveResults(root: string, results: BenchResults, suffix: string): string {
  const dir = join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const date = results.startedAt.slice(0, 10);
  const path = join(dir, `${date}-${results.git.sha}${suffix}.json`);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** Reads a results file, refusing anything that is not one. */
export function loadResults(path: string): BenchResults {
  const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<BenchResults>;
  if (data.format !== 'sys-bench/1' || !Array.isArray(data.sections)) {
    throw new Error(`${path} is not a sys bench results file (format sys-bench/1)`);
  }
  return data as BenchResults;
}

/** One row present in both runs, and how it moved. */
export interface RowChange {
  readonly section: number;
  readonly name: string;
  readonly before: Row;
  readonly after: Row;
  /** after ÷ before of the medians. */
  readonly factor: number;
  readonly improved: boolean;
}

/** Rows matched by section and name; rows in only one run are listed apart. */
export function compareResults(
  a: BenchResults,
  b: BenchResults,
): { changes: RowChange[]; onlyA: string[]; onlyB: string[] } {
  const key = (s: number, name: string) => `${s}\u0000${name}`;
  const rowsA = new Map<string, Row>();
  for (const s of a.sections) for (const r of s.rows) rowsA.set(key(s.id, r.name), r);
  const changes: RowChange[] = [];
  const seen = new Set<string>();
  const onlyB: string[] = [];
  for (const s of b.sections) {
    for (const r of s.rows) {
      const k = key(s.id, r.name);
      const before = rowsA.get(k);
      if (before === undefined) {
        onlyB.push(`${s.id}. ${r.name}`);
        continue;
      }
      seen.add(k);
      const factor = before.median === 0 ? Number.NaN : r.median / before.median;
      changes.push({
        section: s.id,
        name: r.name,
        before,
        after: r,
        factor,
        improved: r.better === 'lower' ? factor < 1 : factor > 1,
      });
    }
  }
  const onlyA = [...rowsA.keys()].filter((k) => !seen.has(k)).map((k) => k.replace('\u0000', '. '));
  return { changes, onlyA, onlyB };
}

/** The comparison as text: a line per row, with the change and a flag where a goal flipped. */
export function formatComparison(a: BenchResults, b: BenchResults, pathA: string, pathB: string): string {
  const { changes, onlyA, onlyB } = compareResults(a, b);
  const out = [
    `A: ${pathA} (${a.startedAt}, ${a.git.sha}${a.git.dirty ? '+dirty' : ''}, ${a.mode}, ${a.machine.cpuModel}, ${a.machine.cores} cores, node ${a.machine.node}, load ${a.machine.loadAverage1m})`,
    `B: ${pathB} (${b.startedAt}, ${b.git.sha}${b.git.dirty ? '+dirty' : ''}, ${b.mode}, ${b.machine.cpuModel}, ${b.machine.cores} cores, node ${b.machine.node}, load ${b.machine.loadAverage1m})`,
  ];
  if (a.mode !== b.mode)
    out.push(`warning: comparing a ${a.mode} run with a ${b.mode} run (different sizes)`);
  const header = ['section', 'name', 'A median', 'B median', 'change', 'goal'];
  const lines = changes.map((c) => {
    const pct = Number.isFinite(c.factor) ? (c.factor - 1) * 100 : Number.NaN;
    const change = Number.isNaN(pct)
      ? 'n/a'
      : `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}% ${Math.abs(pct) < 0.5 ? '' : c.improved ? '(better)' : '(worse)'}`;
    const ga = c.before.goal;
    const gb = c.after.goal;
    let goal = '';
    if (ga !== undefined && gb !== undefined && ga.pass !== gb.pass)
      goal = gb.pass ? 'MISS → PASS' : 'PASS → MISS';
    else if (gb !== undefined) goal = gb.pass ? 'PASS' : 'MISS';
    return [
      String(c.section),
      c.name,
      formatValue(c.before.median, c.before.unit),
      formatValue(c.after.median, c.after.unit),
      change.trim(),
      goal,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  out.push('', fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt));
  if (onlyA.length > 0) out.push('', `only in A: ${onlyA.join('; ')}`);
  if (onlyB.length > 0) out.push('', `only in B: ${onlyB.join('; ')}`);
  return out.join('\n');
}
