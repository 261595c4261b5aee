import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<{ rootlessNetns?: boolean }>({
  usage: '[options] [COMMAND [ARG...]]',
  description: "Run a command (by default $SHELL) in tspod's rootless user namespace, as root of it.",
  examples: ['tspod unshare id', 'tspod unshare cat /proc/self/uid_map'],
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd.argument('[command...]');
    cmd.option('--rootless-netns', 'join the rootless network namespace of bridge networks');
  },
  async run(ctx, args, opts) {
    if (opts.rootlessNetns) {
      throw new InvalidArgumentError('--rootless-netns: rootless containers use pasta or slirp4netns, each in its own namespace, so there is no shared one to join');
    }
    return (await ctx.engine()).system.unshare(args);
  },
});
