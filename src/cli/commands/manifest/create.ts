import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { accessOptions, addAccessFlags, expectArgs, goBool, takeBool, type AccessFlags } from './flags.js';

interface Options extends AccessFlags {
  all?: boolean | string;
  amend?: boolean | string;
}

export default defineCommand<Options>({
  usage: '[options] LIST [IMAGE...]',
  description: 'Creates a manifest list (image index) in local storage, optionally with images added, and prints its ID.',
  examples: ['tspod manifest create mylist:v1.11', 'tspod manifest create mylist:v1.11 arch-specific-image', 'tspod manifest create --all mylist:v1.11 docker://quay.io/org/multiarch:tag'],
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('--all [bool]', "add all of the lists' images if the images to add are lists", goBool)
      .option('-a, --amend [bool]', 'modify an existing list if one with the desired name already exists', goBool);
    addAccessFlags(cmd, {});
  },
  async run(ctx, args, opts) {
    const positional = [...args];
    const access = accessOptions(opts, positional);
    const all = takeBool(opts.all, positional);
    const amend = takeBool(opts.amend, positional);
    expectArgs(positional, 1, Infinity, 'create [options] LIST [IMAGE...]');
    const engine = await ctx.engine();
    const id = await engine.manifests.create(positional[0]!, positional.slice(1), { ...access, all, amend });
    ctx.out(`${id}\n`);
  },
});
