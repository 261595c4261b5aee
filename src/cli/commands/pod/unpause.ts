import { podActionCommand } from './action.js';

export default podActionCommand({
  description: 'Unpauses the paused containers of one or more pods.',
  verb: 'unpausing',
  allHelp: 'Unpause all running pods',
  act: (engine, names, opts) => engine.pods.unpause(names, { all: opts.all, latest: opts.latest }),
});
