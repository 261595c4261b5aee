import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  change?: string[];
  message?: string;
  author?: string;
  pause?: boolean;
  quiet?: boolean;
  format: string;
  squash?: boolean;
  includeVolumes?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER [IMAGE]',
  description: "Create a new image from a container's changes.",
  configure(cmd: Command) {
    cmd
      .argument('<container>')
      .argument('[image]')
      .option('-c, --change <instruction>', 'apply the following possible instructions to the created image: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR', collect)
      .option('-m, --message <message>', 'set commit message for imported image')
      .option('-a, --author <author>', 'set the author for the image committed')
      .option('-p, --pause', 'pause container during commit')
      .option('-q, --quiet', 'suppress output')
      .option('-f, --format <format>', '`format` of the image manifest and metadata: oci or docker', 'oci')
      .option('-s, --squash', 'squash newly built layers into a single new layer (not supported)')
      .option('--include-volumes', "include container volumes as image volumes");
  },
  async run(ctx, args, opts) {
    const [container, reference] = args as [string, string | undefined];
    if (opts.format !== 'oci' && opts.format !== 'docker') throw new InvalidArgumentError(`unrecognized image type "${opts.format}": use oci or docker`);
    if (opts.message && opts.format !== 'docker') throw new InvalidArgumentError('messages are only compatible with the docker image format (-f docker)');
    if (opts.squash) throw new InvalidArgumentError('--squash is not supported yet: commit without it');
    const engine = await ctx.engine();
    const { id, layers } = await engine.containers.commit(container, {
      reference,
      changes: opts.change,
      message: opts.message,
      author: opts.author,
      pause: opts.pause,
      format: opts.format,
      includeVolumes: opts.includeVolumes,
    });
    if (!opts.quiet) {
      // Podman's copy report, on stderr: stdout carries only the id.
      ctx.err('Getting image source signatures\n');
      for (const layer of layers) ctx.err(`Copying blob ${layer}\n`);
      ctx.err(`Copying config sha256:${id}\nWriting manifest to image destination\nStoring signatures\n`);
    }
    ctx.out(`${id}\n`);
  },
});
