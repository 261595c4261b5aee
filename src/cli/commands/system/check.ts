import type { Command } from 'commander';
import { defineCommand } from '../../command.js';

export default defineCommand<{ quick?: boolean; repair?: boolean; force?: boolean }>({
  usage: '[options]',
  description: 'Check storage for inconsistencies left by interrupted commands; with --repair, mend them.',
  configure(cmd: Command) {
    cmd
      .option('-q, --quick', 'skip the slower checks')
      .option('-r, --repair', 'remove what is damaged or left over')
      .option('-f, --force', 'with --repair, also remove containers whose storage is damaged');
  },
  async run(ctx, _args, opts) {
    const report = await (await ctx.engine()).system.check({ quick: opts.quick, repair: opts.repair, force: opts.force });
    if (!report.problems.length) {
      ctx.out('No problems found\n');
      return 0;
    }
    for (const p of report.problems) ctx.out(`${p.what}${p.repaired ? ': repaired' : ''}\n`);
    const left = report.problems.filter((p) => !p.repaired).length;
    if (!left) return 0;
    const next = opts.repair ? 'tspod system check --repair --force' : 'tspod system check --repair';
    ctx.err(`Error: ${left} problem(s) remain: run \`${next}\` to remove what is damaged\n`);
    return 125;
  },
});
