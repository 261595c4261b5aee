import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { addProjectFlags, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { nameOf } from '../../../compose/project.js';

export default defineCommand<ProjectFlags>({
  usage: '[options] [SERVICE...]',
  description: 'Display the running processes of the containers of a Compose project.',
  configure(cmd: Command) {
    cmd.argument('[services...]');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    const list = await serviceContainers(engine, name, project, args, { all: false });
    for (const c of list) {
      const rows = await engine.containers.top(c.Id, []);
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
      ctx.out(`${nameOf(c)}\n${rows.map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('   ')).join('\n')}\n\n`);
    }
  },
});
