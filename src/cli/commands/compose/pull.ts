import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, loadFromFlags, progressTo, type ProjectFlags } from './common.js';
import { imageName } from '../../../compose/specs.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options extends ProjectFlags {
  ignorePullFailures?: boolean;
  quiet?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] [SERVICE...]',
  description: 'Pull the images of the services (those with only build: are skipped).',
  configure(cmd: Command) {
    cmd.argument('[services...]').option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures').option('-q, --quiet', 'Pull without printing progress information');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const project = loadFromFlags(ctx, opts, args);
    const services = args.length ? args : Object.keys(project.model.services);
    const engine = await ctx.engine();
    const progress = opts.quiet ? () => {} : progressTo(ctx);
    let failed = 0;
    for (const s of services) {
      const svc = project.model.services[s];
      if (!svc) throw new InvalidArgumentError(`no such service: ${s}`);
      if (!svc.image) continue;
      progress(`Image ${imageName(project, s)}  Pulling`);
      try {
        await engine.images.pull(imageName(project, s), { policy: 'always' });
        progress(`Image ${imageName(project, s)}  Pulled`);
      } catch (e) {
        if (!opts.ignorePullFailures && !svc.build) throw e;
        ctx.err(`WARN[0000] ${s}: ${(e as Error).message}\n`);
        failed++;
      }
    }
    return failed && !opts.ignorePullFailures ? 125 : 0;
  },
});
