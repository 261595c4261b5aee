import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { alignColumns } from '../../format/report.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<{ latest?: boolean }>({
  usage: '[options] POD [FORMAT-DESCRIPTORS|ARGS...]',
  description: 'Displays the running processes of the containers of a pod.',
  examples: ['tspod pod top podID', 'tspod pod top --latest', 'tspod pod top podID pid seccomp args %C'],
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd.argument('[pod]').argument('[descriptors...]').option('-l, --latest', 'Act on the latest pod tspod is aware of');
  },
  async run(ctx, args, opts) {
    if (args.length < 1 && !opts.latest) throw new InvalidArgumentError('you must provide the name or id of a running pod');
    // With --latest every argument is a descriptor.
    const [pod, ...descriptors] = opts.latest ? ['', ...args] : args;
    const engine = await ctx.engine();
    const rows = await engine.pods.top(pod!, descriptors, { latest: opts.latest });
    ctx.out(alignColumns(rows.map((row) => `${row.join('\t')}\n`).join('')));
  },
});
