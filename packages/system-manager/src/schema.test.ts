import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { stateSchemaText } from '../scripts/schema.js';
import { sampleConfig } from './config.js';
import { SystemManager } from './manager.js';

const committed = readFileSync(new URL('../schema/state.schema.json', import.meta.url), 'utf8');
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(committed));

function problems(value: unknown): string[] {
  return validate(JSON.parse(JSON.stringify(value)))
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('the JSON Schema of the complete state', () => {
  it('is what the SystemJson type generates (regenerate with `pnpm --filter @sys/system-manager schema`)', () => {
    expect(JSON.parse(stateSchemaText())).toEqual(JSON.parse(committed)); // as JSON: the file is formatted by biome
  }, 60_000);

  it('accepts real states: before a start, after a backtest (plain and debug), and a live run', async () => {
    const idle = new SystemManager(sampleConfig());
    expect(problems(idle.stateJson())).toEqual([]);
    const sm = new SystemManager(
      sampleConfig({
        historical_days: 1,
        indicators: [
          { name: 'macd', interval: '1m' },
          { name: 'ema', period: 3, interval: '5m' },
        ],
      }),
    );
    await sm.start();
    await sm.done();
    expect(problems(sm.stateJson())).toEqual([]);
    expect(problems(sm.stateJson({ debug: true }))).toEqual([]);
    const live = new SystemManager({
      symbols: ['AAPL'],
      mode: 'live',
      source: { type: 'store', path: ':memory:' },
    });
    await live.start();
    expect(problems(live.stateJson({ debug: true }))).toEqual([]);
    await live.stop();
  });

  it('refuses a state that breaks it, naming where', async () => {
    const sm = new SystemManager(sampleConfig());
    await sm.start();
    await sm.done();
    const state = JSON.parse(JSON.stringify(sm.stateJson())) as {
      session_data: { symbols: Record<string, Record<string, unknown>> };
      threads: Record<string, Record<string, unknown>>;
    };
    const aapl = state.session_data.symbols.AAPL as Record<string, unknown>;
    aapl.volume = '59584161';
    (state.threads.data_upkeep as Record<string, unknown>).surprise = 1;
    const found = problems(state);
    expect(found).toContain('/session_data/symbols/AAPL/volume must be number');
    expect(found.some((p) => p.startsWith('/threads/data_upkeep'))).toBe(true);
  });
});
