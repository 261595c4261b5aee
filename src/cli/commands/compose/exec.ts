import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { addProjectFlags, projectNameFromFlags, serviceContainers, type ProjectFlags } from './common.js';
import { parseEnv } from '../container/createFlags.js';
import { terminalStreams } from '../container/attachStreams.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { LABEL } from '../../../compose/specs.js';

interface Options extends ProjectFlags {
  detach?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
  index?: string;
  /** -T sets it false. */
  tty?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] SERVICE COMMAND [ARGS...]',
  description: "Run a command in a running container of a service; exits with the command's code.",
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd
      .argument('[service]')
      .argument('[command...]')
      .option('-d, --detach', 'Detached mode: Run command in the background')
      .option('-e, --env <env>', 'Set environment variables', collect)
      .option('-u, --user <user>', 'Run the command as this user')
      .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
      .option('--privileged', 'Give extended privileges to the process')
      .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
      .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: a TTY when stdin is one)');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const [service, ...command] = args;
    if (!service || !command.length) throw new InvalidArgumentError('compose exec needs a service and a command: tspod compose exec SERVICE COMMAND [ARGS...]');
    const { name, project } = projectNameFromFlags(ctx, opts);
    const engine = await ctx.engine();
    const c = (await serviceContainers(engine, name, project, [service], { all: false, oneoff: false })).find((x) => x.Labels?.[LABEL.number] === opts.index);
    if (!c) throw new InvalidArgumentError(`service "${service}" is not running: start it with tspod compose up -d ${service}`);
    const tty = (opts as { TTY?: boolean }).TTY !== false && process.stdin.isTTY === true;
    const { streams, restore } = terminalStreams({ interactive: !opts.detach, tty, sigProxy: false });
    try {
      return await engine.containers.exec(c.Id, { command, env: parseEnv([], opts.env ?? []), user: opts.user, workingDir: opts.workdir, tty, interactive: !opts.detach, detach: opts.detach, privileged: opts.privileged }, streams);
    } finally {
      restore();
    }
  },
});
