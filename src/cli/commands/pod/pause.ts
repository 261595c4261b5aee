import { podActionCommand } from './action.js';

export default podActionCommand({
  description: 'Pauses the running containers of one or more pods.',
  verb: 'pausing',
  allHelp: 'Pause all running pods',
  act: (engine, names, opts) => engine.pods.pause(names, { all: opts.all, latest: opts.latest }),
});
