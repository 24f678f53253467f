import { spawn } from 'node:child_process';
import { waitFor } from '@sys/core';
import type { FollowConfig } from '@sys/system-manager';
import type { SysContext } from './commands.js';
import { UsageError } from './errors.js';
import { type NatsArgs, natsAuthParams, natsConnection } from './nats-params.js';
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
      config: {
        ...configParam,
        description:
          `${configParam.description}. A "publish" section publishes to NATS; a replica's config is ` +
          '{ "follow": { "url", "name", "checkpoint", … } }; flags override both',
      },
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
      'serve --follow nats://127.0.0.1:4222 --name day1 --port 7071 --checkpoint day1.ckpt',
      'serve ./replica.json --port 7071',
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
      // The config file may be a session (perhaps with `publish`) or a replica's `{ "follow": … }`.
      const { isReplicaConfig, loadServeConfig } = await import('@sys/system-manager');
      const file = args.config === undefined ? undefined : await loadServeConfig(args.config);
      const followConfig = file !== undefined && isReplicaConfig(file) ? file.follow : undefined;
      const publishConfig = file !== undefined && !isReplicaConfig(file) ? file.publish : undefined;
      if (args.follow !== undefined && publishConfig !== undefined) {
        throw new UsageError(
          `serve: --follow and the publish section of ${args.config} exclude each other (a replica does not publish)`,
          'serve',
        );
      }
      if (args.publish !== undefined && followConfig !== undefined) {
        throw new UsageError(
          `serve: --publish and ${args.config}, a replica's config (follow), exclude each other`,
          'serve',
        );
      }
      const followUrl = args.follow ?? followConfig?.url;
      if (followUrl !== undefined) {
        await serveReplica({ ...args, follow: followUrl }, followConfig, token, ctx);
        return;
      }
      if (args.checkpoint !== undefined) {
        throw new UsageError(
          'serve: --checkpoint is for a replica (--follow URL, or follow in the config)',
          'serve',
        );
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
      // Flags override the config's publish section, value by value.
      const publishUrl = args.publish ?? publishConfig?.url;
      const run = args.name ?? publishConfig?.name ?? DEFAULT_RUN;
      const maxAgeS = args.maxAge ?? publishConfig?.max_age_seconds;
      const maxBytes = args.maxBytes ?? publishConfig?.max_bytes;
      const snapshotEvery = args.snapshotEvery ?? publishConfig?.snapshot_every;
      const snapshotS = args.snapshotSeconds ?? publishConfig?.snapshot_seconds;
      const nats = publishUrl === undefined ? undefined : await import('@sys/nats');
      const publishing =
        publishUrl === undefined || nats === undefined
          ? undefined
          : await nats
              .startPublishing({
                hub: server.hub,
                run,
                nats: natsConnection(publishUrl, args, publishConfig, ctx),
                ...(maxAgeS === undefined ? {} : { maxAgeMs: maxAgeS * 1000 }),
                ...(maxBytes === undefined ? {} : { maxBytes }),
                ...(snapshotEvery === undefined ? {} : { snapshotEverySeq: snapshotEvery }),
                ...(snapshotS === undefined ? {} : { snapshotEveryMs: snapshotS * 1000 }),
              })
              .catch(async (error: unknown) => {
                await server.close();
                await ctx.session.close();
                throw error;
              });
      if (publishing !== undefined && nats !== undefined) {
        ctx.out.note(
          `publishing every position to NATS ${nats.redact(publishUrl ?? '')} as run ${run} (stream sys_${run})`,
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

/** The run name on NATS when neither `--name` nor the config gives one. */
const DEFAULT_RUN = 'sys';

/** NATS options of `serve`: publish to JetStream, or follow a run there as a replica (flags win over the config's `publish` / `follow`). */
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
    description: 'The run name on NATS (stream sys_<name>; default sys); followers use the publisher’s',
    placeholder: 'run',
  }),
  checkpoint: param.path({
    description: 'Replica: keep its position in this file and resume from it after a restart',
    placeholder: 'file',
  }),
  ...natsAuthParams,
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

/** Why a checkpoint file was not used, as the replica's start line says it. */
const CHECKPOINT_REASONS: Record<string, string> = {
  missing: 'no checkpoint file yet',
  other_run: 'the checkpoint is of another run',
  corrupt: 'the checkpoint file is unreadable or broken',
  fingerprint: 'the checkpoint’s state does not match its fingerprint',
  not_retained: 'the stream no longer holds the messages after the checkpoint',
  stream_changed: 'the run’s stream was made again since the checkpoint',
};

/** `serve --follow` (or a replica config): a replica of a published run, until Ctrl-C. */
async function serveReplica(
  args: NatsArgs & {
    follow: string;
    name?: string | undefined;
    checkpoint?: string | undefined;
    host: string;
    port: number;
  },
  file: FollowConfig | undefined,
  token: string | undefined,
  ctx: SysContext,
): Promise<void> {
  const { redact, startReplica } = await import('@sys/nats');
  const run = args.name ?? file?.name ?? DEFAULT_RUN;
  const checkpointFile = args.checkpoint ?? file?.checkpoint;
  const replica = await startReplica({
    nats: natsConnection(args.follow, args, file, ctx),
    run,
    ...(checkpointFile === undefined ? {} : { checkpointFile }),
    server: { host: args.host, port: args.port, ...(token === undefined ? {} : { token }) },
  });
  const p = replica.follower.position;
  const s = replica.follower.stats();
  if (checkpointFile !== undefined) {
    ctx.out.note(
      s.resumedFrom === 'checkpoint'
        ? `resumed from checkpoint ${checkpointFile} at ${p.epoch}:${p.seq} (stream message ${s.streamSeq}); no snapshot loaded`
        : `loaded the snapshot at ${p.epoch}:${p.seq}: ${CHECKPOINT_REASONS[s.checkpointRejected ?? ''] ?? 'checkpoint not used'} (${s.checkpointRejected}: ${s.checkpointDetail})`,
    );
  }
  ctx.out.note(
    `replica of run ${run} (NATS ${redact(args.follow)}) at ${p.epoch}:${p.seq}, serving ${replica.server.url} read-only; Ctrl-C stops`,
  );
  ctx.out.line(JSON.stringify({ url: replica.server.url }));
  try {
    await waitFor<never>(() => undefined, ctx.signal);
  } catch {
    // Ctrl-C or SIGTERM.
  }
  ctx.out.note('stopping: each client gets its last envelope');
  await replica.close();
  const end = replica.follower.stats();
  if (end.checkpointErrors > 0) {
    ctx.out.note(`the checkpoint could not be written ${end.checkpointErrors} times: ${end.checkpointError}`);
  }
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
