import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { accessOptions, addAccessFlags, expectArgs, type AccessFlags } from './flags.js';

export default defineCommand<AccessFlags>({
  usage: '[options] LIST',
  description: 'Displays a manifest list or image index: a local list, or else the manifest the name has in its registry.',
  examples: ['tspod manifest inspect localhost/list', 'tspod manifest inspect quay.io/org/multiarch:tag'],
  configure(cmd: Command) {
    cmd.argument('[args...]');
    addAccessFlags(cmd);
  },
  async run(ctx, args, opts) {
    const positional = [...args];
    const access = accessOptions(opts, positional);
    expectArgs(positional, 1, 1, 'inspect [options] LIST');
    const engine = await ctx.engine();
    const { json, warning } = await engine.manifests.inspect(positional[0]!, access);
    if (warning) ctx.err(`WARNING: ${warning}\n`);
    ctx.out(`${json}\n`);
  },
});
