import type { Command } from 'commander';
import { defineCommand } from '../../../command.js';
import { InvalidArgumentError } from '../../../../util/errors.js';
import { updateConnections } from '../../../../config/connections.js';

export default defineCommand<{ all?: boolean; force?: boolean }>({
  usage: '[options] NAME',
  description: 'Delete a recorded destination (or all with --all); removing the default leaves none.',
  configure(cmd: Command) {
    cmd.argument('[args...]').option('-a, --all', 'remove all connections').option('-f, --force', 'ignored: for Docker compatibility');
  },
  async run(_ctx, args, opts) {
    if (opts.all) {
      updateConnections((c) => {
        c.destinations = {};
        c.active = '';
      });
      return;
    }
    if (args.length !== 1) throw new InvalidArgumentError(`accepts 1 arg(s), received ${args.length}`);
    const [name] = args as [string];
    updateConnections((c) => {
      delete c.destinations[name];
      if (c.active === name) c.active = '';
    });
  },
});
