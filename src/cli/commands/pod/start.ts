import { podActionCommand } from './action.js';

export default podActionCommand({
  description: 'Starts every container of one or more pods; prints the ID of each pod started.',
  verb: 'starting',
  allHelp: 'Start all pods',
  podIdFile: true,
  act: (engine, names, opts) => engine.pods.start(names, { all: opts.all, latest: opts.latest }),
});
