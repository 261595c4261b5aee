import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { compileTemplate } from '../../format/gotemplate.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';

interface Options {
  format?: string;
  type?: string;
  size?: boolean;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] NAME [NAME...]',
  description: 'Display the low-level information of images (containers, pods, networks and volumes come with their commands).',
  configure(cmd: Command) {
    cmd
      .argument('<name...>')
      .option('-f, --format <format>', 'format the output using the given Go template or json')
      .option('-t, --type <type>', 'specify inspect-object type (image, container, all)', 'all')
      .option('-s, --size', 'display total file size');
  },
  async run(ctx, args, opts) {
    if (opts.type && !['image', 'container', 'all'].includes(opts.type)) {
      throw new InvalidArgumentError(`invalid type "${opts.type}": use image, container or all`);
    }
    const engine = await ctx.engine();
    const results = opts.type === 'container' ? args.map((a) => new TspodError(`no such container ${a}`)) : await engine.images.inspect(args);
    const found = results.filter((r): r is Exclude<typeof r, Error> => !(r instanceof Error));
    const errors = results.filter((r): r is Error => r instanceof Error);
    if (!opts.format || opts.format === 'json') {
      ctx.out(`${JSON.stringify(found, null, 5)}\n`);
    } else {
      const template = compileTemplate(opts.format.replace(/^table /, ''));
      for (const item of found) ctx.out(`${template.execute(item)}\n`);
    }
    if (errors.length === 0) return 0;
    for (const e of errors.slice(0, -1)) ctx.err(`Error: ${e.message}\n`);
    throw new TspodError(`inspecting object: ${errors[errors.length - 1]!.message.replace(/: pull it or check the name$/, '')}`);
  },
});
