import type { Command } from 'commander';
import { defineCommand } from '../../../command.js';
import { InvalidArgumentError } from '../../../../util/errors.js';
import { updateConnections } from '../../../../config/connections.js';

export default defineCommand({
  usage: 'NAME',
  description: 'Make a recorded destination the default for remote mode.',
  configure(cmd: Command) {
    cmd.argument('[args...]');
  },
  async run(_ctx, args) {
    if (args.length !== 1) throw new InvalidArgumentError(`accepts 1 arg(s), received ${args.length}`);
    const [name] = args as [string];
    updateConnections((c) => {
      if (!c.destinations[name]) throw notDefined(name);
      c.active = name;
    });
  },
});

export function notDefined(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`"${name}" destination is not defined. See "tspod system connection add ..." to create a connection`);
}
