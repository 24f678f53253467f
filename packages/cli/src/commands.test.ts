import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { delay, type Json } from '@sys/core';
import { applyPatch, type Envelope } from '@sys/diff-tracker';
import { samplePath } from '@sys/market-data/samples';
import { type SessionConfig, SystemManager } from '@sys/system-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { at, obj, run, tempDir, withoutMetadata } from '../test/io.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const CSV = samplePath('AAPL_2025-07-02.csv');
const reference = JSON.parse(readFileSync(samplePath('expected/AAPL_2025-07-02.json'), 'utf8')) as {
  regular_session: {
    open: number;
    close: number;
    high: number;
    low: number;
    volume: number;
    bars_1m: number;
  };
};
/** Data rows of the sample, counted from the file itself. */
const csvRows = readFileSync(CSV, 'utf8').trim().split('\n').length - 1;

/** A factory that remembers the managers it made. */
function recording() {
  const made: SystemManager[] = [];
  return {
    made,
    createManager: (config: SessionConfig) => {
      const m = new SystemManager(config);
      made.push(m);
      return m;
    },
  };
}

describe('argv mode', () => {
  it('system status without a session says stopped', async () => {
    const { code, stdout } = await run(['system', 'status']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout.text)).toEqual({ state: 'stopped', session: null });
  });

  it('system json without a session fails and says how to start one', async () => {
    const { code, stdout, stderr } = await run(['system', 'json']);
    expect(code).toBe(1);
    expect(stdout.text).toBe('');
    expect(stderr.text).toContain('system start');
  });

  it('backtest run replays the sample and prints the complete state matching the reference figures', async () => {
    const { code, stdout } = await run(['backtest', 'run']);
    expect(code).toBe(0);
    const [state] = stdout.json();
    expect(at(state, '_metadata', 'complete')).toBe(true);
    const aapl = at(state, 'session_data', 'symbols', 'AAPL');
    const r = reference.regular_session;
    expect(obj(aapl)).toMatchObject({
      open: r.open,
      close: r.close,
      high: r.high,
      low: r.low,
      volume: r.volume,
    });
    expect(at(aapl, 'bar_counts', '1m')).toBe(r.bars_1m);
    expect(at(state, 'session_data', 'session', 'ended')).toBe(true);
  });

  it('backtest run takes a config file, and a bad one is a usage-class error listing its problems', async () => {
    const good = join(tmp.dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        symbols: ['AAPL'],
        source: { type: 'csv', paths: [CSV] },
        backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      }),
    );
    const ok = await run(['backtest', 'run', good, '--speed', 'max', '--compact']);
    expect(ok.code).toBe(0);
    expect(at(ok.stdout.json()[0], 'session_data', 'symbols', 'AAPL', 'volume')).toBe(
      reference.regular_session.volume,
    );

    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ symbols: [], speed: 0 }));
    const failed = await run(['backtest', 'run', bad]);
    expect(failed.code).toBe(2);
    expect(failed.stderr.text).toContain('symbols');
    expect(failed.stderr.text).toContain('speed');
  });

  it('a bad value names the parameter and what it expects, exit 2', async () => {
    const { code, stderr } = await run(['system', 'speed', '0']);
    expect(code).toBe(2);
    expect(stderr.text).toContain('system speed: <x|max> expects a number > 0 or max, got "0"');
  });

  it('Ctrl-C cancels backtest run and stops the session (exit 130)', async () => {
    const signals = new EventEmitter();
    const rec = recording();
    const pending = run(['backtest', 'run', '--speed', '1'], {
      signals,
      main: { createManager: rec.createManager },
    });
    await until(() => rec.made[0]?.state === 'running');
    signals.emit('SIGINT');
    const { code, stderr } = await pending;
    expect(code).toBe(130);
    expect(stderr.text).toContain('backtest run: cancelled');
    expect(rec.made[0]?.state).toBe('stopped');
  });
});

