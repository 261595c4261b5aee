import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  latest?: boolean;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  export?: string;
  keep?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Checkpoints one or more running containers with CRIU (the kernel must allow it: see `criu check`).',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'checkpoint all running containers')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-R, --leave-running', 'leave the container running after writing the checkpoint')
      .option('--tcp-established', 'checkpoint a container with established TCP connections')
      .option('--file-locks', 'checkpoint a container with file locks')
      .option('-e, --export <file>', 'export the checkpoint image to a tar file')
      .option('-k, --keep', 'keep all temporary checkpoint files');
  },
  async run(ctx, args, opts) {
    checkTargets(args, opts);
    if (opts.export && (opts.all || args.length > 1)) throw new InvalidArgumentError('--export can only be used with one container');
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    const reports = await engine.containers.checkpoint(names, {
      all: opts.all,
      leaveRunning: opts.leaveRunning,
      tcpEstablished: opts.tcpEstablished,
      fileLocks: opts.fileLocks,
      export: opts.export,
      keep: opts.keep,
    });
    return printActionReports(ctx, reports, { printIds: opts.all });
  },
});
