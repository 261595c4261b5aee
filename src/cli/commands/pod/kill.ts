import type { Command } from 'commander';
import { podActionCommand } from './action.js';

export default podActionCommand({
  description: 'Sends a signal (default SIGKILL) to the running containers of one or more pods.',
  verb: 'killing',
  allHelp: 'Kill all containers in all pods',
  configure(cmd: Command) {
    cmd.option('-s, --signal <signal>', 'Signal to send to the containers in the pod', 'KILL');
  },
  act: (engine, names, opts) => engine.pods.kill(names, { all: opts.all, latest: opts.latest, signal: opts.signal }),
});
