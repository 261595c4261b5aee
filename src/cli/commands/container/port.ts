import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<{ all?: boolean; latest?: boolean }>({
  usage: '[options] CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'Lists the port mappings of a container (none until bridge networks exist).',
  configure(cmd: Command) {
    cmd.argument('[container]').argument('[port]').option('-a, --all', 'display port information for all containers').option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(_ctx, args, opts) {
    if (!opts.all && !args[0]) throw new InvalidArgumentError('you must supply a running container name or ID');
    // No port is ever published yet: --network none and host have no mappings.
    if (args[0]) {
      const engine = await _ctx.engine();
      if (!(await engine.containers.exists(args[0]))) throw new InvalidArgumentError(`no container with name or ID "${args[0]}" found: no such container`);
      if (args[1]) throw new InvalidArgumentError(`failed to find published port "${args[1]}"`);
    }
  },
});
