import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, loadFromFlags, type ProjectFlags } from './common.js';
import { configYaml, imageName } from '../../../compose/specs.js';

interface Options extends ProjectFlags {
  quiet?: boolean;
  services?: boolean;
  volumes?: boolean;
  profiles?: boolean;
  images?: boolean;
  format?: string;
}

export default defineCommand<Options>({
  usage: '[options] [SERVICE...]',
  description: 'Parse, resolve and render the Compose files in canonical form.',
  configure(cmd: Command) {
    cmd
      .argument('[services...]')
      .option('-q, --quiet', 'Only validate the configuration, don\'t print anything')
      .option('--services', 'Print the service names, one per line')
      .option('--volumes', 'Print the volume names, one per line')
      .option('--profiles', 'Print the profile names, one per line')
      .option('--images', 'Print the image names, one per line')
      .option('--format <format>', 'Format the output: yaml (default) or json');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const project = loadFromFlags(ctx, opts, args);
    if (args.length) for (const s of Object.keys(project.model.services)) if (!args.includes(s)) delete project.model.services[s];
    if (opts.quiet) return;
    const services = Object.keys(project.model.services);
    if (opts.services) return ctx.out(services.map((s) => `${s}\n`).join(''));
    if (opts.volumes) return ctx.out(Object.keys(project.model.volumes).map((s) => `${s}\n`).join(''));
    if (opts.images) return ctx.out(services.map((s) => `${imageName(project, s)}\n`).join(''));
    if (opts.profiles) {
      const all = loadFromFlags(ctx, { ...opts, profile: ['*'] });
      const profiles = new Set(Object.values(all.model.services).flatMap((s) => s.profiles ?? []));
      return ctx.out([...profiles].sort().map((p) => `${p}\n`).join(''));
    }
    if (opts.format === 'json') {
      const { parse } = await import('yaml');
      return ctx.out(`${JSON.stringify(parse(configYaml(project)), null, 2)}\n`);
    }
    ctx.out(configYaml(project));
  },
});
