import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, logName, prefixedLines, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options extends ProjectFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  logPrefix?: boolean;
  since?: string;
}

export default defineCommand<Options>({
  usage: '[options] [SERVICE...]',
  description: "View the output of a Compose project's containers, each line prefixed with its container.",
  configure(cmd: Command) {
    cmd
      .argument('[services...]')
      .option('-f, --follow', 'Follow log output')
      .option('-n, --tail <lines>', 'Number of lines to show from the end of the logs for each container')
      .option('-t, --timestamps', 'Show timestamps')
      .option('--no-log-prefix', "Don't print prefix in logs");
    addProjectFlags(cmd, { shortFile: false });
  },
  async run(ctx, args, opts) {
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    const list = await serviceContainers(engine, name, project, args, { all: true });
    const tail = opts.tail === undefined || opts.tail === 'all' ? undefined : Number(opts.tail);
    if (tail !== undefined && !Number.isInteger(tail)) throw new InvalidArgumentError(`invalid --tail "${opts.tail}": give a number of lines or all`);
    const width = Math.max(0, ...list.map((c) => logName(c, name).length));
    await Promise.all(
      list.map(async (c) => {
        const out = opts.logPrefix === false ? process.stdout : prefixedLines(process.stdout, `${logName(c, name).padEnd(width)}  `);
        await engine.containers.logs([c.Id], { follow: opts.follow, tail, timestamps: opts.timestamps }, { stdout: out, stderr: out });
        if (out !== process.stdout) await new Promise<void>((r) => out.end(r));
      }),
    );
  },
});
