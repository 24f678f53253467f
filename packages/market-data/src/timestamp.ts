import { UnknownZoneError } from './errors.js';
import { quoteInput } from './quote.js';

/** Why a timestamp was refused; the reader turns it into a located format error. */
export class TimestampError extends Error {}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z|z)|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const EPOCH = /^-?\d{1,16}$/;
/** Below this magnitude an integer timestamp is epoch seconds, at or above it epoch milliseconds (1973-03-03 in ms). */
const EPOCH_SECONDS_LIMIT = 1e11;
const DAY_MS = 86_400_000;
const BUCKET_MS = 15 * 60_000;

/** Checks that `zone` is a time zone the runtime knows; throws UnknownZoneError otherwise. */
export function assertZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new UnknownZoneError(zone);
  }
}

/**
 * Turns wall-clock times of one zone into epoch ms. Ambiguous times (the repeated hour when clocks go back)
 * take the earlier instant and times in the skipped hour the later one, as Temporal's `compatible` does.
 * Results are cached per quarter hour of wall time, because zones only change offset on such boundaries
 * and Intl is far too slow to call per row.
 */
export class ZoneResolver {
  readonly zone: string;
  readonly #format: Intl.DateTimeFormat;
  readonly #cache = new Map<number, number>();

  constructor(zone: string) {
    this.zone = assertZone(zone);
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone: this.zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Epoch ms of the wall time `wallMs` (the wall clock's fields read as if they were UTC). */
  toEpochMs(wallMs: number): number {
    const bucket = Math.floor(wallMs / BUCKET_MS);
    let shift = this.#cache.get(bucket);
    if (shift === undefined) {
      shift = this.#resolve(bucket * BUCKET_MS) - bucket * BUCKET_MS;
      if (this.#cache.size > 100_000) this.#cache.clear();
      this.#cache.set(bucket, shift);
    }
    return wallMs + shift;
  }

  #offsetAt(epochMs: number): number {
    const parts = this.#format.formatToParts(epochMs);
    const field = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
    const wall = Date.UTC(
      field('year'),
      field('month') - 1,
      field('day'),
      field('hour'),
      field('minute'),
      field('second'),
    );
    return wall - (epochMs - (((epochMs % 1000) + 1000) % 1000));
  }

  #resolve(wallMs: number): number {
    const before = this.#offsetAt(wallMs - DAY_MS);
    const after = this.#offsetAt(wallMs + DAY_MS);
    const candidates = [wallMs - before, wallMs - after].filter((t) => t + this.#offsetAt(t) === wallMs);
    if (candidates.length > 0) return Math.min(...candidates);
    return wallMs - before;
  }
}

function digit2(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Parses timestamps of one file. Consecutive rows share their date, so the common `YYYY-MM-DDTHH:MM:SSZ`
 * form is read by character codes against the last validated date; everything else takes `parseTimestamp`.
 */
export class TimestampReader {
  readonly #zone: ZoneResolver | undefined;
  #datePrefix = '';
  #dayMs = 0;

  constructor(zone: ZoneResolver | undefined) {
    this.#zone = zone;
  }

  /** Epoch ms of `text`; throws TimestampError. */
  read(text: string): number {
    if (
      text.length === 20 &&
      text.charCodeAt(19) === 90 /* Z */ &&
      this.#datePrefix !== '' &&
      text.startsWith(this.#datePrefix)
    ) {
      const h = digit2(text, 11);
      const m = digit2(text, 14);
      const s = digit2(text, 17);
      if (
        text.charCodeAt(13) === 58 &&
        text.charCodeAt(16) === 58 &&
        h >= 0 &&
        h <= 23 &&
        m >= 0 &&
        m <= 59 &&
        s >= 0 &&
        s <= 59
      ) {
        return this.#dayMs + ((h * 60 + m) * 60 + s) * 1000;
      }
    }
    const ms = parseTimestamp(text, this.#zone);
    if (text.length === 20 && text.charCodeAt(19) === 90 && text.charCodeAt(10) === 84 /* T */) {
      this.#datePrefix = text.slice(0, 11);
      this.#dayMs = ms - (ms % 86_400_000);
    }
    return ms;
  }
}

/**
 * Parses one timestamp: ISO 8601 with `Z` or an offset, epoch seconds or milliseconds (an integer; below
 * 1e11 it is seconds), or a naive ISO time when a zone resolver is given. Throws TimestampError.
 */
export function parseTimestamp(text: string, zone: ZoneResolver | undefined): number {
  if (EPOCH.test(text)) {
    const n = Number(text);
    return Math.abs(n) < EPOCH_SECONDS_LIMIT ? n * 1000 : n;
  }
  const m = ISO.exec(text);
  if (m === null) {
    throw new TimestampError(
      `timestamp ${quoteInput(text)} is neither ISO 8601 (e.g. 2025-07-02T13:30:00Z) nor epoch seconds/ms`,
    );
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  // Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear takes the year as written.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  const wallDay = check.getTime();
  if (
    month < 1 ||
    month > 12 ||
    check.getUTCDate() !== day ||
    check.getUTCMonth() !== month - 1 ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new TimestampError(`timestamp ${quoteInput(text)} is not a real date and time`);
  }
  const wallMs = wallDay + ((hour * 60 + minute) * 60 + second) * 1000 + fraction;
  if (m[8] !== undefined) return wallMs;
  if (m[9] !== undefined) {
    const offsetH = Number(m[10]);
    const offsetM = m[11] === undefined ? 0 : Number(m[11]);
    if (offsetH > 23 || offsetM > 59)
      throw new TimestampError(`timestamp ${quoteInput(text)} has a bad offset`);
    const offsetMs = (offsetH * 60 + offsetM) * 60_000;
    return m[9] === '+' ? wallMs - offsetMs : wallMs + offsetMs;
  }
  if (zone === undefined) {
    throw new TimestampError(
      `timestamp ${quoteInput(text)} has no zone or offset; add one (Z, +00:00) or name the zone the file ` +
        'is written in (`--zone America/New_York` for `sys data import`, option `zone` in the API)',
    );
  }
  return zone.toEpochMs(wallMs);
}
