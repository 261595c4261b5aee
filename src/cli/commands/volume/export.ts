import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
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
    // Written beside the target and renamed, so a failed export leaves no half file.
    const partial = `${opts.output}.tspod-partial-${process.pid}`;
    const file = createWriteStream(partial, { mode: 0o644 });
    try {
      await engine.volumes.export(args[0]!, file);
      file.end();
      await finished(file);
      renameSync(partial, opts.output);
    } catch (e) {
      file.destroy();
      rmSync(partial, { force: true });
      throw e;
    }
    return 0;
  },
});
