import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError, isTspodError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  force?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] IMAGE [IMAGE...]',
  description: "Unmount images' root filesystems.",
  configure(cmd: Command) {
    cmd
      .argument('[image...]')
      .option('-a, --all', 'unmount all of the currently mounted images')
      .option('-f, --force', 'force the complete unmount of the specified mounted images');
  },
  async run(ctx, args, opts) {
    if (args.length === 0 && !opts.all) throw new InvalidArgumentError('image name or ID must be specified: or use --all');
    if (opts.all && args.length > 0) throw new InvalidArgumentError('when using the --all switch, you may not pass any image names or IDs');
    const engine = await ctx.engine();
    let code = 0;
    for (const r of await engine.images.unmount(args, { all: opts.all, force: opts.force })) {
      if (r.error) {
        ctx.err(`Error: ${r.error.message}\n`);
        code = isTspodError(r.error) ? r.error.exitCode : 125;
      } else {
        ctx.out(`${r.id}\n`);
      }
    }
    return code;
  },
});
