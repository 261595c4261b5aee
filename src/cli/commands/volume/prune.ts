import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';

export default defineCommand<{ force?: boolean; filter?: string[] }>({
  usage: '[options]',
  description: 'Volumes that are not currently owned by a container will be removed. Prints the names removed.',
  configure(cmd: Command) {
    cmd.option('-f, --force', 'do not prompt for confirmation').option('--filter <filter>', "provide filter values (e.g. 'label=<key>=<value>')", collect);
  },
  async run(ctx, _args, opts) {
    const engine = await ctx.engine();
    if (!opts.force) {
      const unused = await engine.volumes.list({ filters: [...(opts.filter ?? []), 'dangling=true'] });
      ctx.out('WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n');
      for (const v of unused) ctx.out(`${v.Name}\n`);
      ctx.out('Are you sure you want to continue? [y/N] ');
      const rl = createInterface({ input: process.stdin });
      const answer = await new Promise<string>((resolve) => {
        rl.once('line', resolve);
        rl.once('close', () => resolve(''));
      });
      rl.close();
      if (!answer.trim().toLowerCase().startsWith('y')) return 0;
    }
    for (const { name } of await engine.volumes.prune({ filters: opts.filter })) ctx.out(`${name}\n`);
    return 0;
  },
});
