import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { accessOptions, addAccessFlags, collectList, expectArgs, goBool, takeBool, type AccessFlags } from './flags.js';

interface Options extends AccessFlags {
  all?: boolean | string;
  annotation?: string[];
  arch?: string;
  features?: string[];
  os?: string;
  osVersion?: string;
  variant?: string;
}

export default defineCommand<Options>({
  usage: '[options] LIST IMAGE [IMAGE...]',
  description: 'Adds images to a manifest list: local images, or docker:// references read from their registry. Prints the list ID.',
  examples: ['tspod manifest add mylist:v1.11 image:v1.11-amd64', 'tspod manifest add --all mylist:v1.11 docker://quay.io/org/multiarch:tag'],
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('--all [bool]', "add all of the list's images if the image is a list", goBool)
      .option('--annotation <annotation>', 'set an annotation (KEY=VALUE) for the specified image', collectList)
      .option('--arch <architecture>', 'override the architecture of the specified image')
      .option('--features <features>', 'override the features of the specified image', collectList)
      .option('--os <OS>', 'override the OS of the specified image')
      .option('--os-version <version>', 'override the OS version of the specified image')
      .option('--variant <variant>', 'override the Variant of the specified image');
    addAccessFlags(cmd);
  },
  async run(ctx, args, opts) {
    const positional = [...args];
    const access = accessOptions(opts, positional);
    const all = takeBool(opts.all, positional);
    expectArgs(positional, 2, Infinity, 'add [options] LIST IMAGE [IMAGE...]');
    const engine = await ctx.engine();
    const id = await engine.manifests.add(positional[0]!, positional.slice(1), {
      ...access,
      all,
      annotations: opts.annotation,
      arch: opts.arch,
      features: opts.features,
      os: opts.os,
      osVersion: opts.osVersion,
      variant: opts.variant,
    });
    ctx.out(`${id}\n`);
  },
});
