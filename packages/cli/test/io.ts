import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { Json } from '@sys/core';
import { type MainOptions, main, type SysIo } from '../src/index.js';

/** A writable that keeps what was written, optionally claiming to be a terminal. */
export class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 100;

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }

  /** Lines of the text that parse as JSON. */
  json(): Json[] {
    return this.text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Json);
  }
}

/** A temporary directory removed after the tests. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sys-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `main` with argv and (for the shell) piped stdin; gives back the exit code and what it wrote. */
export async function run(
  argv: string[],
  options: {
    stdin?: string;
    cwd?: string;
    signals?: EventEmitter;
    main?: MainOptions;
    /** Claim stdout and stderr are a terminal. */
    tty?: boolean;
    env?: Record<string, string>;
  } = {},
) {
  const stdout = new Capture(options.tty);
  const stderr = new Capture(options.tty);
  const io: SysIo = {
    stdin: options.stdin === undefined ? new PassThrough() : Readable.from([options.stdin]),
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signals: options.signals ?? new EventEmitter(),
  };
  const code = await main(argv, io, options.main);
  return { code, stdout, stderr };
}

/** A JSON value's object fields (throws on anything else, so tests fail clearly). */
export function obj(value: Json | undefined): Record<string, Json> {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, Json>;
}

/** The value at a path of keys. */
export function at(value: Json | undefined, ...keys: string[]): Json | undefined {
  let v = value;
  for (const k of keys) v = obj(v)[k];
  return v;
}

/** A state without its `_metadata`. */
export function withoutMetadata(value: Json | undefined): Record<string, Json> {
  const { _metadata, ...rest } = obj(value);
  return rest;
}
