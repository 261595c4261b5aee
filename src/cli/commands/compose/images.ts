import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printRows } from '../../output.js';
import { addProjectFlags, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { nameOf } from '../../../compose/project.js';

export default defineCommand<ProjectFlags & { quiet?: boolean; format?: string }>({
  usage: '[options] [SERVICE...]',
  description: "List the images used by a Compose project's containers.",
  configure(cmd: Command) {
    cmd.argument('[services...]').option('-q, --quiet', 'Only display IDs').option('--format <format>', 'Format the output: table (default) or json');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    const list = await serviceContainers(engine, name, project, args, { all: true });
    if (opts.quiet) return ctx.out([...new Set(list.map((c) => c.ImageID))].map((i) => `${i}\n`).join(''));
    const images = await engine.images.list({});
    const rows = list.map((c) => {
      const img = images.find((i) => i.Id === c.ImageID);
      const ref = c.Image;
      const colon = ref.lastIndexOf(':');
      const hasTag = colon > ref.lastIndexOf('/');
      return { ContainerName: nameOf(c), Repository: hasTag ? ref.slice(0, colon) : ref, Tag: hasTag ? ref.slice(colon + 1) : 'latest', ID: c.ImageID.slice(0, 12), Size: img ? formatSize(img.Size) : '' };
    });
    printRows(ctx, rows, {
      format: opts.format,
      json: rows,
      columns: [
        { header: 'CONTAINER', field: 'ContainerName' },
        { header: 'REPOSITORY', field: 'Repository' },
        { header: 'TAG', field: 'Tag' },
        { header: 'IMAGE ID', field: 'ID' },
        { header: 'SIZE', field: 'Size' },
      ],
    });
  },
});

function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i ? n.toFixed(3).replace(/\.?0+$/, '') : n}${units[i]}`;
}
