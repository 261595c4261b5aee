import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand, type CommandContext } from '../../command.js';
import { addCreateFlags, specFromFlags, type CreateFlags } from './createFlags.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export default defineCommand<CreateFlags>({
  usage: '[options] IMAGE [COMMAND [ARG...]]',
  description: 'Creates a container from an image without starting it; prints its ID.',
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd.argument('[image]').argument('[command...]');
    addCreateFlags(cmd);
  },
  async run(ctx, args, opts) {
    const { id } = await createFromFlags(ctx, args, opts);
    ctx.out(`${id}\n`);
  },
});

/** create and run: flags to spec, --replace, create, --cidfile. */
export async function createFromFlags(ctx: CommandContext, args: string[], opts: CreateFlags): Promise<{ id: string; name: string }> {
  const spec = specFromFlags(opts, args, ['tspod', ...process.argv.slice(2)]);
  if (opts.replace && !spec.name) throw new InvalidArgumentError('cannot replace a container without --name being set');
  const engine = await ctx.engine();
  if (opts.replace) {
    const reports = await engine.containers.remove([spec.name!], { force: true, ignore: true });
    const failed = reports.find((r) => r.error);
    if (failed?.error) throw failed.error;
  }
  const created = await engine.containers.create(spec);
  for (const warning of created.warnings) process.stderr.write(`WARN[0000] ${warning}\n`);
  if (opts.cidfile) writeFileSync(opts.cidfile, created.id, { flag: 'wx' });
  return created;
}
