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
    },
    examples: ['serve', 'serve ./session.json --speed 60 --port 7070', 'serve --token s3cret --host 0.0.0.0'],
    handler: async (args, ctx) => {
      const token = args.token ?? ctx.env.SYS_TOKEN;
      if (token === undefined && !/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(args.host)) {
        throw new UsageError(
          `serve: --host ${args.host} exposes the session beyond this machine; give --token (or SYS_TOKEN) too`,
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
        ...(ctx.env.SYS_DASHBOARD_DIR === undefined ? {} : { staticDir: ctx.env.SYS_DASHBOARD_DIR }),
      });
      ctx.out.note(
        `serving ${config.symbols.length === 1 ? config.symbols[0] : `${config.symbols.length} symbols`} at ${server.url} — ` +
          `GET /v1/state, /v1/stream (SSE), /v1/ws; control ${token === undefined ? 'off (no --token)' : 'on'}; Ctrl-C stops`,
      );
      // Machine-readable for scripts and tests that start it on port 0.
      ctx.out.line(JSON.stringify({ url: server.url }));
      if (args.open) openBrowser(server.url);
      try {
        await waitFor<never>(() => undefined, ctx.signal);
      } catch {
        // Ctrl-C or SIGTERM: the normal way to stop serving.
      }
      ctx.out.note('stopping: each client gets its last envelope');
      await server.close();
      await ctx.session.close();
    },
  });
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
