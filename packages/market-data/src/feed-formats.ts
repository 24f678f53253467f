import { type Bar, validateBar } from './bar.js';
import { LiveFeedError } from './errors.js';

/** The WebSocket bar formats a live feed speaks. */
export type FeedFormat = 'alpaca' | 'polygon';

/** The feed formats, for parsers and help text. */
export const FEED_FORMATS: readonly FeedFormat[] = Object.freeze(['alpaca', 'polygon']);

/** What one message of a feed said: bars, control events of the handshake, and items that were not bars. */
export interface FeedMessage {
  readonly bars: Bar[];
  /** Handshake and status events, normalised: `connected`, `authenticated`, `subscribed`, `auth_failed`, `error`. */
  readonly events: {
    kind: 'connected' | 'authenticated' | 'subscribed' | 'auth_failed' | 'error';
    text: string;
  }[];
  /** Items that could not be read, each with why (`where` included). */
  readonly malformed: string[];
}

function num(o: Record<string, unknown>, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new LiveFeedError(where, `"${key}" must be a finite number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new LiveFeedError(where, `"${key}" must be a string`);
  return v;
}

/** One Alpaca v2 bar item (`T` "b" a minute bar, "u" an updated bar) to a checked bar. */
function alpacaBar(o: Record<string, unknown>, where: string): Bar {
  const t = str(o, 't', where);
  const startMs = Date.parse(t);
  if (Number.isNaN(startMs) || !/[zZ]|[+-]\d\d:?\d\d$/.test(t))
    throw new LiveFeedError(where, `"t" ${JSON.stringify(t)} is not an RFC 3339 time with a zone`);
  return validateBar(
    {
      symbol: str(o, 'S', where),
      startMs,
      open: num(o, 'o', where),
      high: num(o, 'h', where),
      low: num(o, 'l', where),
      close: num(o, 'c', where),
      volume: num(o, 'v', where),
    },
    where,
  );
}

/** One Polygon/Massive aggregate-minute item (`ev` "AM") to a checked bar; `s`/`e` are epoch ms. */
function polygonBar(o: Record<string, unknown>, where: string): Bar {
  const startMs = num(o, 's', where);
  const endMs = num(o, 'e', where);
  if (endMs - startMs !== 60_000)
    throw new LiveFeedError(
      where,
      `an aggregate minute must span 60000 ms, "s".."e" spans ${endMs - startMs}`,
    );
  return validateBar(
    {
      symbol: str(o, 'sym', where),
      startMs,
      open: num(o, 'o', where),
      high: num(o, 'h', where),
      low: num(o, 'l', where),
      close: num(o, 'c', where),
      volume: num(o, 'v', where),
    },
    where,
  );
}

/**
 * Reads one WebSocket text message of a feed (both formats send a JSON array of items). A message that is
 * not JSON, or an item that is not a valid bar, is reported in `malformed` and never throws: one bad item
 * costs that item only. Items of other kinds (trades, quotes) are ignored.
 */
export function readFeedMessage(format: FeedFormat, text: string, where: string): FeedMessage {
  const out: FeedMessage = { bars: [], events: [], malformed: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    out.malformed.push(`${where}: not JSON: ${(e as Error).message}`);
    return out;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  items.forEach((item: unknown, i) => {
    const at = items.length > 1 ? `${where}[${i}]` : where;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      out.malformed.push(`${at}: expected an object`);
      return;
    }
    const o = item as Record<string, unknown>;
    try {
      if (format === 'alpaca') {
        const kind = o.T;
        if (kind === 'b' || kind === 'u') out.bars.push(alpacaBar(o, at));
        else if (kind === 'success') {
          out.events.push({
            kind: o.msg === 'authenticated' ? 'authenticated' : 'connected',
            text: String(o.msg),
          });
        } else if (kind === 'subscription')
          out.events.push({ kind: 'subscribed', text: JSON.stringify(o.bars) });
        else if (kind === 'error') {
          // 402 auth failed, 404 auth timeout, 406 connection limit: a retry with the same key fails alike.
          const code = typeof o.code === 'number' ? o.code : 0;
          out.events.push({
            kind: code === 402 || code === 404 || code === 406 ? 'auth_failed' : 'error',
            text: `${code} ${String(o.msg)}`,
          });
        } else if (typeof kind !== 'string') out.malformed.push(`${at}: no "T" (message type)`);
      } else {
        const ev = o.ev;
        if (ev === 'AM') out.bars.push(polygonBar(o, at));
        else if (ev === 'status') {
          const status = String(o.status);
          const message = String(o.message);
          if (status === 'connected') out.events.push({ kind: 'connected', text: message });
          else if (status === 'auth_success') out.events.push({ kind: 'authenticated', text: message });
          else if (status === 'auth_failed') out.events.push({ kind: 'auth_failed', text: message });
          else if (status === 'success' && message.startsWith('subscribed'))
            out.events.push({ kind: 'subscribed', text: message });
          else if (status === 'error') out.events.push({ kind: 'error', text: message });
        } else if (typeof ev !== 'string') out.malformed.push(`${at}: no "ev" (event type)`);
      }
    } catch (e) {
      out.malformed.push((e as Error).message);
    }
  });
  return out;
}

/** The client's messages of the handshake: authenticate, then subscribe to minute bars of `symbols`. */
export function handshakeMessages(
  format: FeedFormat,
  credentials: { key?: string | undefined; secret?: string | undefined },
  symbols: readonly string[],
): { auth: string; subscribe: string } {
  if (format === 'alpaca') {
    return {
      auth: JSON.stringify({ action: 'auth', key: credentials.key ?? '', secret: credentials.secret ?? '' }),
      subscribe: JSON.stringify({ action: 'subscribe', bars: symbols }),
    };
  }
  return {
    auth: JSON.stringify({ action: 'auth', params: credentials.key ?? '' }),
    subscribe: JSON.stringify({ action: 'subscribe', params: symbols.map((s) => `AM.${s}`).join(',') }),
  };
}

/** One bar as an item of the format (the `u` kind of Alpaca for a correction). */
export function feedItem(format: FeedFormat, bar: Bar, correction = false): Record<string, unknown> {
  if (format === 'alpaca') {
    return {
      T: correction ? 'u' : 'b',
      S: bar.symbol,
      o: bar.open,
      h: bar.high,
      l: bar.low,
      c: bar.close,
      v: bar.volume,
      t: new Date(bar.startMs).toISOString().replace('.000Z', 'Z'),
    };
  }
  return {
    ev: 'AM',
    sym: bar.symbol,
    o: bar.open,
    h: bar.high,
    l: bar.low,
    c: bar.close,
    v: bar.volume,
    s: bar.startMs,
    e: bar.startMs + 60_000,
  };
}
