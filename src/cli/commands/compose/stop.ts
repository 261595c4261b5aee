import { defineCommand } from '../../command.js';
import { actOnServices, configureServices } from './actions.js';
import type { ProjectFlags } from './common.js';

export default defineCommand<ProjectFlags & { timeout?: string }>({
  usage: '[options] [SERVICE...]',
  description: "Stop the running containers of a Compose project's services without removing them.",
  configure: (cmd) => void configureServices(cmd).option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds'),
  run: (ctx, args, opts) =>
    actOnServices(ctx, args, opts, { doing: 'Stopping', done: 'Stopped', reverse: true }, (engine, list) =>
      engine.containers.stop(list.map((c) => c.Id), { timeout: opts.timeout !== undefined ? Number(opts.timeout) : 10, ignore: true }),
    ),
});
