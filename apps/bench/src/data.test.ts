import type { Bar } from '@sys/market-data';
import { SyntheticBarSource, syntheticSymbols } from '@sys/market-data/synthetic';
import { describe, expect, it } from 'vitest';
import { BENCH_DATE, pregenerate, SEED } from './data.js';

async function collect(bars: AsyncIterable<Bar>): Promise<Bar[]> {
  const out: Bar[] = [];
  for await (const bar of bars) out.push(bar);
  return out;
}

describe('pregenerate and BarArraySource', () => {
  const symbols = syntheticSymbols(3);
  const week = { symbols, startDate: BENCH_DATE, endDate: '2025-07-09' };

  it('yields exactly the bars the synthetic source makes, in its order', async () => {
    const made = await pregenerate(3, week.startDate, week.endDate);
    const generated = await collect(new SyntheticBarSource({ ...week, seed: SEED }).streamBars(week));
    expect(generated).toHaveLength(3 * 390 * 3);
    expect(made.barCount).toBe(generated.length);
    expect(await collect(made.streamBars(week))).toEqual(generated);
    expect(await made.listSymbols()).toEqual(['SYN001', 'SYN002', 'SYN003']);
  });

  it('hands out its batches uncopied when the query covers them', async () => {
    const made = await pregenerate(2);
    const batches: (readonly Bar[])[] = [];
    for await (const b of made.streamBatches({ symbols: [], startDate: BENCH_DATE, endDate: BENCH_DATE })) {
      batches.push(b);
    }
    expect(batches).toEqual(made.batches);
    expect(batches[0]).toBe(made.batches[0]);
  });

  it('answers a narrower query like the synthetic source does', async () => {
    const made = await pregenerate(3, week.startDate, week.endDate);
    const narrow = { symbols: ['SYN002'], startDate: '2025-07-08', endDate: '2025-07-08' };
    const expected = await collect(new SyntheticBarSource({ ...week, seed: SEED }).streamBars(narrow));
    const got = await collect(made.streamBars(narrow));
    expect(got).toHaveLength(390);
    expect(got).toEqual(expected);
    expect(new Set(got.map((b) => b.symbol))).toEqual(new Set(['SYN002']));
    const none = { symbols, startDate: '2025-07-12', endDate: '2025-07-13' }; // a weekend
    expect(await collect(made.streamBars(none))).toEqual([]);
    await expect(
      collect(made.streamBars({ symbols, startDate: '2025-07-09', endDate: '2025-07-07' })),
    ).rejects.toThrow(/after endDate/);
  });
});
