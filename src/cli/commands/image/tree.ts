import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { humanSizeWithPrecision } from '../../../util/units.js';

/** podman's tree prints go-units HumanSize: 4 significant digits, no space. */
const compactSize = (bytes: number) => humanSizeWithPrecision(bytes, 4).replace(' ', '');

interface Options {
  whatrequires?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] IMAGE',
  description: 'Prints the layer hierarchy of an image in a tree format.',
  configure(cmd: Command) {
    cmd.argument('<image>').option('--whatrequires', 'show all child images and layers of the specified image');
  },
  async run(ctx, args, opts) {
    const engine = await ctx.engine();
    const tree = await engine.images.tree(args[0]!);
    const lines = [
      `Image ID: ${tree.image.Id.slice(0, 12)}`,
      `Tags:     [${tree.image.RepoTags.join(' ')}]`,
      `Size:     ${compactSize(tree.image.Size)}`,
      'Image Layers',
    ];
    const layers = opts.whatrequires ? tree.layers.slice(-1) : tree.layers;
    layers.forEach((layer, i) => {
      const branch = i === layers.length - 1 ? '└──' : '├──';
      const tops = layer.images.flatMap((img) => (img.tags.length > 0 ? img.tags : [img.id.slice(0, 12)]));
      const topOf = tops.length > 0 ? ` Top Layer of: [${tops.join(' ')}]` : '';
      lines.push(`${branch} ID: ${layer.id.slice(0, 12)} Size: ${compactSize(layer.size)}${topOf}`);
    });
    ctx.out(`${lines.join('\n')}\n`);
  },
});
