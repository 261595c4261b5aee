import { createReadStream, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { requireArgs } from '../network/common.js';

export default defineCommand({
  usage: 'VOLUME [SOURCE]',
  description: 'Imports the contents of a tarball (.tar, .tar.gz) into a volume; SOURCE "-" or none reads stdin.',
  configure(cmd: Command) {
    cmd.argument('[args...]');
  },
  async run(ctx, args) {
    requireArgs(args, { min: 1, max: 2 });
    const [name, source = '-'] = args as [string, string?];
    if (source !== '-' && !existsSync(source)) throw new InvalidArgumentError(`unable to read tarball ${source}: no such file: give an existing file or - for stdin`);
    const input = source === '-' ? process.stdin : createReadStream(source);
    await (await ctx.engine()).volumes.import(name, input);
    return 0;
  },
});
