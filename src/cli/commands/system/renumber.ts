import { defineCommand } from '../../command.js';

/**
 * Podman renumbers its shared-memory locks after a change of num_locks. tspod's
 * locks are per-container files (flock), so there is nothing to renumber; the
 * command exists so scripts written for Podman keep working.
 */
export default defineCommand<Record<string, never>>({
  usage: '',
  description: 'Migrate lock numbers (nothing to do: tspod locks are per-container files).',
  configure() {},
  async run(ctx) {
    await ctx.engine();
    return 0;
  },
});
