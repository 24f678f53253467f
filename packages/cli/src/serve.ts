import { spawn } from 'node:child_process';
import { waitFor } from '@sys/core';
import type { SysContext } from './commands.js';
import { UsageError } from './errors.js';
import { type Param, param } from './params.js';
import { type CommandEntry, commandsFor } from './registry.js';

const define = commandsFor<SysContext>();

/**
 * `serve`: runs a session and serves it until Ctrl-C or SIGTERM, then stops accepting, sends every client
 * its last envelope and exits 0. Takes the config and speed parameters the other commands declare.
 */
export function serveCommand(
  configParam: Param<string, false>,
  speedParam: Param<number | 'max', false>,
): CommandEntry<SysContext> {
  return define({
    name: 'serve',
    description: 'Run a session and serve its state over HTTP, Server-Sent Events and WebSocket',
    params: {
      config: configParam,
      speed: speedParam,
      host: param.string({
        description: 'Interface to listen on (anything but loopback needs --token)',
        default: '127.0.0.1',
        placeholder: 'ip',
      }),
      port: param.number({
        description: 'Port to listen on (0: any free port)',
        integer: true,
        min: 0,
        max: 65535,
        default: 7070,
        placeholder: 'n',
      }),
      token: param.string({
        description: 'Bearer token clients must send (or env SYS_TOKEN); enables the control routes',
        placeholder: 'secret',
      }),
      open: param.boolean({ description: 'Open the served page in a browser' }),
      ...natsParams,
    },
    examples: [
      'serve',
      'serve ./session.json --speed 60 --port 7070',
      'serve --token s3cret --host 0.0.0.0',
      'serve --publish nats://127.0.0.1:4222 --name day1',
      'serve --follow nats://127.0.0.1:4222 --name day1 --port 7071',
    ],
    handler: async (args, ctx) => {
      const token = args.token ?? ctx.env.SYS_TOKEN;
      if (token === undefined && !/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(args.host)) {
        throw new UsageError(
          `serve: --host ${args.host} exposes the session beyond this machine; give --token (or SYS_TOKEN) too`,
          'serve',
        );
      }
      if (args.publish !== undefined && args.follow !== undefined) {
        throw new UsageError(
          'serve: --publish and --follow exclude each other (a replica does not publish)',
          'serve',
        );
      }
      if (args.follow !== undefined) {
        await serveReplica(args, token, ctx);
        return;
      }
      const config = await ctx.session.config(args.config, args.speed);
      const { startServer } = await import('@sys/server');
      const manager = await ctx.session.start(config, 'serve');
      const server = await startServer({
        manager,
        host: args.host,
        port: args.port,
        ...(token === undefined ? {} : { token }),
        ...(ctx.dashboardDir === undefined ? {} : { staticDir: ctx.dashboardDir }),
      });
      const publishing =
        args.publish === undefined
          ? undefined
          : await (await import('@sys/nats'))
              .startPublishing({
                hub: server.hub,
                run: args.name,
                nats: natsConnection(args.publish, args, ctx),
                ...(args.maxAge === undefined ? {} : { maxAgeMs: args.maxAge * 1000 }),
                ...(args.maxBytes === undefined ? {} : { maxBytes: args.maxBytes }),
                ...(args.snapshotEvery === undefined ? {} : { snapshotEverySeq: args.snapshotEvery }),
                ...(args.snapshotSeconds === undefined
                  ? {}
                  : { snapshotEveryMs: args.snapshotSeconds * 1000 }),
              })
              .catch(async (error: unknown) => {
                await server.close();
                await ctx.session.close();
                throw error;
              });
      if (publishing !== undefined) {
        ctx.out.note(
          `publishing every position to NATS ${args.publish} as run ${args.name} (stream sys_${args.name})`,
        );
      }
      // The page takes the token from its address (and keeps it out of the address bar once read).
      const page =
        ctx.dashboardDir === undefined
          ? undefined
          : `${server.url}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
      ctx.out.note(
        `serving ${config.symbols.length === 1 ? config.symbols[0] : `${config.symbols.length} symbols`} at ${server.url} — ` +
          `GET /v1/state, /v1/stream (SSE), /v1/ws; control ${token === undefined ? 'off (no --token)' : 'on'}; ` +
          `${page === undefined ? 'no dashboard in this build' : `dashboard ${server.url}/`}; Ctrl-C stops`,
      );
      // Machine-readable for scripts and tests that start it on port 0.
      ctx.out.line(JSON.stringify({ url: server.url }));
      if (args.open) {
        if (page === undefined) ctx.out.note('--open: this build has no dashboard; nothing to open');
        else openBrowser(page);
      }
      try {
        await waitFor<never>(() => undefined, ctx.signal);
      } catch {
        // Ctrl-C or SIGTERM: the normal way to stop serving.
      }
      ctx.out.note('stopping: each client gets its last envelope');
      await server.close();
      await publishing?.close();
      await ctx.session.close();
    },
  });
}

/** NATS options of `serve`: publish to JetStream, or follow a run there as a replica. */
const natsParams = {
  publish: param.string({
    description: 'Also publish every position to NATS JetStream at this URL (see @sys/nats)',
    placeholder: 'nats-url',
  }),
  follow: param.string({
    description: 'Be a replica: serve the run --name published at this NATS URL (no session here)',
    placeholder: 'nats-url',
  }),
  name: param.string({
    description: 'The run name on NATS (stream sys_<name>); followers use the publisher’s',
    default: 'sys',
    placeholder: 'run',
  }),
  natsToken: param.string({ description: 'NATS token (or env NATS_TOKEN)', placeholder: 'secret' }),
  natsCreds: param.path({ description: 'NATS credentials file (.creds)', placeholder: 'file' }),
  maxAge: param.number({
    description: 'Publisher: seconds an envelope stays in the stream (default 3600)',
    integer: true,
    min: 1,
    placeholder: 's',
  }),
  maxBytes: param.number({
    description: 'Publisher: most bytes the stream keeps (default 1 GiB)',
    integer: true,
    min: 1024,
    placeholder: 'n',
  }),
  snapshotEvery: param.number({
    description: 'Publisher: a snapshot to the object store every this many positions (default 1000)',
    integer: true,
    min: 1,
    placeholder: 'n',
  }),
  snapshotSeconds: param.number({
    description: 'Publisher: …or every this many seconds (default 10)',
    integer: true,
    min: 1,
    placeholder: 's',
  }),
};

interface NatsArgs {
  natsToken?: string | undefined;
  natsCreds?: string | undefined;
}

function natsConnection(url: string, args: NatsArgs, ctx: SysContext) {
  const token = args.natsToken ?? ctx.env.NATS_TOKEN;
  return {
    url,
    ...(token === undefined || token === '' ? {} : { token }),
    ...(args.natsCreds === undefined ? {} : { credsFile: args.natsCreds }),
  };
}

/** `serve --follow`: a replica of a published run, until Ctrl-C. */
async function serveReplica(
  args: NatsArgs & { follow?: string | undefined; name: string; host: string; port: number },
  token: string | undefined,
  ctx: SysContext,
): Promise<void> {
  const { startReplica } = await import('@sys/nats');
  const replica = await startReplica({
    nats: natsConnection(args.follow ?? '', args, ctx),
    run: args.name,
    server: { host: args.host, port: args.port, ...(token === undefined ? {} : { token }) },
  });
  const p = replica.follower.position;
  ctx.out.note(
    `replica of run ${args.name} (NATS ${args.follow}) at ${p.epoch}:${p.seq}, serving ${replica.server.url} read-only; Ctrl-C stops`,
  );
  ctx.out.line(JSON.stringify({ url: replica.server.url }));
  try {
    await waitFor<never>(() => undefined, ctx.signal);
  } catch {
    // Ctrl-C or SIGTERM.
  }
  ctx.out.note('stopping: each client gets its last envelope');
  await replica.close();
}

function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => {
    // No browser opener on this machine: the URL is printed above.
  });
  child.unref();
}
