import type { Command } from 'commander';
import { defineCommand } from '../../command.js';

export default defineCommand<{ newRuntime?: string }>({
  usage: '[options]',
  description: 'Migrate containers after an upgrade; with --new-runtime, stop them and give them another OCI runtime.',
  configure(cmd: Command) {
    cmd.option('--new-runtime <runtime>', 'specify a new runtime for all containers');
  },
  async run(ctx, _args, opts) {
    await (await ctx.engine()).system.migrate({ newRuntime: opts.newRuntime });
    return 0;
  },
});