describe('the shell on piped stdin', () => {
  it('runs lines in order; a second system json is an empty change set', async () => {
    const { code, stdout, stderr } = await run([], {
      stdin:
        // `step 1` first: a pause that lands before the run's first minute leaves no market time yet.
        'system start\nsystem pause\nsystem step 1\nsystem json\nsystem json\nsystem status\nsystem step 5\nsystem status\n',
    });
    expect(stderr.text).not.toContain('error');
    expect(code).toBe(0);
    const [first, second, before, after] = stdout.json();
    expect(at(first, '_metadata', 'complete')).toBe(true);
    expect(Object.keys(obj(first))).toEqual(
      expect.arrayContaining(['system_manager', 'threads', 'session_data']),
    );
    expect(Object.keys(obj(second))).toEqual(['_metadata']);
    expect(at(second, '_metadata', 'complete')).toBe(false);
    expect(at(second, '_metadata', 'changed_paths')).toEqual([]);
    // Stepping 5 minutes while paused moves market time by exactly 5 minutes.
    const minutes = (s: Json | undefined) => {
      const m = /(\d\d):(\d\d) ET$/.exec(String(at(s, 'market_time')));
      return Number(m?.[1]) * 60 + Number(m?.[2]);
    };
    expect(at(before, 'state')).toBe('paused');
    expect(minutes(after) - minutes(before)).toBe(5);
  });

  it('--watch prints envelopes that rebuild the complete state', async () => {
    const { code, stdout } = await run([], {
      stdin: 'system start\nsystem json --watch --interval 5\nsystem json --complete --compact\n',
    });
    expect(code).toBe(0);
    const lines = stdout.json();
    const complete = lines.pop();
    const envelopes = lines as unknown as Envelope[];
    expect(envelopes[0]?.t).toBe('snapshot');
    expect(envelopes.length).toBeGreaterThan(2);
    let state: Json = null;
    let seq = -1;
    for (const e of envelopes) {
      if (e.t === 'snapshot') {
        state = e.state;
        seq = e.seq;
      } else {
        expect(e.from).toBe(seq);
        state = applyPatch(state, e.ops);
        seq = e.to;
      }
    }
    expect(state).toEqual(withoutMetadata(complete));
  });

  it('--out writes the complete state atomically, --gzip compresses it', async () => {
    const plain = join(tmp.dir, 'state.json');
    const zipped = join(tmp.dir, 'state.json.gz');
    const { code, stdout, stderr } = await run([], {
      stdin: `backtest run\nsystem json --complete --out ${plain}\nsystem json --complete --out '${zipped}' --gzip\n`,
    });
    expect(code).toBe(0);
    expect(stderr.text).toContain(`wrote ${plain}`);
    const [printed] = stdout.json();
    const fromFile = JSON.parse(readFileSync(plain, 'utf8')) as Json;
    const fromGzip = JSON.parse(gunzipSync(readFileSync(zipped)).toString('utf8')) as Json;
    expect(withoutMetadata(fromFile)).toEqual(withoutMetadata(printed));
    expect(withoutMetadata(fromGzip)).toEqual(withoutMetadata(printed));
    expect(at(fromFile, '_metadata', 'complete')).toBe(true);
  });

  it('--gzip without --out, and --out with --watch, are usage errors', async () => {
    const { code, stderr } = await run([], {
      stdin: 'system start\nsystem json --gzip\nsystem json --watch --out x\n',
    });
    expect(code).toBe(2);
    expect(stderr.text).toContain('line 2: system json: --gzip needs --out');
    expect(stderr.text).toContain('line 3: system json: --out');
  });

  it('Ctrl-C stops waiting but not the session; EOF stops the session', async () => {
    const signals = new EventEmitter();
    const rec = recording();
    const pending = run([], {
      stdin: 'system start --speed 1\nsystem wait\nsystem status\n',
      signals,
      main: { createManager: rec.createManager },
    });
    await until(() => rec.made[0]?.state === 'running');
    await delay(50);
    signals.emit('SIGINT');
    const { code, stdout, stderr } = await pending;
    expect(code).toBe(130);
    expect(stderr.text).toContain('system wait: cancelled');
    expect(at(stdout.json()[0], 'state')).toBe('running');
    expect(rec.made[0]?.state).toBe('stopped');
  });

  it('refuses a second start while running, and step while running', async () => {
    const { stderr } = await run([], { stdin: 'system start --speed 1\nsystem start\nsystem step\n' });
    expect(stderr.text).toContain(
      'line 2: cannot system start a new session while the system is running: `system stop` it first',
    );
    expect(stderr.text).toContain('line 3: cannot step while the system is running');
  });

  it('system wait while paused returns at once and says why', async () => {
    const { code, stderr } = await run([], {
      stdin: 'system start --speed 1\nsystem pause\nsystem wait\nsystem stop\n',
    });
    expect(code).toBe(0);
    expect(stderr.text).toMatch(
      /system wait: the session is paused at .* ET; `system resume` or `system step N` first/,
    );
  });

  it('a second system start in the shell is a new run of the same session: epoch_changed, seq goes on', async () => {
    const { code, stdout } = await run([], {
      stdin: 'system start\nsystem wait\nsystem json\nsystem start\nsystem wait\nsystem json\n',
    });
    expect(code).toBe(0);
    const [first, second] = stdout.json();
    expect(at(first, '_metadata', 'reason')).toBe('new_consumer');
    expect(at(second, '_metadata', 'reason')).toBe('epoch_changed');
    expect(at(second, '_metadata', 'epoch')).not.toBe(at(first, '_metadata', 'epoch'));
    expect(Number(at(second, '_metadata', 'seq'))).toBeGreaterThan(Number(at(first, '_metadata', 'seq')));
  });

  it('help and exit', async () => {
    const { code, stdout } = await run([], { stdin: 'help system json\nexit\nhelp\n' });
    expect(code).toBe(0);
    expect(stdout.text).toContain('Usage: sys system json');
    expect(stdout.text).not.toContain('Commands:');
  });
});

