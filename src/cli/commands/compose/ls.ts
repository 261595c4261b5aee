import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { printRows } from '../../output.js';
import { LABEL } from '../../../compose/specs.js';

export default defineCommand<{ all?: boolean; quiet?: boolean; format?: string }>({
  usage: '[options]',
  description: 'List the Compose projects that have containers (running ones unless -a).',
  configure(cmd: Command) {
    cmd.option('-a, --all', 'Show all stopped Compose projects').option('-q, --quiet', 'Only display project names').option('--format <format>', 'Format the output: table (default) or json');
  },
  async run(ctx, _args, opts) {
    const engine = await ctx.engine();
    const list = await engine.containers.list({ all: true, filters: [`label=${LABEL.project}`] });
    const projects = new Map<string, { states: Map<string, number>; files: string }>();
    for (const c of list) {
      const name = c.Labels![LABEL.project]!;
      const p = projects.get(name) ?? { states: new Map(), files: c.Labels?.[LABEL.configFiles] ?? '' };
      p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
      projects.set(name, p);
    }
    const rows = [...projects.entries()]
      .filter(([, p]) => opts.all || p.states.has('running'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, p]) => ({ Name: name, Status: [...p.states.entries()].map(([s, n]) => `${s}(${n})`).join(', '), ConfigFiles: p.files }));
    if (opts.quiet) return ctx.out(rows.map((r) => `${r.Name}\n`).join(''));
    printRows(ctx, rows, { format: opts.format, json: rows, columns: [{ header: 'NAME', field: 'Name' }, { header: 'STATUS', field: 'Status' }, { header: 'CONFIG FILES', field: 'ConfigFiles' }] });
  },
});
