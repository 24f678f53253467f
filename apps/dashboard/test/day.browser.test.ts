import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aaplExpected,
  exactCopy,
  freePort,
  getJson,
  launchBrowser,
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

async function openPage(url: string, options: { token?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
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

    // The day ends; the page's copy equals GET /v1/state?debug=1 at the same position.
    await until('the run to end', () => runEnded(served.url), 180_000);
    const [copy, state] = await exactCopy(page, served.url, TOKEN);
    expect(copy).toEqual(state);

    // Candles: 390 one-minute bars, 78 five-minute bars, none forming at the end (counts from the sample's
    // expected file).
    const expected = aaplExpected();
    await page.waitForFunction(() => document.querySelector('#chart-title')?.textContent === 'AAPL · 1m');
    const candles = () =>
      page.evaluate(() => (window as unknown as { sysDashboard: { chart: { candleCount(): number } } }).sysDashboard.chart.candleCount());
    expect(await candles()).toBe(expected.regular_session.bars_1m);
    await page.click('#intervals button[data-interval="5m"]');
    await page.waitForFunction(() => document.querySelector('#chart-title')?.textContent === 'AAPL · 5m');
    expect(await candles()).toBe(expected.derived_bars_regular_session['5m'].data.length);
    expect(
      await page.evaluate(() => (window as unknown as { sysDashboard: { chart: { formingDrawn(): boolean } } }).sysDashboard.chart.formingDrawn()),
    ).toBe(false);

    // The table's figures are the sample's reference figures.
    const r = expected.regular_session;
    expect(Number(await cellValue(page, 'AAPL', 'volume'))).toBe(r.volume);
    expect(Number(await cellValue(page, 'AAPL', 'high'))).toBe(r.high);
    expect(Number(await cellValue(page, 'AAPL', 'low'))).toBe(r.low);
    expect(Number(await cellValue(page, 'AAPL', 'vwap'))).toBeCloseTo(r.vwap_typical_price, 6);
    expect(Number(await cellValue(page, 'AAPL', 'bars'))).toBe(r.bars_1m);
    expect(await page.textContent('#symbols-body .row[data-symbol="AAPL"] [data-col="volume"]')).toBe('59,584,161');

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
});
