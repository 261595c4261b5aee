import { defineCommand } from '../../command.js';
import { actOnServices, configureServices } from './actions.js';
import type { ProjectFlags } from './common.js';

export default defineCommand<ProjectFlags & { signal?: string }>({
  usage: '[options] [SERVICE...]',
  description: "Send a signal (default SIGKILL) to the running containers of a Compose project's services.",
  configure: (cmd) => void configureServices(cmd).option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL'),
  run: (ctx, args, opts) =>
    actOnServices(ctx, args, opts, { doing: 'Killing', done: 'Killed', all: false }, (engine, list) =>
      engine.containers.kill(list.map((c) => c.Id), { signal: opts.signal }),
    ),
});
