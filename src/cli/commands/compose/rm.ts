import { defineCommand } from '../../command.js';
import { actOnServices, configureServices } from './actions.js';
import type { ProjectFlags } from './common.js';

interface Options extends ProjectFlags {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] [SERVICE...]',
  description: "Remove the stopped containers of a Compose project's services (with -s, stop them first).",
  configure: (cmd) =>
    void configureServices(cmd, { shortFile: false })
      .option('-f, --force', "Don't ask to confirm removal")
      .option('-s, --stop', 'Stop the containers, if required, before removing')
      .option('-v, --volumes', 'Remove any anonymous volumes attached to containers'),
  run: (ctx, args, opts) =>
    actOnServices(ctx, args, opts, { doing: 'Removing', done: 'Removed' }, async (engine, list) => {
      if (opts.stop) await engine.containers.stop(list.map((c) => c.Id), { ignore: true });
      const stopped = opts.stop ? list : list.filter((c) => c.State !== 'running' && c.State !== 'paused');
      if (!stopped.length) ctx.err('No stopped containers\n');
      const reports = await engine.containers.remove(stopped.map((c) => c.Id), { volumes: opts.volumes });
      return list.map((c) => reports.find((r) => r.name === c.Id) ?? { name: c.Id, error: new Error('is running: stop it first or use rm -s') });
    }),
});
