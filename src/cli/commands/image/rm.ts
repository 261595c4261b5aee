import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { ImageInUseError, InvalidArgumentError, NoSuchImageError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  force?: boolean;
  ignore?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] IMAGE [IMAGE...]',
  description: 'Removes one or more images from local storage. Exit 1: an image did not exist; 2: an image is in use.',
  configure(cmd: Command) {
    cmd
      .argument('[image...]')
      .option('-a, --all', 'remove all images')
      .option('-f, --force', 'force removal of the image and any containers using it')
      .option('-i, --ignore', 'ignore errors if a specified image does not exist');
  },
  async run(ctx, args, opts) {
    if (args.length === 0 && !opts.all) throw new InvalidArgumentError('image name or ID must be specified');
    if (args.length > 0 && opts.all) throw new InvalidArgumentError('when using the --all switch, you may not pass any images names or IDs');
    const engine = await ctx.engine();
    const report = await engine.images.remove(args, opts);
    for (const name of report.untagged) ctx.out(`Untagged: ${name}\n`);
    for (const id of report.deleted) ctx.out(`Deleted: ${id}\n`);
    if (report.errors.length === 0) return 0;
    for (const { error } of report.errors) ctx.err(`Error: ${error.message}\n`);
    if (report.errors.some((e) => e.error instanceof ImageInUseError)) return 2;
    if (report.errors.every((e) => e.error instanceof NoSuchImageError)) return 1;
    return 125;
  },
});
