import { integer, percent, price } from './format.js';
import { arr, type JsonObject, num, obj, str } from './json.js';

/** A column of the symbols table: how to read its value from a symbol's state and show it. */
interface Column {
  readonly key: string;
  readonly label: string;
  readonly value: (symbol: string, s: JsonObject) => number | string | null;
  readonly text: (value: number | string | null) => string;
}

function lastPrice(s: JsonObject): number | null {
  const table = obj(obj(s.current_bars)?.['1m']);
  const rows = arr(table?.data);
  const last = arr(rows[rows.length - 1]);
  return num(last[arr(table?.columns).indexOf('close')]) ?? num(s.close);
}

function gapMinutes(s: JsonObject): number {
  let total = 0;
  for (const gap of arr(s.gaps)) total += num(obj(gap)?.minutes) ?? 0;
  return total;
}

const COLUMNS: readonly Column[] = [
  { key: 'symbol', label: 'Symbol', value: (symbol) => symbol, text: (v) => String(v) },
  { key: 'last', label: 'Last', value: (_, s) => lastPrice(s), text: (v) => price(v as number | null) },
  { key: 'open', label: 'Open', value: (_, s) => num(s.open), text: (v) => price(v as number | null) },
  { key: 'high', label: 'High', value: (_, s) => num(s.high), text: (v) => price(v as number | null) },
  { key: 'low', label: 'Low', value: (_, s) => num(s.low), text: (v) => price(v as number | null) },
  { key: 'close', label: 'Close', value: (_, s) => num(s.close), text: (v) => price(v as number | null) },
  {
    key: 'volume',
    label: 'Volume',
    value: (_, s) => num(s.volume),
    text: (v) => integer(v as number | null),
  },
  { key: 'vwap', label: 'VWAP', value: (_, s) => num(s.vwap), text: (v) => price(v as number | null) },
  {
    key: 'quality',
    label: 'Quality',
    value: (_, s) => num(s.bar_quality),
    text: (v) => percent(v as number | null),
  },
  {
    key: 'gaps',
    label: 'Gaps',
    value: (_, s) => gapMinutes(s),
    text: (v) => (v === 0 ? '0' : `${v} min`),
  },
  {
    key: 'bars',
    label: 'Bars',
    value: (_, s) => num(obj(s.bar_counts)?.['1m']),
    text: (v) => integer(v as number | null),
  },
];

const ROW_HEIGHT_PX = 28;
const OVERSCAN_ROWS = 4;

interface RowView {
  readonly element: HTMLDivElement;
  readonly cells: HTMLSpanElement[];
  symbol: string | undefined;
  flash: number;
}

/**
 * The symbols table: sortable, one row per symbol, virtualized (only the rows in view exist in the DOM, so
 * 500 symbols cost what 20 do). A row flashes when its symbol's state object changed: the client's copy is
 * structurally shared, so an unchanged symbol is the same object and is skipped by identity.
 */
export class SymbolsTable {
  readonly #viewport: HTMLElement;
  readonly #spacer: HTMLDivElement;
  readonly #rows: RowView[] = [];
  readonly #headerButtons = new Map<string, HTMLButtonElement>();
  #symbols: JsonObject = {};
  #order: string[] = [];
  #sortKey = 'symbol';
  #sortDescending = false;
  #selected: string | undefined;
  /** Per symbol: how many times its state changed (drives the flash). */
  readonly #changes = new Map<string, number>();
  #orderDirty = true;
  /** The viewport's height, kept by a ResizeObserver: reading it while painting would force a layout. */
  #viewHeightPx = ROW_HEIGHT_PX * 12;
  #scrollTopPx = 0;

