import type { NatsConnection } from '@nats-io/transport-node';
import { type ServerOptions, type SysServer, startServer } from '@sys/server';
import { connectNats, type NatsConnectOptions } from './connect.js';
import { Follower, type FollowerOptions } from './follower.js';
import { Publisher, type PublisherOptions } from './publisher.js';

/** A replica: a follower of a run and a server of its copy. */
export interface Replica {
  readonly follower: Follower;
  readonly server: SysServer;
  /** Closes the server (clients get their last envelope and `shutdown`), the follower and the connection. */
  close(): Promise<void>;
}

/** Options of `startReplica`: where NATS is, the run, and the server's options (no manager). */
export interface ReplicaOptions extends Omit<FollowerOptions, 'nc'> {
  nats: NatsConnectOptions;
  server?: Omit<ServerOptions, 'manager' | 'hub'>;
}

/** Connects, follows `run` and serves the copy over HTTP, SSE and WebSocket with the publisher's positions. */
export async function startReplica(options: ReplicaOptions): Promise<Replica> {
  const { nats, server: serverOptions, ...rest } = options;
  const nc = await connectNats({ name: `sys replica ${options.run}`, ...nats });
  let follower: Follower;
  try {
    follower = await Follower.start({ ...rest, nc });
  } catch (error) {
    await nc.close();
    throw error;
  }
  const server = await startServer({ ...serverOptions, hub: follower.hub });
  return {
    follower,
    server,
    async close() {
      await server.close();
      await follower.close();
      await nc.close();
    },
  };
}

/** A publisher with its own connection (the CLI's `serve --publish`). */
export interface OwnedPublisher {
  readonly publisher: Publisher;
  readonly nc: NatsConnection;
  /** Publishes what is queued (up to `timeoutMs`), then closes the connection. */
  close(timeoutMs?: number): Promise<void>;
}

/** Connects and starts publishing `hub` as run `run`. */
export async function startPublishing(
  options: Omit<PublisherOptions, 'nc'> & { nats: NatsConnectOptions },
): Promise<OwnedPublisher> {
  const { nats, ...rest } = options;
  const nc = await connectNats({ name: `sys publisher ${options.run}`, ...nats });
  let publisher: Publisher;
  try {
    publisher = await Publisher.start({ ...rest, nc });
  } catch (error) {
    await nc.close();
    throw error;
  }
  return {
    publisher,
    nc,
    async close(timeoutMs = 5000) {
      await publisher.close(timeoutMs);
      await nc.close();
    },
  };
}
