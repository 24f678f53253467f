import { describe, expect, it } from 'vitest';
import { formatRatio, formatValue, quantile, type Row, summarize, withRatios } from './harness.js';
import { type BenchResults, compareResults } from './results.js';

describe('harness', () => {
  it('takes medians and p95 by nearest rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(summarize([5, 1, 3])).toEqual({ median: 3, p95: 5, samples: 3 });
  });

  it('ratios and words follow which direction is better', () => {
    const rows: Row[] = withRatios([
      { name: 'base', unit: 'ms', better: 'lower', median: 10, p95: 12, samples: 3 },
      { name: 'ours', unit: 'ms', better: 'lower', median: 0.1, p95: 0.2, samples: 3, baseline: 'base' },
      { name: 'rate', unit: 'bars/s', better: 'higher', median: 2e7, p95: null, samples: 1 },
    ]);
    expect(rows[1]?.ratio).toBeCloseTo(0.01);
    expect(formatRatio(rows[1] as Row)).toBe('100× faster');
    expect(formatValue(2e7, 'bars/s')).toBe('20.0M bars/s');
  });

  it('compares two runs row by row', () => {
    const run = (median: number): BenchResults => ({
      format: 'sys-bench/1',
      startedAt: '2025-01-01T00:00:00Z',
      durationMs: 1,
      git: { sha: 'abc', dirty: false },
      mode: 'quick',
      machine: {
        cpuModel: 'x',
        cores: 2,
        node: 'v20',
        platform: 'linux',
        arch: 'x64',
        totalMemoryMiB: 1,
        loadAverage1m: 0,
      },
      sections: [
        {
          id: 1,
          title: 't',
          notes: [],
          rows: [{ name: 'a', unit: 'ms', better: 'lower', median, p95: median, samples: 1 }],
        },
      ],
    });
    const { changes } = compareResults(run(2), run(1));
    expect(changes[0]?.factor).toBe(0.5);
    expect(changes[0]?.improved).toBe(true);
  });
});
