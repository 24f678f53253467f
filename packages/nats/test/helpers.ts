import { type SysServer, startServer } from '@sys/server';
import { JsonPatchCopy, type WireEnvelope } from '@sys/server/testing';
import { SystemManager, sampleConfig } from '@sys/system-manager';
import { EventSource } from 'eventsource';
import jsonpatch from 'fast-json-patch';
import { afterEach } from 'vitest';
import { type PublisherOptions, type ReplicaOptions, startPublishing } from '../src/index.js';
import { NatsServer } from '../src/testing.js';

/** What a test file undoes after each test, last first (clients, replicas, publishers, then nats-server). */
export type Cleanup = Array<() => Promise<void> | void>;

/** The file's Cleanup list, run (last first) after each test, with time for servers to stop. */
export function cleanupAfterEach(): Cleanup {
  const cleanup: Cleanup = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  }, 60_000);
  return cleanup;
}

/** A real nats-server (`args`: extra flags), disposed of by `cleanup`. */
export async function natsServer(cleanup: Cleanup, args: readonly string[] = []): Promise<NatsServer> {
  const s = await NatsServer.start(args);
  cleanup.push(() => s.dispose());
  return s;
}

/** A publisher: the AAPL day's manager (not started), its server, and a publisher of its hub on `run`. */
export async function publisherOf(
  cleanup: Cleanup,
  nats: NatsServer,
  run: string,
  options: Partial<PublisherOptions> = {},
) {
  const manager = new SystemManager(sampleConfig());
  const server = await startServer({ manager, port: 0, tickMs: 1 });
  const owned = await startPublishing({
    hub: server.hub,
    run,
    nats: { url: nats.url },
    publishTimeoutMs: 500,
    ...options,
  });
  cleanup.push(async () => {
    await manager.stop().catch(() => undefined);
    await owned.close(1000);
    await server.close();
  });
  return { manager, server, publisher: owned.publisher };
}

/** A paused run at the open (09:30, where the sample's bars begin), moved by the test with `minutes`. */
export async function startPaused(manager: SystemManager): Promise<void> {
  await manager.start();
  manager.pause();
  await manager.step(330);
}

/** `n` market minutes, one at a time, each sampled by the server as its own position. */
export async function minutes(manager: SystemManager, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await manager.step(1);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The options of a replica that keeps a checkpoint file (written every 50 ms) and resyncs fast: the same
 * in-process (checkpoint.test.ts) and in its own process (replica-process.ts).
 */
export function checkpointingReplica(url: string, run: string, checkpointFile: string): ReplicaOptions {
  return {
    nats: { url },
    run,
    checkpointFile,
    checkpointEveryMs: 50,
    resyncDelayMs: 50,
    snapshotWaitMs: 5000,
    server: { port: 0 },
  };
}

/**
 * An SSE client of a server (publisher or replica) keeping a copy with fast-json-patch (an applier nobody
 * here wrote); a delta that does not start where the copy is goes to `errors`.
 */
export class SseCopy extends JsonPatchCopy {
  readonly errors: string[] = [];
  readonly es: EventSource;

  /** Follows `server`; with `resume`, from that copy's state and position (sent as Last-Event-ID). */
  constructor(server: SysServer, resume?: SseCopy) {
    super();
    const lastEventId = resume?.position;
    if (resume !== undefined) {
      this.state = resume.state;
      this.epoch = resume.epoch;
      this.seq = resume.seq;
    }
    this.es = new EventSource(`${server.url}/v1/stream`, {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: {
            ...(init?.headers as Record<string, string>),
            ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
          },
        }),
    });
    for (const type of ['snapshot', 'delta']) {
      this.es.addEventListener(type, (m) => this.apply(JSON.parse(m.data) as WireEnvelope));
    }
  }

  protected override onGap(detail: string): void {
    this.errors.push(detail);
  }

  close(): void {
    this.es.close();
  }
}

/** Polls `check` every 20 ms until it is true, or fails after `timeoutMs` with `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: () => string,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The publisher's complete state and its position (from the ETag). */
export async function stateOf(server: SysServer): Promise<{ position: string; state: unknown }> {
  const res = await fetch(`${server.url}/v1/state`);
  const state = (await res.json()) as unknown;
  return { position: (res.headers.get('etag') ?? '').replaceAll('"', ''), state };
}

/**
 * Waits until every copy is at the publisher's position and equal to its GET /v1/state there; fails with
 * the last difference seen.
 */
export async function expectAllExact(publisher: SysServer, copies: ReadonlyArray<SseCopy>): Promise<void> {
  let last = '';
  await until(
    async () => {
      const at = await stateOf(publisher);
      for (const [i, c] of copies.entries()) {
        if (c.position !== at.position) {
          last = `copy ${i} at ${c.position}, publisher at ${at.position}`;
          return false;
        }
        const ops = jsonpatch.compare(c.state as object, at.state as object);
        if (ops.length > 0) {
          last = `copy ${i} differs at ${at.position}: ${JSON.stringify(ops).slice(0, 300)}`;
          return false;
        }
      }
      return true;
    },
    () => last,
  );
}
