import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { atomicFile } from '../../../util/atomicFile.js';
import { requireArgs } from '../network/common.js';

export default defineCommand<{ output?: string }>({
  usage: '[options] VOLUME',
  description: 'Exports the contents of a volume as a tar archive to a file or to stdout.',
  configure(cmd: Command) {
    cmd.argument('[volume...]').option('-o, --output <file>', 'write to a specified file (default: stdout, which must be redirected)');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { exact: 1 });
    const engine = await ctx.engine();
    if (opts.output === undefined || opts.output === '/dev/stdout' || opts.output === '-') {
      if (ctx.stdoutIsTty) throw new InvalidArgumentError('expected at least one of --output or redirected stdout: refusing to write a tar to a terminal');
      await engine.volumes.export(args[0]!, process.stdout);
      return 0;
    }
    const sink = atomicFile(opts.output);
    try {
      await engine.volumes.export(args[0]!, sink.stream);
      await sink.commit();
    } catch (e) {
      sink.abort();
      throw e;
    }
    return 0;
  },
});
