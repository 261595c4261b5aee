import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  output?: string;
  format: string;
  quiet?: boolean;
  multiImageArchive?: boolean;
  compress?: boolean;
  uncompressed?: boolean;
}

const FORMATS = ['docker-archive', 'oci-archive', 'oci-dir', 'docker-dir'] as const;

export default defineCommand<Options>({
  usage: '[options] IMAGE [IMAGE...]',
  description: 'Save an image to a docker-archive or oci-archive on the local machine (stdout by default).',
  configure(cmd: Command) {
    cmd
      .argument('<image...>')
      .option('-o, --output <file>', 'write to a specified file (default: stdout, which must be redirected)')
      .option('--format <format>', `save image to ${FORMATS.join(', ')}`, 'docker-archive')
      .option('-q, --quiet', 'suppress the output')
      .option('-m, --multi-image-archive', 'interpret additional arguments as images not tags and create a multi-image-archive (docker-archive only)')
      .option('--compress', 'compress tarball image layers when saving to a directory (ignored: layers are saved uncompressed)')
      .option('--uncompressed', 'accept uncompressed layers when copying OCI images');
  },
  async run(ctx, args, opts) {
    const format = opts.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new InvalidArgumentError(`unknown format "${opts.format}": use one of ${FORMATS.join(', ')}`);
    if (opts.multiImageArchive && format !== 'docker-archive') {
      throw new InvalidArgumentError('--multi-image-archive works only with --format docker-archive');
    }
    if (!opts.output) {
      if (format === 'oci-dir' || format === 'docker-dir') throw new InvalidArgumentError(`${format} needs a directory: give it with --output`);
      if (ctx.stdoutIsTty) throw new InvalidArgumentError('refusing to save to terminal: use -o flag or redirect');
    }
    const engine = await ctx.engine();
    const images = opts.multiImageArchive ? args : [args[0]!];
    const extraTags = opts.multiImageArchive ? [] : args.slice(1);
    const showProgress = !opts.quiet && ctx.stderrIsTty;
    await engine.images.save(images, {
      format,
      progress: showProgress ? (line) => ctx.err(`${line}\n`) : undefined,
      additionalTags: extraTags,
      output: opts.output ? { path: opts.output } : { stream: process.stdout },
    });
  },
});
