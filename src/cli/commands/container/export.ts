import { atomicFile } from '../../../util/atomicFile.js';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  output?: string;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER',
  description: "Export a container's filesystem contents as a tar archive to stdout or a file.",
  configure(cmd: Command) {
    cmd.argument('<container>').option('-o, --output <file>', 'write to a specified file (default: stdout, which must be redirected)');
  },
  async run(ctx, args, opts) {
    if (!opts.output && ctx.stdoutIsTty) throw new InvalidArgumentError('refusing to export to terminal: use -o flag or redirect');
    const engine = await ctx.engine();
    if (!opts.output) {
      await engine.containers.export(args[0]!, process.stdout);
      return;
    }
    const sink = atomicFile(opts.output);
    try {
      await engine.containers.export(args[0]!, sink.stream);
      await sink.commit();
    } catch (e) {
      sink.abort();
      throw e;
    }
  },
});
