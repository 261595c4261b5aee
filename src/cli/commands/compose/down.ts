import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, progressTo, projectNameFromFlags, type ProjectFlags } from './common.js';
import { down } from '../../../compose/project.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options extends ProjectFlags {
  volumes?: boolean;
  rmi?: string;
  removeOrphans?: boolean;
  timeout?: string;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Stop and remove the containers and networks of a Compose project (and with -v its volumes).',
  configure(cmd: Command) {
    cmd
      .option('-v, --volumes', 'Remove named volumes declared in the volumes section of the Compose file and anonymous volumes attached to containers')
      .option('--rmi <type>', 'Remove images used by services: "local" remove only images that don\'t have a custom tag ("local"|"all")')
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
      .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds');
    addProjectFlags(cmd);
  },
  async run(ctx, _args, opts) {
    if (opts.rmi !== undefined && opts.rmi !== 'all' && opts.rmi !== 'local') throw new InvalidArgumentError(`invalid --rmi "${opts.rmi}": use local or all`);
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    await down(engine, project ?? { name }, { volumes: opts.volumes, rmi: opts.rmi as 'all' | 'local' | undefined, removeOrphans: opts.removeOrphans, timeout: opts.timeout !== undefined ? Number(opts.timeout) : undefined }, progressTo(ctx));
  },
});
