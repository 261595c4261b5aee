import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { latestPod } from './common.js';

interface Options {
  container?: string;
  follow?: boolean;
  latest?: boolean;
  names?: boolean;
  since?: string;
  until?: string;
  tail: string;
  timestamps?: boolean;
  color?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] POD',
  description: 'Fetches the logs of the containers of a pod.',
  examples: ['tspod pod logs podID', 'tspod pod logs -c ctrname podName', 'tspod pod logs --tail 2 mywebserver', 'tspod pod logs --follow --since 10m podID'],
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd
      .argument('[pod...]')
      .option('-c, --container <name>', 'Filter logs by container name or id which belongs to pod')
      .option('-f, --follow', 'Follow log output')
      .option('-l, --latest', 'Act on the latest pod tspod is aware of')
      .option('-n, --names', 'Output container names instead of container IDs in the log')
      .option('--since <time>', 'Show logs since TIMESTAMP')
      .option('--until <time>', 'Show logs until TIMESTAMP')
      .option('--tail <lines>', 'Output the specified number of LINES at the end of the logs', '-1')
      .option('-t, --timestamps', 'Output the timestamps in the log')
      .option('--color', 'Output the containers within a pod with different colors in the log');
  },
  async run(ctx, args, opts) {
    if (args.length > 1) throw new InvalidArgumentError('requires exactly 1 arg');
    if (opts.latest && args.length > 0) throw new InvalidArgumentError('--latest and pods cannot be used together');
    if (!opts.latest && args.length < 1) throw new InvalidArgumentError('specify at least one pod name or ID to log');
    if (!/^[+-]?\d+$/.test(opts.tail)) {
      throw new InvalidArgumentError(`invalid argument "${opts.tail}" for "--tail" flag: strconv.ParseInt: parsing "${opts.tail}": invalid syntax`);
    }
    const tail = Number(opts.tail);
    const { parseLogTime } = await import('../../../engine/logs/k8sFile.js');
    const parse = (flag: string, value: string | undefined): Date | undefined => {
      if (value === undefined || value === '') return undefined;
      try {
        return parseLogTime(value);
      } catch (e) {
        throw new InvalidArgumentError(`parsing ${flag} ${JSON.stringify(value)}: ${(e as Error).message}`);
      }
    };
    const since = parse('--since', opts.since);
    const until = parse('--until', opts.until);
    const engine = await ctx.engine();
    let pod = args[0];
    if (opts.latest) pod = latestPod(await engine.pods.list()).Id;
    await engine.pods.logs(
      pod!,
      {
        container: opts.container || undefined,
        follow: opts.follow,
        tail: tail < 0 ? undefined : tail,
        since,
        until,
        timestamps: opts.timestamps,
        names: opts.names,
      },
      { stdout: process.stdout, stderr: process.stderr },
    );
  },
});
