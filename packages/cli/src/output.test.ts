import { expect, it } from 'vitest';
import { Output, type OutStream } from './output.js';

function stream(isTTY: boolean): OutStream & { text: string } {
  const s = { isTTY, text: '', write: (chunk: string) => (s.text += chunk) };
  return s;
}

it('pretty JSON on a terminal, compact when piped or with compact', () => {
  const tty = stream(true);
  new Output(tty, stream(true)).json({ a: [1] });
  expect(tty.text).toBe('{\n  "a": [\n    1\n  ]\n}\n');
  const pipe = stream(false);
  new Output(pipe, stream(false)).json({ a: [1] });
  expect(pipe.text).toBe('{"a":[1]}\n');
  const compact = stream(true);
  new Output(compact, stream(true), { compact: true }).json({ a: [1] });
  expect(compact.text).toBe('{"a":[1]}\n');
});

it('progress only on a terminal, not with quiet or NO_COLOR, and cleared before output', () => {
  for (const [isTTY, options, shown] of [
    [true, {}, true],
    [false, {}, false],
    [true, { quiet: true }, false],
    [true, { env: { NO_COLOR: '1' } }, false],
  ] as const) {
    const err = stream(isTTY);
    const out = new Output(stream(isTTY), err, options);
    out.progress('12 rows');
    expect(err.text.includes('12 rows')).toBe(shown);
    expect(out.showsProgress).toBe(shown);
  }
  const err = stream(true);
  const out = new Output(stream(true), err);
  out.progress('x');
  out.line('done');
  expect(err.text).toBe('\r\x1b[2Kx\r\x1b[2K');
});

it('errors go to stderr', () => {
  const err = stream(false);
  new Output(stream(false), err).error('bad');
  expect(err.text).toBe('error: bad\n');
});
