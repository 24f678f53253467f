/**
 * sys performance harness. `pnpm bench` runs the sections (issues 10 and 13) and prints one table each;
 * `--quick` runs them on small sizes (CI smoke test), `--section N[,M]` runs some, `--compare A.json B.json`
 * prints the change between two saved runs, `--no-save` skips writing bench-results/.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { canMeasureHeap, formatSection, type SectionResult } from './harness.js';
import {
  type BenchResults,
  formatComparison,
  gitInfo,
  loadResults,
  machineInfo,
  saveResults,
} from './results.js';
import { SECTIONS } from './sections/index.js';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      section: { type: 'string', multiple: true },
      compare: { type: 'boolean', default: false },
      'no-save': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: pnpm bench [--quick] [--section N[,M…]] [--no-save]\n       pnpm bench --compare A.json B.json',
    );
    return 0;
  }
  if (values.compare) {
    const [a, b] = positionals;
    if (a === undefined || b === undefined || positionals.length !== 2) {
      console.error('--compare needs two results files: pnpm bench --compare A.json B.json');
      return 2;
    }
    // pnpm runs the script in apps/bench; paths are relative to where the user typed the command.
    const from = process.env.INIT_CWD ?? process.cwd();
    console.log(formatComparison(loadResults(resolve(from, a)), loadResults(resolve(from, b)), a, b));
    return 0;
  }
  if (positionals.length > 0) {
    console.error(`unexpected arguments: ${positionals.join(' ')} (see --help)`);
    return 2;
  }
  const wanted = new Set<number>();
  for (const s of values.section ?? []) {
    for (const part of s.split(',')) {
      const id = Number(part);
      if (!SECTIONS.some((x) => x.id === id)) {
        console.error(`--section ${part}: sections are ${SECTIONS.map((x) => x.id).join(', ')}`);
        return 2;
      }
      wanted.add(id);
    }
  }
  const mode = values.quick ? 'quick' : 'full';
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  console.log(
    `sys bench (${mode}) · ${machine.cpuModel} · ${machine.cores} cores · node ${machine.node} · load ${machine.loadAverage1m}` +
      ' · all market data SYNTHETIC (seeded) unless marked real',
  );
  if (values.quick)
    console.log('quick mode: small sizes for a smoke test; PASS/MISS only mean something in a full run');
  if (!canMeasureHeap()) console.log('note: no global.gc (run with --expose-gc): heap figures are rough');
  const t0 = performance.now();
  const sections: SectionResult[] = [];
  for (const s of SECTIONS) {
    if (wanted.size > 0 && !wanted.has(s.id)) continue;
    const ts = performance.now();
    const result = await s.run(values.quick);
    sections.push(result);
    console.log(formatSection(result));
    console.log(`  (section ${s.id} took ${((performance.now() - ts) / 1000).toFixed(1)} s)`);
  }
  const durationMs = performance.now() - t0;
  const rows = sections.flatMap((s) => s.rows);
  const goals = rows.filter((r) => r.goal !== undefined);
  const missed = goals.filter((r) => r.goal?.pass === false);
  console.log(
    `\n${goals.length - missed.length}/${goals.length} goals met in ${(durationMs / 1000).toFixed(1)} s` +
      (missed.length > 0 ? `; missed: ${missed.map((r) => r.name).join('; ')}` : ''),
  );
  if (!values['no-save']) {
    const repo = gitInfo(process.cwd());
    if (repo === null) {
      console.log('not in a git repository: results not saved');
    } else {
      const results: BenchResults = {
        format: 'sys-bench/1',
        startedAt,
        durationMs: Math.round(durationMs),
        git: { sha: repo.sha, dirty: repo.dirty },
        mode,
        machine,
        sections,
      };
      const suffix =
        (values.quick ? '-quick' : '') + (wanted.size > 0 ? `-s${[...wanted].sort().join('')}` : '');
      console.log(`results: ${saveResults(repo.root, results, suffix)}`);
    }
  }
  // Goals are reported, never enforced: a miss is a finding, not a failure of the harness.
  return 0;
}

process.exitCode = await main();
