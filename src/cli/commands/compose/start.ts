import { defineCommand } from '../../command.js';
import { actOnServices, configureServices } from './actions.js';
import type { ProjectFlags } from './common.js';

export default defineCommand<ProjectFlags>({
  usage: '[options] [SERVICE...]',
  description: "Start the existing containers of a Compose project's services.",
  configure: (cmd) => void configureServices(cmd),
  run: (ctx, args, opts) => actOnServices(ctx, args, opts, { doing: 'Starting', done: 'Started' }, async (engine, list) => {
    const out = [];
    for (const c of list) out.push(...(await engine.containers.start([c.Id])));
    return out;
  }),
});
