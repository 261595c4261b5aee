import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { openInput } from './load.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  change?: string[];
  message?: string;
  quiet?: boolean;
  os?: string;
  arch?: string;
  variant?: string;
}

export default defineCommand<Options>({
  usage: '[options] PATH [REFERENCE]',
  description: 'Create a container image from the contents of a tarball (plain, gzip or zstd); PATH "-" reads stdin.',
  examples: ['tspod import rootfs.tar myimage', "tspod import --change 'CMD=[\"/bin/sh\"]' - myimage < rootfs.tar"],
  configure(cmd: Command) {
    cmd
      .argument('<path>')
      .argument('[reference]')
      .option('-c, --change <instruction>', 'apply the following possible instructions to the created image: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR', collect)
      .option('-m, --message <message>', 'set the commit message for the imported image')
      .option('-q, --quiet', 'suppress the output')
      .option('--os <os>', 'set the OS of the imported image')
      .option('--arch <arch>', 'set the architecture of the imported image')
      .option('--variant <variant>', 'set the variant of the imported image');
  },
  async run(ctx, args, opts) {
    const [path, reference] = args as [string, string | undefined];
    if (/^https?:\/\//.test(path)) throw new InvalidArgumentError(`importing from a URL is not supported yet: download ${path} and import the file`);
    const input = openInput(path);
    const engine = await ctx.engine();
    const { id } = await engine.images.import({
      input,
      reference,
      changes: opts.change,
      message: opts.message,
      os: opts.os,
      arch: opts.arch,
      variant: opts.variant,
    });
    ctx.out(`sha256:${id}\n`);
  },
});
