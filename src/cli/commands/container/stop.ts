import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { checkTargets, printActionReports, targetNames } from './reports.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { collectCidFile, idsFromCidFiles } from './cidfile.js';

interface Options {
  all?: boolean;
  ignore?: boolean;
  latest?: boolean;
  time?: string;
  cidfile?: string[];
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Stops one or more running containers: the stop signal, then SIGKILL after the timeout.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'stop all running containers')
      .option('-i, --ignore', 'ignore errors when a specified container is missing')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-t, --time <seconds>', 'seconds to wait for stop before killing the container')
      .option('--cidfile <file>', 'read the container ID from the file', collectCidFile);
  },
  async run(ctx, args, opts) {
    if (opts.cidfile) {
      args = [...args, ...idsFromCidFiles(opts.cidfile, opts.ignore)];
      if (args.length === 0) return 0;
    }
    checkTargets(args, opts);
    const timeout = parseTimeout(opts.time);
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    return printActionReports(ctx, await engine.containers.stop(names, { all: opts.all, ignore: opts.ignore, timeout }), { printIds: opts.all });
  },
});

export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`invalid timeout "${value}": give whole seconds`);
  const n = Number(value);
  return n < 0 ? 2 ** 31 : n;
}
