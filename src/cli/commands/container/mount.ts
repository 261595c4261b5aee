import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { requireUnshareSession } from '../../../util/rootless.js';
import { printJson } from '../../format/report.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { printActionReports } from './reports.js';

interface Options {
  all?: boolean;
  format?: string;
  latest?: boolean;
  notruncate?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] [CONTAINER...]',
  description: "Mount a working container's root filesystem; without arguments, list the mounted containers.",
  configure(cmd: Command) {
    cmd
      .argument('[container...]')
      .option('-a, --all', 'mount all containers')
      .option('--format <format>', 'print the mounted containers in specified format (json)')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('--no-trunc', 'do not truncate output');
  },
  async run(ctx, args, opts) {
    requireUnshareSession('mount');
    if (opts.format !== undefined && opts.format !== 'json') throw new InvalidArgumentError(`unknown format "${opts.format}": only json is supported`);
    const engine = await ctx.engine();
    let names = args;
    if (opts.latest) {
      const latest = (await engine.containers.list({ all: true, last: 1 }))[0];
      if (!latest) throw new InvalidArgumentError('no containers to mount: create one first');
      names = [latest.Id];
    }
    const listing = names.length === 0 && !opts.all;
    const reports = await engine.containers.mount(names, { all: opts.all });
    if (listing || opts.format === 'json') {
      const ok = reports.filter((r) => !r.error);
      if (opts.format === 'json') {
        ctx.out(printJson(ok.map((r) => ({ id: r.id, Names: [r.name], mountpoint: r.path }))) + '\n');
      } else {
        ctx.out(ok.map((r) => `${(r.id ?? '').slice(0, 12)}  ${r.path}\n`).join(''));
      }
      return printActionReports(ctx, reports.filter((r) => r.error));
    }
    for (const r of reports) if (!r.error) ctx.out(`${r.path}\n`);
    return printActionReports(ctx, reports.filter((r) => r.error));
  },
});
