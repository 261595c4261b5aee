import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { parseTimeout } from '../container/stop.js';
import { InvalidArgumentError, NoSuchVolumeError } from '../../../util/errors.js';
import { exitCodeOf } from '../network/common.js';

export default defineCommand<{ all?: boolean; force?: boolean; time?: string }>({
  usage: '[options] VOLUME [VOLUME...]',
  description: 'Remove one or more existing volumes. Exit 1: a volume did not exist; 2: a volume is in use (use -f).',
  configure(cmd: Command) {
    cmd
      .argument('[volume...]')
      .option('-a, --all', 'remove all volumes')
      .option('-f, --force', 'remove a volume by force, even if it is being used by a container')
      .option('-t, --time <seconds>', 'seconds to wait for running containers to stop before killing the container');
  },
  async run(ctx, args, opts) {
    if (opts.all && args.length > 0) throw new InvalidArgumentError('when using the --all flag, no other arguments should be given');
    if (!opts.all && args.length === 0) throw new InvalidArgumentError('choose either one or more volumes or all');
    const reports = await (await ctx.engine()).volumes.remove(args, { all: opts.all, force: opts.force, timeout: parseTimeout(opts.time) });
    const errors: Error[] = [];
    let code = 125;
    for (const r of reports) {
      if (!r.error) {
        ctx.out(`${r.name}\n`);
        continue;
      }
      if (r.error instanceof NoSuchVolumeError) code = 1;
      else if (exitCodeOf(r.error) === 2) code = 2;
      errors.push(r.error);
    }
    if (errors.length === 0) return 0;
    for (const e of errors) ctx.err(`Error: ${e.message}\n`);
    return code;
  },
});
