import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from './sse.js';

const STREAM =
  'retry: 2000\n\n: hb\n\nevent: snapshot\nid: E:1\ndata: {"a":1}\n\n' +
  'event: delta\r\nid: E:2\r\ndata: line one\r\ndata:line two\r\n\r\n' +
  'data: unnamed\rid\r\r';

const EXPECTED: SseEvent[] = [
  { type: 'snapshot', data: '{"a":1}', id: 'E:1' },
  { type: 'delta', data: 'line one\nline two', id: 'E:2' },
  { type: 'message', data: 'unnamed', id: '' },
];

function parse(chunks: string[]): SseEvent[] {
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  return out;
}

describe('SseParser', () => {
  it('reads events, comments, multi-line data and all three line ends', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  test.prop([fc.array(fc.nat({ max: STREAM.length }), { maxLength: 12 })])(
    'gives the same events however the text is split (a CRLF split across chunks included)',
    (cuts) => {
      const at = [...new Set(cuts)].sort((a, b) => a - b);
      const chunks: string[] = [];
      let prev = 0;
      for (const c of at) {
        chunks.push(STREAM.slice(prev, c));
        prev = c;
      }
      chunks.push(STREAM.slice(prev));
      expect(parse(chunks)).toEqual(EXPECTED);
    },
  );

  it('does not dispatch an event cut before its blank line', () => {
    expect(parse(['data: {"half":'])).toEqual([]);
  });
});
