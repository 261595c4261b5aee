import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { compileTemplate } from '../../format/gotemplate.js';
import { InvalidArgumentError, TspodError } from '../../../util/errors.js';
import { targetNames } from './reports.js';

interface Options {
  format?: string;
  type?: string;
  size?: boolean;
  latest?: boolean;
}

/**
 * `container inspect`, and `inspect`, which looks for a container first and
 * then an image of that name, as podman does (--type narrows it).
 */
export function inspectCommand(fixedType?: 'container' | 'image') {
  return defineCommand<Options>({
    usage: '[options] NAME [NAME...]',
    description:
      fixedType === 'container'
        ? 'Displays the configuration of one or more containers.'
        : fixedType === 'image'
          ? 'Displays the configuration of one or more images.'
          : 'Displays the low-level information of containers and images.',
    configure(cmd: Command) {
      cmd
        .argument('[name...]')
        .option('-f, --format <format>', 'format the output using the given Go template or json')
        .option('-s, --size', 'display total file size');
      if (fixedType !== 'image') cmd.option('-l, --latest', 'act on the latest container tspod is aware of');
      if (!fixedType) cmd.option('-t, --type <type>', 'specify inspect-object type (image, container, all)', 'all');
    },
    async run(ctx, args, opts) {
      const type = fixedType ?? opts.type ?? 'all';
      if (!['image', 'container', 'all'].includes(type)) throw new InvalidArgumentError(`invalid type "${type}": use image, container or all`);
      const engine = await ctx.engine();
      const names = await targetNames(engine, args, opts.latest);
      if (names.length === 0) throw new InvalidArgumentError('no names or ids specified');
      const results: Array<object | Error> = [];
      for (const name of names) {
        if (type !== 'image') {
          const [c] = await engine.containers.inspect([name], { size: opts.size });
          if (!(c instanceof Error) || type === 'container') {
            results.push(c instanceof Error ? new TspodError(`no such container ${name}`) : c!);
            continue;
          }
        }
        const [image] = await engine.images.inspect([name]);
        results.push(image instanceof Error ? new TspodError(type === 'image' ? `${name}: image not known` : `no such object: "${name}"`) : image!);
      }
      const found = results.filter((r): r is object => !(r instanceof Error));
      const errors = results.filter((r): r is Error => r instanceof Error);
      if (!opts.format || opts.format === 'json') {
        ctx.out(`${JSON.stringify(found, null, 5)}\n`);
      } else {
        const template = compileTemplate(opts.format.replace(/^table /, ''));
        for (const item of found) ctx.out(`${template.execute(item)}\n`);
      }
      if (errors.length === 0) return 0;
      for (const e of errors.slice(0, -1)) ctx.err(`Error: ${e.message}\n`);
      throw new TspodError(`inspecting object: ${errors[errors.length - 1]!.message}`);
    },
  });
}

export default inspectCommand('container');
