import { integer } from './format.js';
import { type JsonObject, num, obj, str } from './json.js';

const ROLES = ['session_coordinator', 'stream_coordinator', 'data_upkeep'] as const;

/** Counters each role shows (the rest is in the changes panel's JSON view). */
const FIELDS: Record<(typeof ROLES)[number], readonly string[]> = {
  session_coordinator: ['phase', 'date', 'days_done', 'trading_days', 'history_bars_loaded'],
  stream_coordinator: ['market_time', 'bars_released', 'minutes_released', 'bars_per_second', 'exhausted'],
  data_upkeep: ['market_time', 'bars_ingested', 'minutes_ingested', 'bars_folded'],
};

const cache = new WeakMap<HTMLElement, unknown>();

/** The three roles' state, counters and queue gauges; redrawn only when `threads` is a new object. */
export function renderWorkers(into: HTMLElement, threads: JsonObject): void {
  if (cache.get(into) === threads) return;
  cache.set(into, threads);
  const cards = ROLES.map((role) => {
    const r = obj(threads[role]) ?? {};
    const card = document.createElement('article');
    card.className = 'worker';
    card.dataset.role = role;
    const title = document.createElement('h3');
    const state = str(r.state) ?? '–';
    title.textContent = `${role.replace('_', ' ')} · ${state}${obj(r.thread_info)?.is_alive === true ? '' : ' (idle)'}`;
    card.append(title);
    const list = document.createElement('dl');
    for (const field of FIELDS[role]) {
      const value = r[field];
      const dt = document.createElement('dt');
      dt.textContent = field.replaceAll('_', ' ');
      const dd = document.createElement('dd');
      dd.textContent =
        typeof value === 'number'
          ? integer(value)
          : value === null || value === undefined
            ? '–'
            : String(value);
      list.append(dt, dd);
    }
    const perf = obj(r.performance);
    if (perf !== undefined) {
      const dt = document.createElement('dt');
      dt.textContent = 'batch ms (last/avg/max)';
      const dd = document.createElement('dd');
      dd.textContent = ['last_batch_ms', 'avg_batch_ms', 'max_batch_ms']
        .map((k) => (num(perf[k]) ?? 0).toFixed(2))
        .join(' / ');
      list.append(dt, dd);
    }
    const error = obj(r.error);
    if (error !== undefined) {
      const dt = document.createElement('dt');
      dt.textContent = 'error';
      const dd = document.createElement('dd');
      dd.className = 'error';
      dd.textContent = `${str(error.code) ?? ''} ${str(error.message) ?? ''}`;
      list.append(dt, dd);
    }
    card.append(list);
    for (const [name, q] of Object.entries(obj(r.queues) ?? {})) {
      const queue = obj(q) ?? {};
      const depth = num(queue.depth) ?? 0;
      const capacity = num(queue.capacity) ?? 0;
      const label = document.createElement('label');
      label.textContent = `${name.replaceAll('_', ' ')} ${integer(depth)} / ${integer(capacity)} (high ${integer(num(queue.high_water))})`;
      const meter = document.createElement('meter');
      meter.min = 0;
      meter.max = Math.max(1, capacity);
      meter.value = depth;
      label.append(meter);
      card.append(label);
    }
    return card;
  });
  into.replaceChildren(...cards);
}