  constructor(
    header: HTMLElement,
    viewport: HTMLElement,
    private readonly onSelect: (symbol: string) => void,
  ) {
    this.#viewport = viewport;
    for (const column of COLUMNS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `cell c-${column.key}`;
      button.textContent = column.label;
      button.dataset.col = column.key;
      button.addEventListener('click', () => this.sortBy(column.key));
      header.append(button);
      this.#headerButtons.set(column.key, button);
    }
    this.#spacer = document.createElement('div');
    this.#spacer.className = 'spacer';
    viewport.append(this.#spacer);
    viewport.addEventListener(
      'scroll',
      () => {
        this.#scrollTopPx = viewport.scrollTop;
        this.#paint();
      },
      { passive: true },
    );
    viewport.addEventListener('keydown', (event) => this.#key(event));
    new ResizeObserver((entries) => {
      const height = entries[0]?.contentRect.height;
      if (height !== undefined && height > 0) this.#viewHeightPx = height;
      this.#paint();
    }).observe(viewport);
    this.#markSort();
  }

  /** The symbol selected (the chart's). */
  get selected(): string | undefined {
    return this.#selected;
  }

  /** Sorts by a column; the same column again flips the direction. */
  sortBy(key: string): void {
    if (this.#sortKey === key) this.#sortDescending = !this.#sortDescending;
    else {
      this.#sortKey = key;
      this.#sortDescending = key !== 'symbol';
    }
    this.#orderDirty = true;
    this.#markSort();
    this.#paint();
  }

  /** Selects a symbol and scrolls it into view. */
  select(symbol: string): void {
    this.#selected = symbol;
    const index = this.#order.indexOf(symbol);
    if (index >= 0) {
      const top = index * ROW_HEIGHT_PX;
      let scrollTop = this.#scrollTopPx;
      if (top < scrollTop) scrollTop = top;
      else if (top + ROW_HEIGHT_PX > scrollTop + this.#viewHeightPx)
        scrollTop = top + ROW_HEIGHT_PX - this.#viewHeightPx;
      if (scrollTop !== this.#scrollTopPx) {
        this.#scrollTopPx = scrollTop;
        this.#viewport.scrollTop = scrollTop;
      }
    }
    this.#paint();
    this.onSelect(symbol);
  }

  /** Takes the state's `session_data.symbols`; rows whose symbol object changed flash. */
  update(symbols: JsonObject): void {
    const previous = this.#symbols;
    if (symbols === previous) return;
    for (const name of Object.keys(symbols)) {
      const before = previous[name];
      if (before !== undefined && before !== symbols[name])
        this.#changes.set(name, (this.#changes.get(name) ?? 0) + 1);
    }
    if (Object.keys(previous).length !== Object.keys(symbols).length) this.#orderDirty = true;
    // A sort by anything but the name may move rows when figures change.
    if (this.#sortKey !== 'symbol') this.#orderDirty = true;
    this.#symbols = symbols;
    if (this.#selected === undefined || !Object.hasOwn(symbols, this.#selected)) {
      const first = Object.keys(symbols).sort()[0];
      if (first !== undefined) {
        this.#orderDirty = true;
        this.#paint();
        this.select(first);
        return;
      }
    }
    this.#paint();
  }

  #markSort(): void {
    for (const [key, button] of this.#headerButtons) {
      const sorted = key === this.#sortKey;
      button.setAttribute('aria-sort', sorted ? (this.#sortDescending ? 'descending' : 'ascending') : 'none');
      button.dataset.sorted = sorted ? (this.#sortDescending ? 'desc' : 'asc') : '';
    }
  }

  #sort(): void {
    const column = COLUMNS.find((c) => c.key === this.#sortKey) ?? COLUMNS[0];
    const names = Object.keys(this.#symbols);
    if (column === undefined) return;
    const values = new Map<string, number | string | null>();
    for (const name of names) values.set(name, column.value(name, obj(this.#symbols[name]) ?? {}));
    const sign = this.#sortDescending ? -1 : 1;
    names.sort((a, b) => {
      const va = values.get(a) ?? null;
      const vb = values.get(b) ?? null;
      if (va === vb) return a < b ? -1 : a > b ? 1 : 0;
      if (va === null) return 1;
      if (vb === null) return -1;
      return (va < vb ? -1 : 1) * sign;
    });
    this.#order = names;
    this.#orderDirty = false;
  }

  #paint(): void {
    if (this.#orderDirty) this.#sort();
    const spacerHeight = `${this.#order.length * ROW_HEIGHT_PX}px`;
    if (this.#spacer.style.height !== spacerHeight) this.#spacer.style.height = spacerHeight;
    const first = Math.max(0, Math.floor(this.#scrollTopPx / ROW_HEIGHT_PX) - OVERSCAN_ROWS);
    const count = Math.min(
      this.#order.length - first,
      Math.ceil(this.#viewHeightPx / ROW_HEIGHT_PX) + 2 * OVERSCAN_ROWS,
    );
    while (this.#rows.length < count) this.#rows.push(this.#newRow());
    for (let i = 0; i < this.#rows.length; i++) {
      const row = this.#rows[i];
      if (row === undefined) continue;
      const name = i < count ? this.#order[first + i] : undefined;
      if (name === undefined) {
        row.element.hidden = true;
        row.symbol = undefined;
        continue;
      }
      row.element.hidden = false;
      const transform = `translateY(${(first + i) * ROW_HEIGHT_PX}px)`;
      if (row.element.style.transform !== transform) row.element.style.transform = transform;
      const state = obj(this.#symbols[name]) ?? {};
      const changes = this.#changes.get(name) ?? 0;
      if (row.symbol === name && row.flash !== changes) {
        // Restart the flash: two animation names, alternated, so the same row can flash again.
        row.element.dataset.flash = changes % 2 === 0 ? 'a' : 'b';
      } else if (row.symbol !== name) delete row.element.dataset.flash;
      row.flash = changes;
      row.symbol = name;
      if (row.element.dataset.symbol !== name) row.element.dataset.symbol = name;
      row.element.setAttribute('aria-rowindex', String(first + i + 2));
      row.element.setAttribute('aria-selected', String(name === this.#selected));
      for (let c = 0; c < COLUMNS.length; c++) {
        const column = COLUMNS[c];
        const cell = row.cells[c];
        if (column === undefined || cell === undefined) continue;
        const value = column.value(name, state);
        const raw = value === null ? '' : String(value);
        if (cell.dataset.value !== raw) {
          cell.dataset.value = raw;
          cell.textContent = column.text(value);
          if (column.key === 'gaps') cell.title = gapTitle(state);
        }
      }
    }
  }

  #newRow(): RowView {
    const element = document.createElement('div');
    element.className = 'row';
    element.setAttribute('role', 'row');
    const cells = COLUMNS.map((column) => {
      const cell = document.createElement('span');
      cell.className = `cell c-${column.key}`;
      cell.dataset.col = column.key;
      cell.setAttribute('role', column.key === 'symbol' ? 'rowheader' : 'cell');
      element.append(cell);
      return cell;
    });
    element.addEventListener('click', () => {
      const symbol = element.dataset.symbol;
      if (symbol !== undefined) this.select(symbol);
    });
    this.#viewport.append(element);
    return { element, cells, symbol: undefined, flash: 0 };
  }

  #key(event: KeyboardEvent): void {
    const index = this.#selected === undefined ? -1 : this.#order.indexOf(this.#selected);
    const page = Math.max(1, Math.floor(this.#viewHeightPx / ROW_HEIGHT_PX) - 1);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + page,
      PageUp: index - page,
      Home: 0,
      End: this.#order.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const name = this.#order[Math.max(0, Math.min(this.#order.length - 1, target))];
    if (name !== undefined) this.select(name);
  }
}

function gapTitle(state: JsonObject): string {
  const gaps = arr(state.gaps)
    .map((g) => `${str(obj(g)?.start) ?? '?'} (${num(obj(g)?.minutes) ?? '?'} min)`)
    .slice(0, 20);
  return gaps.length === 0 ? 'no missing regular minutes' : `missing: ${gaps.join(', ')}`;
}
