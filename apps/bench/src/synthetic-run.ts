import type { StateHub } from '@sys/server';
import { SystemManager } from '@sys/system-manager';

/**
 * The run the serving sections' children replay: a SystemManager over BENCH_SYMBOLS (default 500) synthetic
 * symbols at BENCH_SPEED (default 60: one market minute per second).
 */
export function syntheticManager(): SystemManager {
  const symbols = Number(process.env.BENCH_SYMBOLS ?? '500');
  const speed = Number(process.env.BENCH_SPEED ?? '60');
  return new SystemManager({
    symbols: Array.from({ length: symbols }, (_, i) => `S${String(i).padStart(4, '0')}`),
    source: { type: 'synthetic', seed: 42 },
    backtest: { start_date: '2025-07-02', end_date: '2025-07-02' },
    speed,
  });
}

/** Starts a new run (stopping the current one first). */
export async function restart(manager: SystemManager): Promise<void> {
  if (manager.state === 'running' || manager.state === 'paused') await manager.stop();
  await manager.start();
}

/**
 * Stamps when each position of the hub's plain view is made (`epoch:seq` → performance.timeOrigin + now):
 * a subscriber attached before any client or publisher is told first. `take` returns and clears them.
 */
export function stampPositions(hub: StateHub): { take(): Record<string, number> } {
  const stamps = new Map<string, number>();
  hub.attach(hub.view({ debug: false }), {
    onEnvelope(e) {
      stamps.set(`${e.epoch}:${e.to}`, performance.timeOrigin + performance.now());
    },
  });
  return {
    take() {
      const out = Object.fromEntries(stamps);
      stamps.clear();
      return out;
    },
  };
}
