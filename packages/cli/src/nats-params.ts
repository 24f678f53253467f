import type { SysContext } from './commands.js';
import { param } from './params.js';

/** How a command authenticates to NATS: `--nats-token` and `--nats-creds` (shared by `serve` and `nats status`). */
export const natsAuthParams = {
  natsToken: param.string({ description: 'NATS token (or env NATS_TOKEN)', placeholder: 'secret' }),
  natsCreds: param.path({ description: 'NATS credentials file (.creds)', placeholder: 'file' }),
};

/** The NATS auth flags as a handler receives them. */
export interface NatsArgs {
  natsToken?: string | undefined;
  natsCreds?: string | undefined;
}

/** The config's own way to NATS (its `publish` or `follow` section). */
export interface NatsFileConfig {
  readonly token?: string | undefined;
  readonly creds_file?: string | undefined;
}

/** The connection: flags first, then NATS_TOKEN, then the config's section (when there is one). */
export function natsConnection(
  url: string,
  args: NatsArgs,
  file: NatsFileConfig | undefined,
  ctx: SysContext,
) {
  const token = args.natsToken ?? ctx.env.NATS_TOKEN ?? file?.token;
  const creds = args.natsCreds ?? file?.creds_file;
  return {
    url,
    ...(token === undefined || token === '' ? {} : { token }),
    ...(creds === undefined ? {} : { credsFile: creds }),
  };
}
