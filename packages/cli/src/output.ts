import type { Json } from '@sys/core';
/** A writable stream as the CLI uses it (stdout/stderr, or a test double). */
export interface OutStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** How output should look. */
export interface OutputOptions {
  /** Compact JSON even on a terminal. */
  readonly compact?: boolean;
  /** Indented JSON even when piped. */
  readonly pretty?: boolean;
  /** No progress lines. */
  readonly quiet?: boolean;
  /** The environment (NO_COLOR silences progress and colour). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Where commands write. JSON is pretty on a terminal and compact when piped or with `--compact`;
 * progress lines go to stderr and only on a terminal, never when piped, with NO_COLOR, or `--quiet`.
 */
export class Output {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly options: OutputOptions;
  #progressShown = false;

  constructor(stdout: OutStream, stderr: OutStream, options: OutputOptions = {}) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.options = options;
  }

  /** The same streams with other options (one command's flags). */
  with(options: OutputOptions): Output {
    return new Output(this.stdout, this.stderr, { ...this.options, ...options });
  }

  get #noColor(): boolean {
    const value = this.options.env?.NO_COLOR;
    return value !== undefined && value !== '';
  }

  /** Whether JSON is indented: `--pretty`, or a terminal without `--compact`. */
  get pretty(): boolean {
    if (this.options.pretty === true) return true;
    return this.stdout.isTTY === true && this.options.compact !== true;
  }

  /** Whether progress lines are shown. */
  get showsProgress(): boolean {
    return this.stderr.isTTY === true && this.options.quiet !== true && !this.#noColor;
  }

  /** JSON text as this output writes it (no trailing newline). */
  formatJson(value: Json, compact = !this.pretty): string {
    return compact ? JSON.stringify(value) : JSON.stringify(value, null, 2);
  }

  /** Writes a JSON value and a newline to stdout. */
  json(value: Json): void {
    this.line(this.formatJson(value));
  }

  /** Writes a line to stdout. */
  line(text: string): void {
    this.clearProgress();
    this.stdout.write(`${text}\n`);
  }

  /** Writes an error line to stderr (red `error:` on a colour terminal). */
  error(text: string): void {
    this.clearProgress();
    const label = this.stderr.isTTY === true && !this.#noColor ? '\x1b[31merror:\x1b[39m' : 'error:';
    this.stderr.write(`${label} ${text}\n`);
  }

  /** A note for people (stderr), silenced by `--quiet`. */
  note(text: string): void {
    if (this.options.quiet === true) return;
    this.clearProgress();
    this.stderr.write(`${text}\n`);
  }

  /** Replaces the progress line (terminal only). */
  progress(text: string): void {
    if (!this.showsProgress) return;
    this.stderr.write(`\r\x1b[2K${text}`);
    this.#progressShown = true;
  }

  /** Removes the progress line, if one is shown. */
  clearProgress(): void {
    if (!this.#progressShown) return;
    this.stderr.write('\r\x1b[2K');
    this.#progressShown = false;
  }
}

/** Rows as aligned columns under a header (numbers right-aligned, with thousands separators). */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [
    header,
    ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c))),
  ];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
