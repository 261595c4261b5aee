import type { Command } from 'commander';
import { defineCommand } from '../../../command.js';
import { InvalidArgumentError } from '../../../../util/errors.js';
import { updateConnections } from '../../../../config/connections.js';
import { notDefined } from './default.js';

export default defineCommand({
  usage: 'OLD NEW',
  description: 'Rename a recorded destination (the default keeps being the default).',
  configure(cmd: Command) {
    cmd.argument('[args...]');
  },
  async run(_ctx, args) {
    if (args.length !== 2) throw new InvalidArgumentError(`accepts 2 arg(s), received ${args.length}`);
    const [from, to] = args as [string, string];
    updateConnections((c) => {
      const d = c.destinations[from];
      if (!d) throw notDefined(from);
      delete c.destinations[from];
      c.destinations[to] = d;
      if (c.active === from) c.active = to;
    });
  },
});
