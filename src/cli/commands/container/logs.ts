import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { targetNames } from './reports.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  follow?: boolean;
  latest?: boolean;
  names?: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps?: boolean;
  color?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Fetches the logs of one or more containers (k8s-file log driver).',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-f, --follow', 'follow log output until the container stops')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-n, --names', 'output the container name in the log')
      .option('--since <time>', 'show logs since TIMESTAMP (RFC 3339, Unix seconds or a duration like 10m)')
      .option('--until <time>', 'show logs until TIMESTAMP')
      .option('--tail <lines>', 'output the specified number of lines at the end of the logs (-1 for all)', '-1')
      .option('-t, --timestamps', 'output the timestamps in the log')
      .option('--color', 'output the containers with different colors in the log');
  },
  async run(ctx, args, opts) {
    const { parseLogTime } = await import('../../../engine/logs/k8sFile.js');
    if (!opts.latest && args.length === 0) throw new InvalidArgumentError('you must provide at least one name or id');
    const tail = Number(opts.tail ?? '-1');
    if (!Number.isInteger(tail)) throw new InvalidArgumentError(`invalid --tail "${opts.tail}": give a whole number, -1 for all`);
    const parse = (flag: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      try {
        return parseLogTime(v);
      } catch (e) {
        throw new InvalidArgumentError(`invalid ${flag}: ${(e as Error).message}`);
      }
    };
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    await engine.containers.logs(
      names,
      {
        follow: opts.follow,
        tail: tail < 0 ? undefined : tail,
        since: parse('--since', opts.since),
        until: parse('--until', opts.until),
        timestamps: opts.timestamps,
        names: opts.names || names.length > 1,
      },
      { stdout: process.stdout, stderr: process.stderr },
    );
  },
});
