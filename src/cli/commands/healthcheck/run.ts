import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

/** Exit 0 when the check passed, 1 (printing `unhealthy`) when it failed, 125 on errors. */
export default defineCommand<Record<string, never>>({
  usage: 'CONTAINER',
  description: 'Runs the health check of a container once and records its result.',
  configure(cmd: Command) {
    cmd.argument('[container]');
  },
  async run(ctx, args) {
    if (args.length !== 1) throw new InvalidArgumentError('requires exactly 1 argument: tspod healthcheck run CONTAINER');
    const status = await (await ctx.engine()).containers.healthcheck(args[0]!);
    const code = status === 'unhealthy' ? 1 : 0;
    if (code) ctx.out('unhealthy\n');
    // A check past its --health-timeout is recorded as failed, but its exec is still
    // running: the result is written, so end without waiting for it.
    setTimeout(() => process.exit(code), 50).unref();
    return code;
  },
});
