import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect, confirm } from '../../output.js';
import { humanSizeWithPrecision } from '../../../util/units.js';

interface Options {
  all?: boolean;
  volumes?: boolean;
  force?: boolean;
  filter?: string[];
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Remove unused data: stopped containers, pods without running containers, unused networks, dangling (with -a: unused) images and, with --volumes, unused volumes.',
  configure(cmd: Command) {
    cmd
      .option('-a, --all', 'remove all unused images, not just dangling ones')
      .option('--volumes', 'prune volumes')
      .option('-f, --force', 'do not prompt for confirmation')
      .option('--filter <filter>', 'provide filter values (e.g. label=<key>=<value>, until=<timestamp>)', collect);
  },
  async run(ctx, _args, opts) {
    if (!opts.force) {
      const lines = [
        'WARNING! This command removes:',
        '\t- all stopped containers',
        '\t- all networks not used by at least one container',
        ...(opts.volumes ? ['\t- all volumes not used by at least one container'] : []),
        opts.all ? '\t- all images without at least one container associated with them' : '\t- all dangling images',
        '\t- all dangling build cache',
        '',
        'Are you sure you want to continue?',
      ];
      if (!(await confirm(ctx, lines.join('\n')))) return 0;
    }
    const report = await (await ctx.engine()).system.prune({ all: opts.all, volumes: opts.volumes, filters: opts.filter });
    const section = (title: string, items: string[]) => {
      if (items.length) ctx.out(`${title}\n${items.map((i) => `${i}\n`).join('')}`);
    };
    section('Deleted Pods', report.pods);
    section('Deleted Containers', report.containers);
    section('Deleted Volumes', report.volumes);
    section('Deleted Networks', report.networks);
    section('Deleted Images', report.images);
    ctx.out(`Total reclaimed space: ${humanSizeWithPrecision(report.reclaimed, 4)}\n`);
    for (const e of report.errors) ctx.err(`Error: ${e}\n`);
    return report.errors.length ? 125 : 0;
  },
});
