import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { formatReport } from '../../format/report.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<{ latest?: boolean }>({
  usage: '[options] CONTAINER [FORMAT-DESCRIPTORS...]',
  description: 'Displays the running processes of a container.',
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd.argument('[container]').argument('[descriptors...]').option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args) {
    const [container, ...descriptors] = args;
    if (!container) throw new InvalidArgumentError('you must provide the name or id of a running container');
    const engine = await ctx.engine();
    const [header, ...rows] = await engine.containers.top(container, descriptors);
    const columns = header!.map((h, i) => ({ header: h, field: `c${i}` }));
    const objects = rows.map((r) => Object.fromEntries(r.map((v, i) => [`c${i}`, v])));
    ctx.out(formatReport(objects, { columns }));
  },
});
