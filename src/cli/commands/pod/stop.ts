import type { Command } from 'commander';
import { podActionCommand } from './action.js';

export default podActionCommand({
  description: 'Stops every running container of one or more pods; prints the ID of each pod stopped.',
  verb: 'stopping',
  allHelp: 'Stop all running pods',
  podIdFile: true,
  configure(cmd: Command) {
    cmd
      .option('-i, --ignore', 'Ignore errors when a specified pod is missing')
      .option('-t, --time <seconds>', 'Seconds to wait for pod stop before killing the container');
  },
  act: (engine, names, opts) => engine.pods.stop(names, { all: opts.all, latest: opts.latest, ignore: opts.ignore, timeout: opts.timeout }),
});
