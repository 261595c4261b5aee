import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { targetNames } from './reports.js';
import { InvalidArgumentError, isTspodError } from '../../../util/errors.js';

interface Options {
  condition?: string[];
  ignore?: boolean;
  latest?: boolean;
  interval?: string;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [CONTAINER...]',
  description: 'Blocks until one or more containers stop (or meet --condition) and prints their exit codes.',
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('--condition <state>', 'condition to wait on', collect)
      .option('--ignore', 'ignore if a container does not exist')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('-i, --interval <duration>', 'time interval to wait before polling for completion', '250ms');
  },
  async run(ctx, args, opts) {
    if (!opts.latest && args.length === 0) throw new InvalidArgumentError('at least one container name or ID must be given');
    const engine = await ctx.engine();
    const names = await targetNames(engine, args, opts.latest);
    const reports = await engine.containers.wait(names, { conditions: opts.condition, ignore: opts.ignore });
    let code = 0;
    for (const r of reports) {
      if (r.error) {
        ctx.err(`Error: ${r.error.message}\n`);
        code = isTspodError(r.error) ? r.error.exitCode : 125;
      } else {
        ctx.out(`${r.exitCode}\n`);
      }
    }
    return code;
  },
});
