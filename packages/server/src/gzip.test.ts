import { crc32, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GZIP_HEADER, GzipTrailer, gzipSegment } from './gzip.js';

describe('shared gzip segments', () => {
  it('any sequence of independently compressed chunks, with a combined trailer, is one valid gzip stream', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
        const trailer = new GzipTrailer();
        const parts = [GZIP_HEADER];
        for (const c of chunks) {
          const s = gzipSegment(Buffer.from(c));
          trailer.add(s);
          parts.push(s.bytes);
        }
        parts.push(trailer.end());
        const whole = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        // gunzip checks the CRC-32 and the length in the trailer.
        expect(gunzipSync(Buffer.concat(parts))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('combines CRCs as zlib computes them over the whole text', () => {
    const a = Buffer.from('event: delta\ndata: {"a":1}\n\n');
    const b = Buffer.alloc(70_000, 0x61);
    const t = new GzipTrailer();
    t.add(gzipSegment(a));
    t.add(gzipSegment(b));
    const end = t.end();
    expect(end.readUInt32LE(2)).toBe(crc32(Buffer.concat([a, b])) >>> 0);
    expect(end.readUInt32LE(6)).toBe(a.length + b.length);
  });
});
