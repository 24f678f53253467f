import { NyseCalendar } from '@sys/market-time';
import { describe, expect, it } from 'vitest';
import { collect } from '../test/helpers.js';
import { BarSequenceValidator, barLabel } from './index.js';
import {
  SyntheticBarSource,
  SyntheticOptionsError,
  syntheticDayBars,
  syntheticSymbols,
} from './synthetic.js';

const week = { symbols: [], startDate: '2025-06-30', endDate: '2025-07-07' };

describe('SyntheticBarSource', () => {
  it('is labelled synthetic and deterministic for a seed', async () => {
    const a = new SyntheticBarSource({
      symbols: 3,
      startDate: '2025-06-30',
      endDate: '2025-07-07',
      seed: 42,
    });
    const b = new SyntheticBarSource({
      symbols: 3,
      startDate: '2025-06-30',
      endDate: '2025-07-07',
      seed: 42,
    });
    const c = new SyntheticBarSource({
      symbols: 3,
      startDate: '2025-06-30',
      endDate: '2025-07-07',
      seed: 43,
    });
    expect(a.synthetic).toBe(true);
    expect(await a.listSymbols()).toEqual(['SYN001', 'SYN002', 'SYN003']);
    const bars = await collect(a.streamBars(week));
    expect(await collect(b.streamBars(week))).toEqual(bars);
    expect(await collect(c.streamBars(week))).not.toEqual(bars);
  });

  it('makes valid bars on trading days only, in time-then-symbol order, regular session by default', async () => {
    const calendar = new NyseCalendar();
    const source = new SyntheticBarSource({
      symbols: ['B', 'A'],
      startDate: '2025-06-30',
      endDate: '2025-07-07',
      seed: 1,
    });
    const bars = await collect(source.streamBars(week));
    const validator = new BarSequenceValidator();
    for (const bar of bars) validator.check(bar, barLabel(bar.symbol, bar.startMs));
    for (let i = 1; i < bars.length; i++) {
      const p = bars[i - 1];
      const q = bars[i];
      if (p && q)
        expect(p.startMs < q.startMs || (p.startMs === q.startMs && p.symbol < q.symbol)).toBe(true);
    }
    // June 30 – July 7, 2025: July 4 closed, July 3 closes at 13:00 (210 minutes).
    const days = calendar.tradingDays('2025-06-30', '2025-07-07');
    const minutes = days.reduce((sum, d) => {
      const s = calendar.session(d);
      return sum + (s === null ? 0 : (s.regularCloseMs - s.regularOpenMs) / 60_000);
    }, 0);
    expect(bars).toHaveLength(2 * minutes);
    for (const bar of bars) {
      const s = calendar.session(new Date(bar.startMs - 4 * 3_600_000).toISOString().slice(0, 10));
      expect(s).not.toBeNull();
      if (s) expect(bar.startMs >= s.regularOpenMs && bar.startMs < s.regularCloseMs).toBe(true);
    }
  });

  it('has a U-shaped volume profile, gaps when asked and thin extended hours', async () => {
    const calendar = new NyseCalendar();
    const session = calendar.session('2025-07-02');
    if (session === null) throw new Error('trading day expected');
    const bars = [...syntheticDayBars('2025-07-02', syntheticSymbols(50), { seed: 3, sessions: 'extended' })];
    const volumeOf = (fromMs: number, toMs: number) => {
      const inside = bars.filter((b) => b.startMs >= fromMs && b.startMs < toMs);
      return inside.reduce((s, b) => s + b.volume, 0) / Math.max(1, inside.length);
    };
    const open = volumeOf(session.regularOpenMs, session.regularOpenMs + 30 * 60_000);
    const midday = volumeOf(session.regularOpenMs + 165 * 60_000, session.regularOpenMs + 225 * 60_000);
    const close = volumeOf(session.regularCloseMs - 30 * 60_000, session.regularCloseMs);
    const pre = volumeOf(session.preMarketStartMs, session.regularOpenMs);
    expect(open).toBeGreaterThan(2 * midday);
    expect(close).toBeGreaterThan(2 * midday);
    expect(pre).toBeLessThan(midday / 5);
    const preBars = bars.filter((b) => b.startMs < session.regularOpenMs).length;
    expect(preBars).toBeLessThan(50 * 330);
    expect(preBars).toBeGreaterThan(0);
    const gappy = [...syntheticDayBars('2025-07-02', ['X'], { seed: 3, gapRate: 0.5 })];
    expect(gappy.length).toBeGreaterThan(100);
    expect(gappy.length).toBeLessThan(290);
    expect([...syntheticDayBars('2025-07-04', ['X'], { seed: 3 })]).toEqual([]);
  });

  it('gives a day the same bars whatever range it is asked in', async () => {
    const wide = new SyntheticBarSource({
      symbols: 2,
      startDate: '2025-01-01',
      endDate: '2025-12-31',
      seed: 9,
    });
    const narrow = await collect(
      wide.streamBars({ symbols: ['SYN002'], startDate: '2025-07-02', endDate: '2025-07-02' }),
    );
    const direct = [...syntheticDayBars('2025-07-02', ['SYN002'], { seed: 9 })];
    expect(narrow).toEqual(direct);
  });
});

describe('SyntheticBarSource options', () => {
  it.each([
    [{ symbols: 0 }],
    [{ symbols: [] }],
    [{ symbols: ['A', 'A'] }],
    [{ gapRate: 1 }],
    [{ gapRate: -0.1 }],
    [{ startDate: '2025-07-08' }],
  ])('refuses %j', (change) => {
    expect(
      () =>
        new SyntheticBarSource({
          symbols: 2,
          startDate: '2025-07-01',
          endDate: '2025-07-07',
          seed: 1,
          ...change,
        }),
    ).toThrow(SyntheticOptionsError);
  });
});
