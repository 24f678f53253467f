import { createStateClient, type StateClient } from '@sys/client';
import { INTERVALS, type Interval } from './bars.js';
import { ChangesPanel } from './changes.js';
import { ChartView } from './chart.js';
import { durationMs, integer } from './format.js';
import { type JsonObject, num, obj, str } from './json.js';
import { SymbolsTable } from './table.js';
import { renderWorkers } from './workers.js';
import './style.css';

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`index.html has no #${id} (${type.name})`);
  return found;
}

// Where the server is and how to talk to it: the page's own origin, a token from `?token=` (kept out of
// the address bar once read) or from this tab's storage.
const params = new URLSearchParams(location.search);
const serverUrl = params.get('server') ?? location.origin;
const tokenParam = params.get('token');
if (tokenParam !== null) {
  sessionStorage.setItem('sys-token', tokenParam);
  params.delete('token');
  history.replaceState(
    null,
    '',
    `${location.pathname}${params.size > 0 ? `?${params}` : ''}${location.hash}`,
  );
}
const token = tokenParam ?? sessionStorage.getItem('sys-token') ?? undefined;
let debug = params.get('debug') !== '0';
let interval: Interval = '1m';

// Long tasks, for the page's tests and the curious (`window.sysDashboard.longTasks`).
const longTasks: { startMs: number; durationMs: number }[] = [];
if (PerformanceObserver.supportedEntryTypes.includes('longtask')) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      longTasks.push({ startMs: entry.startTime, durationMs: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
}
let firstLoadMs: number | undefined;

const chartMessage = element('chart-message', HTMLParagraphElement);
const chart = new ChartView(element('chart', HTMLDivElement), (text) => {
  chartMessage.textContent = text;
});
const table = new SymbolsTable(
  element('symbols-header', HTMLDivElement),
  element('symbols-body', HTMLDivElement),
  () => schedule(),
);
const changes = new ChangesPanel(
  element('changes-list', HTMLOListElement),
  element('json-pointer', HTMLInputElement),
  element('json-view', HTMLPreElement),
);

// Roles and focus the markup leaves to the script (the table is divs, virtualized).
element('symbols-table', HTMLDivElement).setAttribute('role', 'table');
element('symbols-table', HTMLDivElement).setAttribute('aria-label', 'Symbols');
element('symbols-header', HTMLDivElement).setAttribute('role', 'row');
element('symbols-body', HTMLDivElement).tabIndex = 0;
element('json-view', HTMLPreElement).tabIndex = 0;

// Interval buttons.
const intervalBar = element('intervals', HTMLFieldSetElement);
for (const name of INTERVALS) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = name;
  button.dataset.interval = name;
  button.setAttribute('aria-pressed', String(name === interval));
  button.addEventListener('click', () => {
    interval = name;
    for (const b of intervalBar.querySelectorAll('button'))
      b.setAttribute('aria-pressed', String(b.dataset.interval === name));
    schedule();
  });
  intervalBar.append(button);
}

// Theme: follows the system unless chosen here (kept in this browser).
const themeButton = element('theme', HTMLButtonElement);
const themes = ['auto', 'light', 'dark'] as const;
function applyTheme(): void {
  const chosen = localStorage.getItem('sys-theme') ?? 'auto';
  if (chosen === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = chosen;
  themeButton.textContent = `theme: ${chosen}`;
  const css = getComputedStyle(document.documentElement);
  chart.theme({
    background: css.getPropertyValue('--panel').trim(),
    text: css.getPropertyValue('--text').trim(),
    grid: css.getPropertyValue('--grid').trim(),
  });
}
themeButton.addEventListener('click', () => {
  const now = localStorage.getItem('sys-theme') ?? 'auto';
  const next = themes[(themes.indexOf(now as (typeof themes)[number]) + 1) % themes.length] ?? 'auto';
  localStorage.setItem('sys-theme', next);
  applyTheme();
});
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);
applyTheme();

// Two clients, two projections of the same positions: `overview` holds every symbol's figures (the plain
// face: about a kilobyte a symbol), `detail` the debug face of the selected symbol only (its bar tables,
// the workers' queues and timings). The debug face of 500 symbols is ~13 MB, mostly bar tables the page
// never draws; one envelope of it (a snapshot) costs the main thread a JSON.parse of ~1 s.
let overview: StateClient;
let detail: StateClient | undefined;
let detailSymbol: string | undefined;
let lastEnvelopeAt = 0;
let serverSeq: number | undefined;
const epochs: string[] = [];

