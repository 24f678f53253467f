import { type Json, SysError, waitFor } from '@sys/core';
import type { SysContext } from './commands.js';
import { param } from './params.js';
import type { CommandEntry } from './registry.js';

/** `--server URL`: act on a running `sys serve` instead of this process's session. */
export const serverParam = param.string({
  description: 'Act on a running `sys serve` at this URL (or env SYS_SERVER) instead of a session here',
  placeholder: 'url',
});

/** A server answered with an error, or could not be reached. */
export class RemoteError extends SysError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** The server and token a command should use, or undefined to act in this process. */
export function remoteOf(
  args: Record<string, unknown>,
  ctx: SysContext,
): { url: string; token?: string } | undefined {
  const given = typeof args.server === 'string' ? args.server : ctx.env.SYS_SERVER;
  if (given === undefined || given === '') return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new RemoteError(
      'USAGE',
      `--server must be a URL such as http://127.0.0.1:7070, got ${JSON.stringify(given)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RemoteError(
      'USAGE',
      `--server must be an http:// or https:// URL, got ${JSON.stringify(given)}`,
    );
  }
  const token = ctx.env.SYS_TOKEN;
  return { url: url.origin, ...(token === undefined || token === '' ? {} : { token }) };
}

/** A small client of the server's HTTP routes for the CLI's one-shot commands. */
class Remote {
  constructor(
    readonly url: string,
    readonly token: string | undefined,
    readonly signal: AbortSignal,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }) };
  }

  async request(
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method: init.method ?? 'GET',
        headers: this.headers({
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        }),
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: this.signal,
      });
    } catch (e) {
      if (this.signal.aborted) throw e;
      throw new RemoteError(
        'SERVER_UNREACHABLE',
        `cannot reach ${this.url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}; is \`sys serve\` running there?`,
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let code = `HTTP_${res.status}`;
      let message = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
        code = body.error?.code ?? code;
        message = body.error?.message ?? message;
      } catch {
        // Not our JSON error body: show the start of the text.
      }
      throw new RemoteError(code, `${this.url}: ${message}`);
    }
    return res;
  }

  async json(path: string, init: { method?: string; body?: unknown } = {}): Promise<Json> {
    return (await (await this.request(path, init)).json()) as Json;
  }
}

/**
 * Runs a `system …` command against a server: the same command names and flags, the same output shapes
 * where the server has the same facts. Returns false when the command has no remote form.
 */
async function runRemote(
  name: string,
  args: Record<string, unknown>,
  ctx: SysContext,
  url: string,
  token: string | undefined,
): Promise<void> {
  const r = new Remote(url, token, ctx.signal);
  const control = async (action: string, body: Record<string, unknown> = {}) =>
    (await r.json(`/v1/control/${action}`, { method: 'POST', body })) as { state: string; speed: unknown };
  switch (name) {
    case 'start': {
      if (args.config !== undefined) {
        throw new RemoteError(
          'USAGE',
          "system start --server starts the server's own config; a local config file is not sent (start `sys serve CONFIG` instead)",
        );
      }
      if (args.speed !== undefined) await control('speed', { speed: args.speed });
      const s = await control('start');
      ctx.out.note(`started on ${url} (${s.state}, speed ${String(s.speed)})`);
      return;
    }
    case 'pause':
    case 'resume':
    case 'stop': {
      const s = await control(name);
      ctx.out.note(`${s.state} on ${url}`);
      return;
    }
    case 'speed': {
      await control('speed', { speed: args.speed });
      ctx.out.note(`speed ${String(args.speed)} on ${url}`);
      return;
    }
    case 'step': {
      await control('step', { minutes: args.minutes });
      ctx.out.note(`stepped ${String(args.minutes)} minute${args.minutes === 1 ? '' : 's'} on ${url}`);
      return;
    }
    case 'status': {
      ctx.out.json(await r.json('/v1/health'));
      return;
    }
    case 'wait': {
      for (;;) {
        const h = (await r.json('/v1/health')) as { state: string };
        if (h.state === 'stopped' || h.state === 'error') return;
        if (h.state === 'paused') {
          ctx.out.note(
            'system wait: the session on the server is paused; `system resume` or `system step N` first',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    case 'json': {
      if (args.out !== undefined) {
        throw new RemoteError(
          'USAGE',
          'system json --server prints the state; redirect it to a file (> state.json) instead of --out',
        );
      }
      const query = args.debug === true ? '?debug=1' : '';
      if (args.watch === true) {
        await watch(r, args.debug === true, (line) => ctx.out.line(line));
        return;
      }
      // Each CLI call is a new consumer of the server: its first answer is the complete state.
      const res = await r.request(`/v1/state${query}`);
      ctx.out.json((await res.json()) as Json);
      return;
    }
    default:
      throw new RemoteError('USAGE', `system ${name} has no --server form`);
  }
}

/**
 * Prints the server's envelopes as NDJSON, one per line, as the in-process `--watch` does, through
 * @sys/client over SSE — the same code path as any program following the server: it reconnects by itself,
 * resumes from its position, and checks each envelope's fingerprint (a resync prints the snapshot it got).
 * Runs until the command is cancelled (Ctrl-C).
 */
async function watch(r: Remote, debug: boolean, line: (text: string) => void): Promise<void> {
  const { createStateClient } = await import('@sys/client');
  const client = createStateClient({
    url: r.url,
    transport: 'sse',
    debug,
    ...(r.token === undefined ? {} : { token: r.token }),
  });
  const off = client.subscribe(({ envelope }) => line(JSON.stringify(envelope)));
  try {
    await waitFor<never>(() => undefined, r.signal);
  } catch {
    // Ctrl-C or SIGTERM: the normal way to stop following.
  } finally {
    off();
    client.close();
  }
}

/**
 * The same command, acting on a server when `--server` (or SYS_SERVER) is given. Only `system …`
 * commands are wrapped; the others have no remote form.
 */
export function withRemote(entry: CommandEntry<SysContext>): CommandEntry<SysContext> {
  if (entry.namespace !== 'system') return entry;
  return {
    ...entry,
    params: { ...entry.params, server: serverParam },
    handler: async (args, ctx) => {
      const remote = remoteOf(args, ctx);
      if (remote === undefined) return entry.handler(args, ctx);
      return runRemote(entry.name, args, ctx, remote.url, remote.token);
    },
  };
}
