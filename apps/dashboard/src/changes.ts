import { appendPointer } from '@sys/core';
import { at, obj } from './json.js';

/** One envelope as the changes panel lists it. */
interface ChangeEntry {
  readonly kind: string;
  readonly position: string;
  readonly receivedAt: number;
  readonly pathCount: number;
  readonly paths: readonly string[];
}

const PATHS_KEPT = 6;
const JSON_LINES_MAX = 1500;

/**
 * The last N envelopes with the paths they changed, and a JSON view of one subtree with the keys the latest
 * envelopes changed highlighted. Redrawn at most every `intervalMs`, and the JSON view only when its
 * subtree is a different object (the copy is structurally shared).
 */
export class ChangesPanel {
  readonly #entries: ChangeEntry[] = [];
  /** Entries recorded since the last paint (drawn at the top, the oldest dropped). */
  #fresh: ChangeEntry[] = [];
  #recentPaths: string[] = [];
  #lastSubtree: unknown;
  #lastPointer = '';
  #dirty = false;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly pointerInput: HTMLInputElement,
    private readonly view: HTMLElement,
    private readonly keep = 30,
  ) {
    list.addEventListener('click', (event) => {
      const target = event.target;
      if (target instanceof HTMLButtonElement && target.dataset.path !== undefined) {
        pointerInput.value = target.dataset.path;
        this.#lastSubtree = undefined;
        this.#dirty = true;
      }
    });
    pointerInput.addEventListener('change', () => {
      this.#lastSubtree = undefined;
      this.#dirty = true;
    });
  }

  /** Records one applied envelope. */
  record(kind: string, position: string, changedPaths: readonly string[]): void {
    const entry = {
      kind,
      position,
      receivedAt: Date.now(),
      pathCount: changedPaths.length,
      paths: changedPaths.slice(0, PATHS_KEPT),
    };
    this.#entries.unshift(entry);
    if (this.#entries.length > this.keep) this.#entries.length = this.keep;
    this.#fresh.push(entry);
    if (this.#fresh.length > this.keep) this.#fresh.shift();
    this.#recentPaths = changedPaths.slice(0, 5000) as string[];
    this.#dirty = true;
  }

  /** Redraws when something was recorded; the pointer is looked up in `primary`, else in `fallback`. */
  paint(primary: unknown, fallback: unknown): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const items: HTMLLIElement[] = [];
    for (const entry of this.#fresh.reverse()) {
      const li = document.createElement('li');
      const head = document.createElement('span');
      head.className = `kind-${entry.kind}`;
      head.textContent = `${entry.kind} ${entry.position} · ${entry.pathCount} path${entry.pathCount === 1 ? '' : 's'}`;
      li.append(head);
      for (const path of entry.paths) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'path';
        button.dataset.path = path;
        button.textContent = path === '' ? '(whole state)' : path;
        li.append(button);
      }
      if (entry.pathCount > entry.paths.length) li.append(` … ${entry.pathCount - entry.paths.length} more`);
      items.push(li);
    }
    this.#fresh = [];
    this.list.prepend(...items);
    while (this.list.childElementCount > this.keep) this.list.lastElementChild?.remove();
    const pointer = this.pointerInput.value.trim();
    const subtree = at(primary, pointer) ?? at(fallback, pointer);
    if (subtree === this.#lastSubtree && pointer === this.#lastPointer) return;
    this.#lastSubtree = subtree;
    this.#lastPointer = pointer;
    const changed = new Set<string>();
    for (const path of this.#recentPaths) {
      if (path === '' || !(path === pointer || path.startsWith(`${pointer}/`))) continue;
      // Mark the changed node and each ancestor under the viewed one.
      let p = path;
      while (p.length > pointer.length) {
        changed.add(p);
        p = p.slice(0, p.lastIndexOf('/'));
      }
    }
    this.view.replaceChildren(...renderJson(subtree, pointer, changed));
  }
}

/** The subtree as indented lines; a line whose pointer changed gets the `changed` class. */
function renderJson(value: unknown, pointer: string, changed: ReadonlySet<string>): Node[] {
  if (value === undefined) return [document.createTextNode(`nothing at ${pointer || '(root)'}`)];
  const out: Node[] = [];
  let lines = 0;
  const line = (text: string, path: string, depth: number) => {
    if (lines++ >= JSON_LINES_MAX) return;
    const span = document.createElement('span');
    span.textContent = `${'  '.repeat(depth)}${text}\n`;
    if (changed.has(path)) span.className = 'changed';
    out.push(span);
  };
  const walk = (v: unknown, path: string, label: string, depth: number, comma: string) => {
    if (lines >= JSON_LINES_MAX) return;
    const o = obj(v);
    if (Array.isArray(v) && v.length > 0 && v.every((x) => !Array.isArray(x) && obj(x) === undefined)) {
      line(`${label}${JSON.stringify(v)}${comma}`, path, depth);
    } else if (Array.isArray(v)) {
      line(`${label}[`, path, depth);
      for (let i = 0; i < v.length; i++)
        walk(v[i], `${path}/${i}`, '', depth + 1, i < v.length - 1 ? ',' : '');
      line(`]${comma}`, path, depth);
    } else if (o !== undefined) {
      const keys = Object.keys(o);
      line(`${label}{`, path, depth);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] ?? '';
        walk(
          o[key],
          appendPointer(path, key),
          `${JSON.stringify(key)}: `,
          depth + 1,
          i < keys.length - 1 ? ',' : '',
        );
      }
      line(`}${comma}`, path, depth);
    } else line(`${label}${JSON.stringify(v)}${comma}`, path, depth);
  };
  walk(value, pointer, '', 0, '');
  if (lines > JSON_LINES_MAX) out.push(document.createTextNode(`… cut at ${JSON_LINES_MAX} lines`));
  return out;
}
