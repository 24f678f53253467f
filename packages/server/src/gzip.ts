import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * gzip for streams whose chunks are shared by many clients. Each chunk is compressed once, on its own, as
 * raw deflate ending in a sync flush (byte-aligned, not final, no dictionary carried over), so the same
 * compressed bytes can follow any other chunk in any client's stream. Each client's stream is a gzip
 * header, the segments it was sent, and a trailer whose CRC-32 is combined from the segments' CRCs in
 * O(1) per segment — what a browser's `Content-Encoding: gzip` decoder reads as one stream.
 */

/** The 10-byte gzip member header: deflate, no flags, no time, unknown OS. */
export const GZIP_HEADER: Buffer = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/** One chunk, compressed once. */
export interface GzipSegment {
  readonly bytes: Buffer;
  /** CRC-32 and length of the uncompressed chunk. */
  readonly crc: number;
  readonly length: number;
  /** The GF(2) operator that appends `length` zero bytes to a CRC (for combining). */
  readonly shift: Uint32Array;
}

/** Compresses `data` as a shareable segment (deflate level 6). */
export function gzipSegment(data: Buffer): GzipSegment {
  return {
    bytes: deflateRawSync(data, { level: 6, finishFlush: constants.Z_SYNC_FLUSH }),
    crc: crc32(data) >>> 0,
    length: data.length,
    shift: zerosOperator(data.length),
  };
}

/** One client's running CRC and length, and the bytes that end its stream. */
export class GzipTrailer {
  #crc = 0;
  #length = 0;

  /** Counts a segment written to this client. */
  add(segment: GzipSegment): void {
    this.#crc = (apply(segment.shift, this.#crc) ^ segment.crc) >>> 0;
    this.#length = (this.#length + segment.length) >>> 0;
  }

  /** An empty final deflate block, then CRC-32 and length mod 2^32 (little-endian). */
  end(): Buffer {
    const out = Buffer.alloc(10);
    out[0] = 0x03; // BFINAL=1, fixed Huffman, end-of-block
    out[1] = 0x00;
    out.writeUInt32LE(this.#crc, 2);
    out.writeUInt32LE(this.#length, 6);
    return out;
  }
}

/** `mat` applied to the vector `vec` over GF(2) (zlib's gf2_matrix_times). */
function apply(mat: Uint32Array, vec: number): number {
  let sum = 0;
  let v = vec >>> 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) sum ^= mat[i] as number;
  return sum >>> 0;
}

/** `a ∘ b` (apply b, then a). */
function compose(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let n = 0; n < 32; n++) out[n] = apply(a, b[n] as number);
  return out;
}

/** The operator that feeds `bytes` zero bytes through the CRC-32 register (zlib's crc32_combine, as a matrix). */
function zerosOperator(bytes: number): Uint32Array {
  // One zero bit: the CRC register shifted right, with the polynomial folded in.
  let power: Uint32Array = new Uint32Array(32);
  power[0] = 0xedb88320;
  for (let n = 1; n < 32; n++) power[n] = (1 << (n - 1)) >>> 0;
  // Three squarings: 2, 4, then 8 zero bits = one zero byte.
  for (let i = 0; i < 3; i++) power = compose(power, power);
  let result: Uint32Array | undefined;
  for (let len = bytes; len > 0; len = Math.floor(len / 2)) {
    if (len % 2 === 1) result = result === undefined ? power : compose(power, result);
    if (len > 1) power = compose(power, power);
  }
  if (result === undefined) {
    // Zero bytes: the identity.
    result = new Uint32Array(32);
    for (let n = 0; n < 32; n++) result[n] = (1 << n) >>> 0;
  }
  return result;
}
