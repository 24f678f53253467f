import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'sys-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const window = { start_date: '2025-07-02', end_date: '2025-07-02' };

function issues(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG');
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected the config to be refused');
}

describe('config hardening (issue 20)', () => {
  it('item 2: __proto__, constructor and toString are refused as symbols, naming the path', () => {
    const found = issues({ symbols: ['AAPL', '__proto__', 'constructor', 'toString'], backtest: window });
    expect(found.map((i) => i.path)).toEqual(['symbols[1]', 'symbols[2]', 'symbols[3]']);
    expect(found[0]?.message).toMatch(/symbol "__proto__" is not valid/);
    expect(found[2]?.message).toMatch(/write TOSTRING/);
  });

  it('item 15: the config follows the same symbol rule as the import (no space, at most 64, upper case)', () => {
    const found = issues({ symbols: ['BRK B', 'A'.repeat(65), 'aapl', 'CAF\uFFFD'], backtest: window });
    expect(found.map((i) => i.path)).toEqual(['symbols[0]', 'symbols[1]', 'symbols[2]', 'symbols[3]']);
    expect(
      parseConfig({ symbols: ['BRK.B', 'A'.repeat(64), '^GSPC'], backtest: window }).symbols,
    ).toHaveLength(3);
  });

  it('item 19: a window outside the calendar is a config error naming backtest.start_date', () => {
    const found = issues({
      symbols: ['AAPL'],
      backtest: { start_date: '1995-01-03', end_date: '2025-07-02' },
    });
    expect(found).toEqual([
      { path: 'backtest.start_date', message: 'outside the calendar: it covers 2000-01-01 to 2100-12-31' },
    ]);
    const end = issues({ symbols: ['AAPL'], backtest: { start_date: '2025-07-02', end_date: '2101-01-03' } });
    expect(end.map((i) => i.path)).toEqual(['backtest.end_date']);
  });

  it('item 21: a config file that starts with a UTF-8 BOM is read', async () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ symbols: ['AAPL'], backtest: window })}`);
    const config = await loadConfig(file);
    expect(config.symbols).toEqual(['AAPL']);
  });
});
