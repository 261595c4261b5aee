import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { TspodError } from '../../../util/errors.js';
import { printPodReports } from './common.js';

export default defineCommand<{ force?: boolean }>({
  usage: '[options]',
  description: 'Removes all stopped pods and their containers.',
  configure(cmd: Command) {
    cmd.argument('[arguments...]').option('-f, --force', 'Do not prompt for confirmation');
  },
  async run(ctx, args, opts) {
    if (args.length > 0) throw new TspodError('`tspod pod prune` takes no arguments');
    if (!opts.force) {
      ctx.out('WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue? [y/N] ');
      if (!/^y/i.test(await readAnswer())) return 0;
    }
    const reports = await (await ctx.engine()).pods.prune();
    return printPodReports(ctx, reports, { verb: 'removing' });
  },
});

/** One line of stdin; like podman, end of input before a full line is an error. */
async function readAnswer(): Promise<string> {
  const rl = createInterface({ input: process.stdin });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new TspodError('EOF')));
    });
  } finally {
    rl.close();
  }
}
