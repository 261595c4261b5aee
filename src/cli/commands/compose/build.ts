import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, loadFromFlags, progressTo, type ProjectFlags } from './common.js';
import { buildService } from '../../../compose/project.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<ProjectFlags>({
  usage: '[options] [SERVICE...]',
  description: 'Build the images of the services that have a build: section.',
  configure(cmd: Command) {
    cmd.argument('[services...]');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const project = loadFromFlags(ctx, opts, args);
    const services = args.length ? args : Object.keys(project.model.services);
    for (const s of services) if (!project.model.services[s]) throw new InvalidArgumentError(`no such service: ${s}`);
    const engine = await ctx.engine();
    for (const s of services) if (project.model.services[s]!.build) await buildService(engine, project, s, progressTo(ctx));
  },
});
