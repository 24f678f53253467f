import { readFile } from 'node:fs/promises';
import {
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { NatsError } from './errors.js';

/** Where NATS is and how to log in. */
export interface NatsConnectOptions {
  /** `nats://host:port` (several comma-separated). User and password may be in the URL. */
  url: string;
  /** A token (the server's `authorization { token }`). */
  token?: string;
  /** A `.creds` file (JWT and NKey seed) as `nsc` writes it. */
  credsFile?: string;
  /** Name shown in the server's connection list. */
  name?: string;
  /** How long the first connection may take. Default 5 s. */
  timeoutMs?: number;
}

/**
 * Connects with reconnects forever (a restarted nats-server is found again); the first connection must
 * succeed, else a NatsError names the URL and why (unreachable, refused credentials).
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const servers = parseServers(options.url);
  const opts: NodeConnectionOptions = {
    servers,
    name: options.name ?? 'sys',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: options.timeoutMs ?? 5000,
    ...(options.token === undefined || options.token === '' ? {} : { token: options.token }),
  };
  if (options.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await readFile(options.credsFile);
    } catch (error) {
      throw new NatsError(
        'NATS_CREDS',
        `cannot read the NATS credentials file ${options.credsFile}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    opts.authenticator = credsAuthenticator(creds);
  }
  try {
    return await connect(opts);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    const auth = /authoriz|authentica|permission/i.test(message);
    throw new NatsError(
      auth ? 'NATS_AUTH' : 'NATS_CONNECT',
      auth
        ? `NATS at ${redact(options.url)} refused the credentials (${message}): check --nats-token / --nats-creds`
        : `cannot connect to NATS at ${redact(options.url)}: ${message} (is nats-server running with -js? see @sys/nats README)`,
      { cause: error },
    );
  }
}

/** The servers of a `nats://` URL list; throws a NatsError naming a bad one. */
export function parseServers(url: string): string[] {
  const list = url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.length === 0) throw new NatsError('NATS_URL', 'the NATS URL is empty; e.g. nats://127.0.0.1:4222');
  for (const s of list) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new NatsError('NATS_URL', `not a NATS URL: ${JSON.stringify(s)}; e.g. nats://127.0.0.1:4222`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') {
      throw new NatsError(
        'NATS_URL',
        `a NATS URL starts with nats:// (or tls://), got ${JSON.stringify(redact(s))}`,
      );
    }
  }
  return list;
}

/** The URL without a password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/g, '//$1:***@');
}
