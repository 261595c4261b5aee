import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { defineCommand, type CommandContext } from '../../command.js';
import { collect } from '../../output.js';

export default defineCommand<{ force?: boolean; filter?: string[] }>({
  usage: '[options]',
  description: 'Removes all networks not used by at least one container (never the default network). Prints the names removed.',
  configure(cmd: Command) {
    cmd.option('-f, --force', 'do not prompt for confirmation').option('--filter <filter>', "provide filter values (e.g. 'label=<key>=<value>')", collect);
  },
  async run(ctx, _args, opts) {
    if (!opts.force && !(await confirmOnStdout(ctx))) return 0;
    const removed = await (await ctx.engine()).networks.prune({ filters: opts.filter });
    for (const name of removed) ctx.out(`${name}\n`);
    return 0;
  },
});

/** podman network prune asks on stdout, not stderr. */
async function confirmOnStdout(ctx: CommandContext): Promise<boolean> {
  ctx.out('WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return answer.trim().toLowerCase().startsWith('y');
}
