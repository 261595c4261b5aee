import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { parseTimeout } from '../container/stop.js';
import { InvalidArgumentError, NoSuchNetworkError } from '../../../util/errors.js';
import { exitCodeOf, requireArgs } from './common.js';

export default defineCommand<{ force?: boolean; time?: string }>({
  usage: '[options] NETWORK [NETWORK...]',
  description: 'Removes one or more networks. Exit 1: a network did not exist; 2: a network is in use (use -f).',
  configure(cmd: Command) {
    cmd
      .argument('[network...]')
      .option('-f, --force', 'remove any containers using network')
      .option('-t, --time <seconds>', 'seconds to wait for running containers to stop before killing the container');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { min: 1 });
    if (opts.time !== undefined && !opts.force) throw new InvalidArgumentError('--force option must be specified to use the --time option');
    const reports = await (await ctx.engine()).networks.remove(args, { force: opts.force, timeout: parseTimeout(opts.time) });
    const errors: Error[] = [];
    let code = 125;
    for (const r of reports) {
      if (!r.error) {
        ctx.out(`${r.name}\n`);
        continue;
      }
      const missing = r.error instanceof NoSuchNetworkError;
      if (missing && opts.force) continue;
      if (missing) code = 1;
      else if (exitCodeOf(r.error) === 2) code = 2;
      errors.push(r.error);
    }
    if (errors.length === 0) return 0;
    for (const e of errors) ctx.err(`Error: ${e.message}\n`);
    return code;
  },
});