describe('data commands', () => {
  it('import a file, list it, re-import unchanged, and import a directory', async () => {
    const db = join(tmp.dir, 'bars.duckdb');
    const first = await run(['data', 'import', CSV, '--db', db]);
    expect(first.code).toBe(0);
    expect(first.stdout.text).toMatch(
      new RegExp(`AAPL_2025-07-02\\.csv\\s+imported\\s+${csvRows}\\s+${csvRows}\\s+0\\s+0\\s+0`),
    );
    const list = await run(['data', 'list', '--db', db]);
    expect(list.stdout.text).toMatch(new RegExp(`AAPL\\s+2025-07-01\\s+2025-07-02\\s+2\\s+${csvRows}`));
    const again = await run(['data', 'import', CSV, '--db', db]);
    expect(again.stdout.text).toMatch(
      new RegExp(`AAPL_2025-07-02\\.csv\\s+unchanged\\s+${csvRows}\\s+0\\s+${csvRows}`),
    );
  });

  it('a bad row fails the file unless --skip-bad, which lists it', async () => {
    const db = join(tmp.dir, 'bad.duckdb');
    const file = join(tmp.dir, 'MSFT.csv');
    writeFileSync(
      file,
      'timestamp,open,high,low,close,volume\n2025-07-02T13:30:00Z,10,11,9,10,100\n2025-07-02T13:31:00Z,10,9,11,10,100\n',
    );
    const strict = await run(['data', 'import', file, '--db', db]);
    expect(strict.code).toBe(1);
    expect(strict.stderr.text).toContain('MSFT.csv:3');
    const lenient = await run(['data', 'import', file, '--db', db, '--skip-bad']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout.text).toMatch(/MSFT\.csv\s+imported\s+2\s+1\s+0\s+0\s+1/);
    expect(lenient.stderr.text).toContain(`skipped ${file}:3`);
  });

  it('import progress shows on a terminal only, and not with --quiet or NO_COLOR', async () => {
    const db = join(tmp.dir, 'progress.duckdb');
    const shown = await run(['data', 'import', CSV, '--db', db], { tty: true });
    expect(shown.stderr.text).toContain(`${csvRows} rows of AAPL_2025-07-02.csv`);
    const quietRuns: { argv: string[]; env: Record<string, string> }[] = [
      { argv: ['--quiet'], env: {} },
      { argv: [], env: { NO_COLOR: '1' } },
    ];
    for (const quiet of quietRuns) {
      const r = await run(['data', 'import', CSV, '--db', db, ...quiet.argv], { tty: true, env: quiet.env });
      expect(r.code).toBe(0);
      expect(r.stderr.text).not.toContain('rows of');
    }
    const piped = await run(['data', 'import', CSV, '--db', db]);
    expect(piped.stderr.text).not.toContain('rows of');
  });

  it('an empty store lists nothing and says how to fill it', async () => {
    const path = join(tmp.dir, 'empty.duckdb');
    const { BarStore } = await import('@sys/market-data/duckdb');
    await (await BarStore.open(path)).close();
    const { code, stdout, stderr } = await run(['data', 'list', '--db', path]);
    expect(code).toBe(0);
    expect(stdout.text.trim()).toMatch(/^symbol\s+first_day/);
    expect(stderr.text).toContain('data import');
  });

  it('system start reads from the store when the config says so', async () => {
    const db = join(tmp.dir, 'store-run.duckdb');
    await run(['data', 'import', CSV, '--db', db]);
    const config = join(tmp.dir, 'store.json');
    writeFileSync(
      config,
      JSON.stringify({
        symbols: ['AAPL'],
        source: { type: 'store', path: db },
        backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
      }),
    );
    const { code, stdout } = await run(['backtest', 'run', config]);
    expect(code).toBe(0);
    expect(at(stdout.json()[0], 'session_data', 'symbols', 'AAPL', 'high')).toBe(
      reference.regular_session.high,
    );
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await delay(5);
  }
}
