import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { checkPodTargets, parseUint, printPodReports, readPodIdFiles } from './common.js';

interface Options {
  all?: boolean;
  force?: boolean;
  ignore?: boolean;
  latest?: boolean;
  podIdFile?: string[];
  time?: string;
}

export default defineCommand<Options>({
  usage: '[options] POD [POD...]',
  description: 'Removes one or more stopped pods and their containers; with --force, stops their containers first.',
  examples: ['tspod pod rm mywebserverpod', 'tspod pod rm -f 860a4b23', 'tspod pod rm -f -a'],
  configure(cmd: Command) {
    cmd
      .argument('[pod...]')
      .option('-a, --all', 'Remove all pods')
      .option('-f, --force', 'Stop all containers of a running pod, then remove them and the pod')
      .option('-i, --ignore', 'Ignore errors when a specified pod is missing')
      .option('-l, --latest', 'Act on the latest pod tspod is aware of')
      .option('--pod-id-file <file>', 'Read the pod ID from the file', collect)
      .option('-t, --time <seconds>', 'Seconds to wait for pod stop before killing the container');
  },
  async run(ctx, args, opts) {
    const time = opts.time === undefined ? undefined : parseUint(opts.time, '-t, --time');
    checkPodTargets(args, opts);
    const names = [...args, ...readPodIdFiles(opts.podIdFile)];
    if (time !== undefined && !opts.force) throw new InvalidArgumentError('--force option must be specified to use the --time option');
    const engine = await ctx.engine();
    const reports = await engine.pods.remove(names, { all: opts.all, latest: opts.latest, force: opts.force, ignore: opts.ignore, timeout: time });
    return printPodReports(ctx, reports, { verb: 'removing', remove: { force: opts.force } });
  },
});
