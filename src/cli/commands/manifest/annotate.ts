import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collectList, expectArgs } from './flags.js';

interface Options {
  annotation?: string[];
  arch?: string;
  features?: string[];
  os?: string;
  osFeatures?: string[];
  osVersion?: string;
  variant?: string;
}

export default defineCommand<Options>({
  usage: '[options] LIST DIGEST',
  description: 'Adds or updates information about an entry (given by its digest) in a manifest list. Prints the list ID.',
  examples: ['tspod manifest annotate --annotation left=right mylist:v1.11 sha256:15352d97781ffdf357bf3459c037be3efac4133dc9070c2dce7eca7c05c3e736'],
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('--annotation <annotation>', 'set an annotation (KEY=VALUE) for the specified image', collectList)
      .option('--arch <architecture>', 'override the architecture of the specified image')
      .option('--features <features>', 'override the features of the specified image', collectList)
      .option('--os <OS>', 'override the OS of the specified image')
      .option('--os-features <features>', 'override the OS features of the specified image', collectList)
      .option('--os-version <version>', 'override the OS version of the specified image')
      .option('--variant <variant>', 'override the Variant of the specified image');
  },
  async run(ctx, args, opts) {
    expectArgs(args, 2, 2, 'annotate [options] LIST DIGEST');
    const engine = await ctx.engine();
    const id = await engine.manifests.annotate(args[0]!, args[1]!, {
      annotations: opts.annotation,
      arch: opts.arch,
      features: opts.features,
      os: opts.os,
      osFeatures: opts.osFeatures,
      osVersion: opts.osVersion,
      variant: opts.variant,
    });
    ctx.out(`${id}\n`);
  },
});
