import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  latest?: boolean;
  import?: string;
  name?: string;
  keep?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Restores one or more checkpointed containers, or with --import a new one from an exported checkpoint.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'restore all checkpointed containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-i, --import <file>', 'restore from an exported checkpoint archive (checkpoint --export)')
      .option('-n, --name <name>', 'with --import: the name of the restored container')
      .option('-k, --keep', 'keep all temporary checkpoint files')
      .option('--tcp-established', 'restore a container with established TCP connections')
      .option('--file-locks', 'restore a container with file locks');
  },
  async run(ctx, args, opts) {
    if (opts.name && !opts.import) throw new InvalidArgumentError('--name can only be used with --import');
    const engine = await ctx.engine();
    const common = { keep: opts.keep, tcpEstablished: opts.tcpEstablished, fileLocks: opts.fileLocks };
    if (opts.import) {
      if (args.length || opts.all || opts.latest) throw new InvalidArgumentError('--import restores a new container: give no container names, --all or --latest');
      return printActionReports(ctx, await engine.containers.restore([], { ...common, import: opts.import, name: opts.name }), { printIds: true });
    }
    checkTargets(args, opts);
    const names = await targetNames(engine, args, opts.latest);
    return printActionReports(ctx, await engine.containers.restore(names, { ...common, all: opts.all }), { printIds: opts.all });
  },
});