function newClient(kind: string, options: { debug: boolean; symbols?: string[] }): StateClient {
  const c = createStateClient({
    url: serverUrl,
    transport: 'sse',
    ...options,
    ...(token === undefined ? {} : { token }),
    backoff: { initialMs: 250, maxMs: 4000 },
  });
  c.subscribe(({ changedPaths, envelope }) => {
    lastEnvelopeAt = Date.now();
    const position =
      envelope.t === 'snapshot' ? `${envelope.epoch}:${envelope.seq}` : `${envelope.epoch}:${envelope.to}`;
    if (kind === 'overview' && epochs.at(-1) !== envelope.epoch) epochs.push(envelope.epoch);
    changes.record(
      `${kind} ${envelope.t === 'snapshot' ? `snapshot (${envelope.reason})` : 'delta'}`,
      position,
      changedPaths,
    );
    schedule();
  });
  return c;
}

/** (Re)connects the detail client when the selected symbol or debug changed. */
function connectDetail(symbol: string | undefined, force = false): void {
  if (symbol === undefined || (symbol === detailSymbol && !force)) return;
  detail?.close();
  detailSymbol = symbol;
  detail = newClient('detail', { debug, symbols: [symbol] });
}

const debugButton = element('debug', HTMLButtonElement);
function markDebug(): void {
  debugButton.setAttribute('aria-pressed', String(debug));
  debugButton.textContent = `debug: ${debug ? 'on' : 'off'}`;
}
debugButton.addEventListener('click', () => {
  debug = !debug;
  markDebug();
  connectDetail(table.selected, true);
});
markDebug();
overview = newClient('overview', { debug: false });

// One paint per animation frame at most, whatever the rate of envelopes.
let frame = 0;
function schedule(): void {
  if (frame === 0) frame = requestAnimationFrame(paint);
}

const text = (id: string, value: string) => {
  const el = element(id, HTMLElement);
  if (el.textContent !== value) el.textContent = value;
};

let panelsPaintedMs = Number.NEGATIVE_INFINITY;
let panelsTimer: ReturnType<typeof setTimeout> | undefined;
function schedulePanels(): void {
  if (panelsTimer !== undefined) return;
  panelsTimer = setTimeout(() => {
    panelsTimer = undefined;
    schedule();
  }, 260);
}

/** Paints done and their cost, for the tests and the curious. */
const paintStats = { count: 0, maxMs: 0, totalMs: 0 };
function paint(): void {
  frame = 0;
  const startMs = performance.now();
  try {
    paintNow();
  } finally {
    const ms = performance.now() - startMs;
    paintStats.count++;
    paintStats.totalMs += ms;
    paintStats.maxMs = Math.max(paintStats.maxMs, ms);
  }
}

function paintNow(): void {
  const state = obj(overview.getState());
  if (state === undefined) return;
  const detailState = obj(detail?.getState());
  const manager = obj(state.system_manager) ?? {};
  const session = obj(obj(state.session_data)?.session) ?? {};
  const symbols: JsonObject = obj(obj(state.session_data)?.symbols) ?? {};
  text('s-date', str(session.date) ?? '–');
  text('s-time', str(session.time) ?? '–');
  const phase = str(obj(obj(state.threads)?.session_coordinator)?.phase) ?? '';
  text('s-phase', phase.replace('_', '-') || '–');
  document.body.dataset.phase = phase;
  const speed = manager.speed;
  text('s-speed', speed === 'max' ? 'max' : `${num(speed) ?? '–'}×`);
  text('s-state', str(manager.state) ?? '–');
  document.body.dataset.state = str(manager.state) ?? '';
  text('s-position', overview.position ?? '–');
  table.update(symbols);
  const selected = table.selected;
  connectDetail(selected);
  if (selected !== undefined) {
    text('chart-title', `${selected} · ${interval}`);
    const detailSymbols = obj(obj(detailState?.session_data)?.symbols);
    if (detailSymbol === selected && detailSymbols !== undefined)
      chart.show(selected, interval, detailSymbols[selected]);
    const ext = obj(obj(symbols[selected])?.extended_hours);
    text(
      'chart-extended',
      ext === undefined
        ? ''
        : `pre-market ${integer(num(ext.pre_market_bars))} bars · post-market ${integer(num(ext.post_market_bars))} bars (outside the regular session; not in current_bars)`,
    );
  }
  // Panels for reading, not for every frame: at most four times a second.
  const nowMs = performance.now();
  if (nowMs - panelsPaintedMs >= 250) {
    panelsPaintedMs = nowMs;
    renderWorkers(element('workers-body', HTMLDivElement), obj((detailState ?? state).threads) ?? {});
    changes.paint(detailState, state);
  } else schedulePanels();
  if (firstLoadMs === undefined) firstLoadMs = performance.now();
}

