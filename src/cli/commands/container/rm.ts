import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';
import { parseTimeout } from './stop.js';
import { collectCidFile, idsFromCidFiles } from './cidfile.js';

interface Options {
  all?: boolean;
  force?: boolean;
  ignore?: boolean;
  latest?: boolean;
  volumes?: boolean;
  depend?: boolean;
  time?: string;
  cidfile?: string[];
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Removes one or more containers. Exit 1: a container did not exist; 2: a container is running (use -f).',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'remove all containers')
      .option('-f, --force', 'force removal of a running or unusable container')
      .option('-i, --ignore', 'ignore errors when a specified container is missing')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-v, --volumes', 'remove anonymous volumes associated with the container')
      .option('--depend', 'remove the container and all containers that depend on it')
      .option('-t, --time <seconds>', 'seconds to wait for stop before killing the container')
      .option('--cidfile <file>', 'read the container ID from the file', collectCidFile);
  },
  async run(ctx, args, opts) {
    if (opts.cidfile) {
      args = [...args, ...idsFromCidFiles(opts.cidfile, opts.ignore)];
      if (args.length === 0) return 0;
    }
    checkTargets(args, opts);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    const reports = await engine.containers.remove(names, {
      all: opts.all,
      force: opts.force,
      ignore: opts.ignore,
      volumes: opts.volumes,
      depend: opts.depend,
      timeout: parseTimeout(opts.time),
    });
    return printActionReports(ctx, reports, { printIds: opts.all, missingExit: 1 });
  },
});
