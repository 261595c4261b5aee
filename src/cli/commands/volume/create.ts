import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { parseKeyValues, requireArgs } from '../network/common.js';

interface Options {
  driver?: string;
  label?: string[];
  opt?: string[];
  ignore?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] [NAME]',
  description: 'Creates a new volume. If using the default driver, "local", the volume will be created on the host in the volumes directory under container storage.',
  configure(cmd: Command) {
    cmd
      .argument('[name...]')
      .option('-d, --driver <driver>', 'specify volume driver name', 'local')
      .option('-l, --label <label>', 'set metadata for a volume (e.g. --label mykey=value)', collect)
      .option('-o, --opt <option>', 'set driver specific options (type, device, o, uid, gid, nocopy)', collect)
      .option('--ignore', "don't fail if the volume already exists");
  },
  async run(ctx, args, opts) {
    requireArgs(args, { max: 1 });
    const volume = await (await ctx.engine()).volumes.create({
      ...(args[0] !== undefined ? { name: args[0] } : {}),
      driver: opts.driver,
      labels: parseKeyValues(opts.label, 'failed to parse labels'),
      options: parseKeyValues(opts.opt, 'unable to parse options'),
      ignore: opts.ignore,
    });
    ctx.out(`${volume.Name}\n`);
  },
});
