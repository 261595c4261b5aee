import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { parseEnv } from './createFlags.js';
import { terminalStreams } from './attachStreams.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  detach?: boolean;
  env?: string[];
  envFile?: string[];
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  workdir?: string;
  privileged?: boolean;
  latest?: boolean;
  detachKeys?: string;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER COMMAND [ARG...]',
  description: "Runs a process in a running container; exits with the process's exit code.",
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd
      .argument('[container]')
      .argument('[command...]')
      .option('-d, --detach', 'run the exec session in detached mode (backgrounded)')
      .option('-e, --env <env>', 'set environment variables', collect)
      .option('--env-file <file>', 'read in a file of environment variables', collect)
      .option('-i, --interactive', 'keep STDIN open even if not attached')
      .option('-t, --tty', 'allocate a pseudo-TTY')
      .option('-u, --user <user>', 'sets the username or UID used and optionally the groupname or GID')
      .option('-w, --workdir <dir>', 'working directory inside the container')
      .option('--privileged', 'give the process extended Linux capabilities')
      .option('-l, --latest', 'act on the latest container tspod is aware of')
      .option('--detach-keys <keys>', 'override the key sequence for detaching');
  },
  async run(ctx, args, opts) {
    const [container, ...command] = args;
    if (!container) throw new InvalidArgumentError('exec requires the name or ID of a container or the --latest flag');
    if (command.length === 0) throw new InvalidArgumentError('exec requires a command to run: tspod exec CONTAINER COMMAND [ARG...]');
    const engine = await ctx.engine();
    const { streams, restore } = terminalStreams({ interactive: opts.interactive === true, tty: opts.tty === true, detachKeys: opts.detachKeys, sigProxy: false });
    try {
      const code = await engine.containers.exec(
        container,
        {
          command,
          env: parseEnv(opts.envFile ?? [], opts.env ?? []),
          user: opts.user,
          workingDir: opts.workdir,
          tty: opts.tty,
          interactive: opts.interactive,
          detach: opts.detach,
          privileged: opts.privileged,
        },
        streams,
      );
      if (opts.detach) {
        ctx.out(`${randomBytes(32).toString('hex')}\n`);
      }
      return code;
    } finally {
      restore();
    }
  },
});
