import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { NoSuchImageError } from '../../../util/errors.js';
import { expectArgs } from './flags.js';

export default defineCommand({
  usage: 'LIST [LIST...]',
  description: 'Removes manifest lists from local storage (never the images they name). Exit 1: a list did not exist.',
  examples: ['tspod manifest rm mylist:v1.11'],
  configure(cmd: Command) {
    cmd.argument('[lists...]');
  },
  async run(ctx, args) {
    expectArgs(args, 1, Infinity, 'rm LIST [LIST...]');
    const engine = await ctx.engine();
    const report = await engine.manifests.rm(args);
    for (const name of report.untagged) ctx.out(`Untagged: ${name}\n`);
    for (const id of report.deleted) ctx.out(`Deleted: ${id}\n`);
    if (report.errors.length === 0) return 0;
    for (const { error } of report.errors) ctx.err(`Error: ${error.message}\n`);
    return report.errors.every((e) => e.error instanceof NoSuchImageError) ? 1 : 125;
  },
});
