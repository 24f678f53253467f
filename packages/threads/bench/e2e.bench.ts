// End-to-end throughput of a backtest at speed 'max': SYNTHETIC bars (SyntheticBarSource, seeded, made up)
// for N symbols over a window of trading days, through stream coordinator → queue → data upkeep →
// SessionData, with the session coordinator driving the days. Prints bars/s and the event-loop delay
// (node:perf_hooks monitorEventLoopDelay) while it runs.
//
//   pnpm bench [--symbols 500] [--start 2025-07-07] [--end 2025-07-11] [--history 0] [--yield 0]
// (--yield: the workers' yieldEveryMs; 0 = yield to the event loop after every batch)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SyntheticBarSource, syntheticSymbols } from '@sys/market-data';
import { SessionData } from '@sys/session-data';
import { Backtest } from '../src/index.js';

const { values } = parseArgs({
  options: {
    symbols: { type: 'string', default: '500' },
    start: { type: 'string', default: '2025-07-07' },
    end: { type: 'string', default: '2025-07-11' },
    history: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    yield: { type: 'string', default: '0' },
  },
});

const symbols = syntheticSymbols(Number(values.symbols));
const source = new SyntheticBarSource({
  symbols,
  startDate: values.start,
  endDate: values.end,
  seed: Number(values.seed),
});
const sessionData = new SessionData();
const backtest = new Backtest({
  symbols,
  source,
  startDate: values.start,
  endDate: values.end,
  sessionData,
  speed: 'max',
  historyDays: Number(values.history),
  yieldEveryMs: Number(values.yield),
});

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const t0 = performance.now();
backtest.start();
await backtest.join();
const wallMs = performance.now() - t0;
histogram.disable();

if (backtest.error !== null) throw backtest.error;
const bars = backtest.stream.barsReleased;
const ms = (ns: number) => (ns / 1e6).toFixed(1);
const json = backtest.toJson({ debug: true }) as {
  threads: Record<string, { performance: { max_batch_ms: number; avg_batch_ms: number; batches: number } }>;
};
console.log(
  `synthetic backtest: ${symbols.length} symbols × ${backtest.session.tradingDays.length} trading days (${values.start}..${values.end}), speed max, history ${values.history} days, yieldEveryMs ${values.yield}`,
);
console.log(
  `bars released and stored: ${bars.toLocaleString('en-US')} in ${(wallMs / 1000).toFixed(2)} s → ${Math.round((bars * 1000) / wallMs).toLocaleString('en-US')} bars/s`,
);
console.log(
  `event-loop delay: p50 ${ms(histogram.percentile(50))} ms, p99 ${ms(histogram.percentile(99))} ms, max ${ms(histogram.max)} ms`,
);
for (const [name, t] of Object.entries(json.threads)) {
  console.log(
    `  ${name}: ${t.performance.batches} batches, avg ${t.performance.avg_batch_ms} ms, max ${t.performance.max_batch_ms} ms`,
  );
}
console.log(`node ${process.version}, ${new Date().toISOString()}`);
