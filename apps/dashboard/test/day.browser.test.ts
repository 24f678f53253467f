import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aaplExpected,
  caughtUp,
  exactCopy,
  freePort,
  getJson,
  launchBrowser,
  pagePosition,
  requireParts,
  type Served,
  serve,
  stop,
  until,
} from './harness.js';

// The bundled AAPL day replays market time 04:00–20:00 (960 minutes). At the issue's speed 600 that is
// 96 s of wall time; these tests run it at 1200 (48 s) and 2400 to keep CI near its budget on 2 cores.
const SPEED = Number(process.env.SYS_DASHBOARD_SPEED ?? 1200);
const TOKEN = 'dashboard-test-token';
/** Screenshots of the finished day (git-ignored; one is copied to docs/ by hand for the README). */
const SHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

let browser: Browser;
let dir: string;
const running: Served[] = [];

beforeAll(async () => {
  requireParts();
  dir = mkdtempSync(join(tmpdir(), 'sys-dashboard-'));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  for (const s of running) await stop(s, 'SIGKILL');
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function openPage(
  url: string,
  options: { token?: boolean } = {},
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 940 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${url}/${options.token === false ? '' : `?token=${TOKEN}`}`);
  return { page, errors };
}

async function serverField(url: string, pointer: string): Promise<unknown> {
  const { body } = await getJson(`${url}/v1/state?path=${pointer}`, TOKEN);
  let v: unknown = body;
  for (const k of pointer.slice(1).split('/')) v = (v as Record<string, unknown> | undefined)?.[k];
  return v;
}

async function runEnded(url: string): Promise<true | undefined> {
  const ended = await serverField(url, '/session_data/session/ended');
  const state = await serverField(url, '/system_manager/state');
  return ended === true && state === 'stopped' ? true : undefined;
}

const cellValue = (page: Page, symbol: string, col: string) =>
  page.getAttribute(`#symbols-body .row[data-symbol="${symbol}"] [data-col="${col}"]`, 'data-value');

function plusMinutes(hhmmss: string, minutes: number): string {
  const [h, m, s] = hhmmss.split(':').map(Number) as [number, number, number];
  const total = h * 60 + m + minutes;
  return `${String(Math.floor(total / 60)).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

describe('the dashboard on the AAPL day, in Chromium', () => {
  it(`follows the day at speed ${SPEED}, obeys pause/step/resume from the page, and ends exact with the reference figures`, async () => {
    const port = await freePort();
    const served = await serve(['--speed', String(SPEED), '--port', String(port), '--token', TOKEN], dir);
    running.push(served);
    const { page, errors } = await openPage(served.url);

    // Controls show with a token; the token left the address bar.
    await page.waitForSelector('#controls:not([hidden])');
    expect(page.url()).not.toContain(TOKEN);

    // Pause from the page once the replay is under way.
    await page.waitForFunction(() => (document.querySelector('#s-time')?.textContent ?? '') >= '05:00:00');
    await page.click('#c-pause');
    await until('the server paused', async () =>
      (await serverField(served.url, '/system_manager/state')) === 'paused' ? true : undefined,
    );
    const pausedAt = String(await serverField(served.url, '/session_data/session/time'));
    await page.waitForFunction((t) => document.querySelector('#s-time')?.textContent === t, pausedAt);
    expect(await page.textContent('#s-state')).toBe('paused');

    // Step five minutes (the page's default) while paused: the server's market time moves by exactly that.
    expect(await page.inputValue('#c-step-minutes')).toBe('5');
    await page.click('#c-step');
    const stepped = plusMinutes(pausedAt, 5);
    await until('the server stepped 5 minutes', async () =>
      (await serverField(served.url, '/session_data/session/time')) === stepped ? true : undefined,
    );
    expect(await serverField(served.url, '/system_manager/state')).toBe('paused');
    await page.waitForFunction((t) => document.querySelector('#s-time')?.textContent === t, stepped);

    // Resume.
    await page.click('#c-resume');
    await until('the server running again', async () =>
      (await serverField(served.url, '/system_manager/state')) === 'running' ? true : undefined,
    );
    await page.waitForFunction(() => document.querySelector('#s-state')?.textContent === 'running');

    // The day ends; the page's copies equal GET /v1/state at the same position: the selected symbol's
    // debug copy (here the only symbol, so the whole debug face) and the plain copy of every symbol.
    await until('the run to end', () => runEnded(served.url), 180_000);
    const [debugCopy, debugState] = await exactCopy(page, served.url, TOKEN, 'detail', '?debug=1');
    expect(debugCopy).toEqual(debugState);
    const [copy, state] = await exactCopy(page, served.url, TOKEN, 'client', '');
    expect(copy).toEqual(state);

    // Candles: 390 one-minute bars, 78 five-minute bars, none forming at the end (counts from the sample's
    // expected file).
    const expected = aaplExpected();
    await page.waitForFunction(() => document.querySelector('#chart-title')?.textContent === 'AAPL · 1m');
    const candles = () =>
      page.evaluate(() =>
        (
          window as unknown as { sysDashboard: { chart: { candleCount(): number } } }
        ).sysDashboard.chart.candleCount(),
      );
    expect(await candles()).toBe(expected.regular_session.bars_1m);
    await page.click('#intervals button[data-interval="5m"]');
    await page.waitForFunction(() => document.querySelector('#chart-title')?.textContent === 'AAPL · 5m');
    expect(await candles()).toBe(expected.derived_bars_regular_session['5m'].data.length);
    expect(
      await page.evaluate(() =>
        (
          window as unknown as { sysDashboard: { chart: { formingDrawn(): boolean } } }
        ).sysDashboard.chart.formingDrawn(),
      ),
    ).toBe(false);

    // The table's figures are the sample's reference figures.
    const r = expected.regular_session;
    expect(Number(await cellValue(page, 'AAPL', 'volume'))).toBe(r.volume);
    expect(Number(await cellValue(page, 'AAPL', 'high'))).toBe(r.high);
    expect(Number(await cellValue(page, 'AAPL', 'low'))).toBe(r.low);
    expect(Number(await cellValue(page, 'AAPL', 'vwap'))).toBeCloseTo(r.vwap_typical_price, 6);
    expect(Number(await cellValue(page, 'AAPL', 'bars'))).toBe(r.bars_1m);
    expect(await page.textContent('#symbols-body .row[data-symbol="AAPL"] [data-col="volume"]')).toBe(
      '59,584,161',
    );

    // Screenshots of the finished day, light and dark.
    mkdirSync(SHOTS, { recursive: true });
    await page.click('#intervals button[data-interval="1m"]');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'aapl-day-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'aapl-day-dark.png'), fullPage: true });

    expect(errors).toEqual([]);
    await page.close();
    await stop(served);
  }, 240_000);

  it('shows a killed and restarted server as a reconnect and ends exact on the new epoch', async () => {
    const port = await freePort();
    const args = ['--speed', String(SPEED * 2), '--port', String(port), '--token', TOKEN];
    const first = await serve(args, dir);
    running.push(first);
    const { page, errors } = await openPage(first.url);
    await page.waitForFunction(() => (document.querySelector('#s-time')?.textContent ?? '') >= '06:00:00');
    const firstEpoch = String((await page.textContent('#s-position'))?.split(':')[0]);

    // Killed mid-run, without a goodbye: the page says it lost the server.
    await stop(first, 'SIGKILL');
    await page.waitForFunction(() => {
      const s = document.querySelector('#s-conn')?.getAttribute('data-status');
      return s === 'connecting' || s === 'resyncing';
    });

    // A new server on the same port: a new run, so a new epoch; the page reconnects by itself.
    const second = await serve(args, dir);
    running.push(second);
    await page.waitForFunction(
      () => document.querySelector('#s-conn')?.getAttribute('data-status') === 'live',
    );
    await page.waitForFunction(() => /reconnect/.test(document.querySelector('#s-conn')?.textContent ?? ''));
    await until('the run to end', () => runEnded(second.url), 180_000);
    const [copy, state, position] = await exactCopy(page, second.url, TOKEN, 'client', '');
    expect(copy).toEqual(state);
    const [debugCopy, debugState] = await exactCopy(page, second.url, TOKEN, 'detail', '?debug=1');
    expect(debugCopy).toEqual(debugState);
    expect(position.split(':')[0]).not.toBe(firstEpoch);
    expect(await page.textContent('#s-epochs')).toContain(firstEpoch);
    expect(Number(await cellValue(page, 'AAPL', 'volume'))).toBe(aaplExpected().regular_session.volume);
    // The browser logs the refused connections while the server is down; nothing else may fail.
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([]);
    await page.close();
    await stop(second);
  }, 240_000);

  it('draws 500 synthetic symbols at max with debug: long tasks after the first load measured, table in sync, copies exact', async () => {
    const symbols = Array.from({ length: 500 }, (_, i) => `SYN${String(i).padStart(3, '0')}`);
    const config = join(dir, 'syn500.json');
    writeFileSync(
      config,
      JSON.stringify({
        symbols,
        source: { type: 'synthetic', seed: 1 },
        backtest: { start_date: '2025-07-07', end_date: '2025-07-07' },
        speed: 'max',
      }),
    );
    const port = await freePort();
    const served = await serve([config, '--port', String(port), '--token', TOKEN], dir);
    running.push(served);
    const { page, errors } = await openPage(served.url);
    // `sys serve` starts its run at once, and at max it may end before the page has loaded. So once the
    // page has drawn the first run, a second run (a new epoch) is started with the page already watching:
    // the long tasks are those of following a whole run at max, live.
    await until('the first run to end', () => runEnded(served.url), 180_000);
    await page.waitForFunction(
      () =>
        (window as unknown as { sysDashboard: { firstLoadMs?: number } }).sysDashboard.firstLoadMs !==
        undefined,
    );
    const firstEpoch = (await pagePosition(page))?.split(':')[0];
    const started = await fetch(`${served.url}/v1/control/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(started.status).toBe(200);
    await until('the second run to start', async () =>
      (await serverField(served.url, '/session_data/session/ended')) === false ? true : undefined,
    );
    await until('the second run to end', () => runEnded(served.url), 180_000);
    // The last envelope in, then the long tasks read before the comparison (which is itself long).
    await caughtUp(page, served.url, TOKEN);
    const tasks = await page.evaluate(() => {
      const d = (
        window as unknown as {
          sysDashboard: { longTasks: { startMs: number; durationMs: number }[]; firstLoadMs?: number };
        }
      ).sysDashboard;
      return { longTasks: d.longTasks, firstLoadMs: d.firstLoadMs ?? Number.POSITIVE_INFINITY };
    });
    const after = tasks.longTasks.filter((t) => t.startMs > tasks.firstLoadMs);
    expect((await pagePosition(page))?.split(':')[0]).not.toBe(firstEpoch);
    const stats = await page.evaluate(() => {
      const d = (
        window as unknown as {
          sysDashboard: {
            client: { counters: { envelopes: number; bytes: number } };
            paintStats: { count: number; maxMs: number; totalMs: number };
          };
        }
      ).sysDashboard;
      return { envelopes: d.client.counters.envelopes, bytes: d.client.counters.bytes, paint: d.paintStats };
    });
    console.log(
      `500 symbols: first load at ${tasks.firstLoadMs.toFixed(0)} ms; long tasks after it: ${after.length}` +
        `${after.length > 0 ? `, longest ${Math.max(...after.map((t) => t.durationMs)).toFixed(0)} ms` : ''}` +
        `; before it: ${tasks.longTasks.length - after.length}; overview ${stats.envelopes} envelopes, ` +
        `${(stats.bytes / 1e6).toFixed(1)} MB; ${stats.paint.count} paints, longest ${stats.paint.maxMs.toFixed(0)} ms; ` +
        `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
    );
    // Long tasks are wall time, so the 100 ms goal is a figure to report (printed above, and in the closing
    // note), not an assertion: a timed assertion fails or passes with the machine's load, not the page.
    const [copy, state] = await exactCopy(page, served.url, TOKEN, 'client', '');
    expect(copy).toEqual(state);
    const selected = await page.getAttribute('#symbols-body .row[aria-selected="true"]', 'data-symbol');
    expect(selected).toBe('SYN000');
    const [debugCopy, debugState] = await exactCopy(
      page,
      served.url,
      TOKEN,
      'detail',
      '?debug=1&symbols=SYN000',
    );
    expect(debugCopy).toEqual(debugState);

    // The table in sync: every drawn row shows the server's figures, and sorting by volume puts the
    // server's largest first.
    const serverSymbols = (
      state as { session_data: { symbols: Record<string, { volume: number; vwap: number; high: number }> } }
    ).session_data.symbols;
    const rows = await page.$$eval('#symbols-body .row:not([hidden])', (els) =>
      els.map((el) => ({
        symbol: el.getAttribute('data-symbol') ?? '',
        volume: el.querySelector('[data-col="volume"]')?.getAttribute('data-value'),
        vwap: el.querySelector('[data-col="vwap"]')?.getAttribute('data-value'),
        high: el.querySelector('[data-col="high"]')?.getAttribute('data-value'),
      })),
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60); // virtualized: only the rows in view exist
    for (const row of rows) {
      const s = serverSymbols[row.symbol];
      expect(s, row.symbol).toBeDefined();
      expect(Number(row.volume)).toBe(s?.volume);
      expect(Number(row.vwap)).toBe(s?.vwap);
      expect(Number(row.high)).toBe(s?.high);
    }
    await page.click('#symbols-header [data-col="volume"]');
    const top = Object.entries(serverSymbols).sort(
      (a, b) => b[1].volume - a[1].volume || (a[0] < b[0] ? -1 : 1),
    )[0]?.[0];
    await page.waitForFunction(
      (symbol) =>
        document.querySelector('#symbols-body .row[aria-rowindex="2"]')?.getAttribute('data-symbol') ===
        symbol,
      top,
    );
    expect(errors).toEqual([]);
    await page.close();
    await stop(served);
  }, 240_000);
});
