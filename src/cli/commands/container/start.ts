import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';
import { terminalStreams } from './attachStreams.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  attach?: boolean;
  interactive?: boolean;
  all?: boolean;
  latest?: boolean;
  detachKeys?: string;
  sigProxy?: boolean;
  filter?: string[];
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Starts one or more containers; with --attach, waits and exits with the container\'s code.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --attach', "attach the container's STDOUT and STDERR")
      .option('-i, --interactive', "attach the container's STDIN")
      .option('--all', 'start all containers regardless of their state or configuration')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('--detach-keys <keys>', 'override the key sequence for detaching a container')
      .option('--sig-proxy [bool]', 'proxy received signals to the process (default true if attaching)', (v: string) => v !== 'false')
      .option('-f, --filter <filter>', 'filter the containers to start', (v: string, p: string[] | undefined) => [...(p ?? []), v]);
  },
  async run(ctx, args, opts) {
    if (!opts.filter?.length || args.length > 0 || opts.latest) checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    if (opts.attach || opts.interactive) {
      if (names.length !== 1) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
      const info = (await engine.containers.inspect([names[0]!]))[0];
      if (info instanceof Error) throw info;
      const config = info.Config as { Tty: boolean };
      const { streams, restore } = terminalStreams({
        interactive: opts.interactive === true,
        tty: config.Tty,
        detachKeys: opts.detachKeys,
        sigProxy: opts.sigProxy !== false,
      });
      try {
        const result = await engine.containers.startAttached(names[0]!, streams);
        return result.detached ? 0 : result.exitCode;
      } finally {
        restore();
      }
    }
    return printActionReports(ctx, await engine.containers.start(names, { all: opts.all, filters: opts.filter }), { printIds: opts.all || (opts.filter?.length ?? 0) > 0 });
  },
});
