import { podActionCommand } from './action.js';

export default podActionCommand({
  description: 'Restarts every container of one or more pods; prints the ID of each pod restarted.',
  verb: 'restarting',
  allHelp: 'Restart all running pods',
  act: (engine, names, opts) => engine.pods.restart(names, { all: opts.all, latest: opts.latest }),
});