// Connection status and lag, twice a second: the client has no status event, and the server's position
// comes from /v1/health (no token needed).
function paintConnection(): void {
  const conn = element('s-conn', HTMLElement);
  // The worse of the two connections.
  const statuses = [overview.status, detail?.status ?? 'live'];
  const status =
    (['closed', 'connecting', 'resyncing', 'live'] as const).find((s) => statuses.includes(s)) ?? 'live';
  conn.dataset.status = status;
  const reconnects = overview.counters.reconnects;
  text(
    's-conn',
    `${status}${reconnects > 0 ? ` · ${reconnects} reconnect${reconnects === 1 ? '' : 's'}` : ''}`,
  );
  text('s-epochs', epochs.length > 1 ? `epochs ${epochs.slice(-3).join(' → ')}` : '');
  const seq = Number(overview.position?.split(':')[1]);
  const lag = serverSeq === undefined || !Number.isFinite(seq) ? '–' : `${Math.max(0, serverSeq - seq)} seq`;
  text('s-lag', `${lag} · last ${lastEnvelopeAt === 0 ? '–' : durationMs(Date.now() - lastEnvelopeAt)} ago`);
}
setInterval(paintConnection, 500);
setInterval(async () => {
  try {
    const health = obj(await (await fetch(`${serverUrl}/v1/health`)).json());
    serverSeq = Number(str(health?.position)?.split(':')[1]);
  } catch {
    serverSeq = undefined;
  }
}, 2000);

// Controls: only with a token (the server refuses control without one).
const controls = element('controls', HTMLFieldSetElement);
const controlMessage = element('control-message', HTMLOutputElement);
controls.hidden = token === undefined;
async function control(action: string, body: object = {}): Promise<void> {
  controlMessage.value = `${action}…`;
  try {
    const res = await fetch(`${serverUrl}/v1/control/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` },
      body: JSON.stringify(body),
    });
    const answer = obj(await res.json().catch(() => ({})));
    controlMessage.value = res.ok
      ? `${action}: done`
      : `${action}: ${str(obj(answer?.error)?.message) ?? res.status}`;
  } catch (error) {
    controlMessage.value = `${action}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
for (const action of ['start', 'pause', 'resume', 'stop']) {
  element(`c-${action}`, HTMLButtonElement).addEventListener('click', () => void control(action));
}
element('c-step', HTMLButtonElement).addEventListener('click', () => {
  void control('step', { minutes: Number(element('c-step-minutes', HTMLInputElement).value) });
});
element('c-speed-form', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  const value = element('c-speed-value', HTMLInputElement).value.trim();
  void control('speed', { speed: value === 'max' ? 'max' : Number(value) });
});

// Keyboard: 1–5 pick the interval, t the theme, / the table.
document.addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLInputElement || event.altKey || event.ctrlKey || event.metaKey) return;
  const index = Number(event.key) - 1;
  const button = intervalBar.querySelectorAll('button')[index];
  if (button !== undefined) button.click();
  else if (event.key === 't') themeButton.click();
  else if (event.key === '/') {
    event.preventDefault();
    element('symbols-body', HTMLDivElement).focus();
  }
});

/** What the page exposes for its tests and for a look from the console. */
const api = {
  /** Every symbol's figures (the plain face). */
  get client() {
    return overview;
  },
  /** The selected symbol's debug face (undefined before a symbol is known). */
  get detail() {
    return detail;
  },
  chart,
  longTasks,
  paintStats,
  get firstLoadMs() {
    return firstLoadMs;
  },
  epochs,
};
(window as unknown as { sysDashboard: typeof api }).sysDashboard = api;
