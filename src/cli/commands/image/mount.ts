import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { requireUnshareSession } from '../../../util/rootless.js';
import { printJson } from '../../format/report.js';
import { InvalidArgumentError, isTspodError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  format?: string;
}

export default defineCommand<Options>({
  usage: '[options] [IMAGE...]',
  description: "Mount an image's root filesystem (read-only); without arguments, list the mounted images.",
  configure(cmd: Command) {
    cmd
      .argument('[image...]')
      .option('-a, --all', 'mount all images')
      .option('--format <format>', 'print the mounted images in specified format (json)');
  },
  async run(ctx, args, opts) {
    requireUnshareSession('image mount');
    if (opts.format !== undefined && opts.format !== 'json') throw new InvalidArgumentError(`unknown format "${opts.format}": only json is supported`);
    if (opts.all && args.length > 0) throw new InvalidArgumentError('when using the --all switch, you may not pass any images names or IDs');
    const engine = await ctx.engine();
    const listing = args.length === 0 && !opts.all;
    const reports = await engine.images.mount(args, { all: opts.all });
    const ok = reports.filter((r) => !r.error);
    if (opts.format === 'json') {
      ctx.out(printJson(ok.map((r) => ({ id: r.id, Names: r.names ?? [], Repositories: r.names ?? [], mountpoint: r.path }))) + '\n');
    } else if (listing || opts.all) {
      ctx.out(ok.map((r) => `${r.names?.[0] ?? r.id}  ${r.path}\n`).join(''));
    } else {
      ctx.out(ok.map((r) => `${r.path}\n`).join(''));
    }
    let code = 0;
    for (const r of reports) {
      if (!r.error) continue;
      ctx.err(`Error: ${r.error.message}\n`);
      code = isTspodError(r.error) ? r.error.exitCode : 125;
    }
    return code;
  },
});
