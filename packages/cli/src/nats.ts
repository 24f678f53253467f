import type { Json } from '@sys/core';
import type { SysContext } from './commands.js';
import { natsAuthParams, natsConnection } from './nats-params.js';
import { param } from './params.js';
import { commandsFor } from './registry.js';

const define = commandsFor<SysContext>();

/** `nats status`: the runs on a NATS server — stream, last seq, snapshot, publisher and lag per follower. */
export const natsStatusCommand = define({
  namespace: 'nats',
  name: 'status',
  description: 'Runs published to NATS JetStream: stream, last seq, snapshot, publisher, lag per follower',
  params: {
    url: param.string({
      description: 'The NATS server',
      positional: true,
      default: 'nats://127.0.0.1:4222',
      placeholder: 'nats-url',
    }),
    name: param.string({ description: 'Only this run', placeholder: 'run' }),
    ...natsAuthParams,
  },
  examples: ['nats status', 'nats status nats://127.0.0.1:4222 --name day1'],
  handler: async (args, ctx) => {
    const { connectNats, natsStatus } = await import('@sys/nats');
    const nc = await connectNats({
      ...natsConnection(args.url, args, undefined, ctx),
      name: 'sys nats status',
    });
    try {
      const runs = await natsStatus(nc, args.name);
      if (runs.length === 0)
        ctx.out.note(`no runs on ${args.url}: start one with \`sys serve --publish ${args.url}\``);
      ctx.out.json(JSON.parse(JSON.stringify(runs)) as Json);
    } finally {
      await nc.close();
    }
  },
});
