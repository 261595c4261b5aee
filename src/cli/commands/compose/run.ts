import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { addProjectFlags, loadFromFlags, progressTo, type ProjectFlags } from './common.js';
import { parseEnv } from '../container/createFlags.js';
import { terminalStreams } from '../container/attachStreams.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { serviceSpec } from '../../../compose/specs.js';
import { ensureResources, prepareImages, up, waitForCondition } from '../../../compose/project.js';
import { shellWords } from '../../../compose/model.js';
import { parsePublish } from '../../../engine/network/ports.js';

interface Options extends ProjectFlags {
  detach?: boolean;
  rm?: boolean;
  env?: string[];
  user?: string;
  workdir?: string;
  entrypoint?: string;
  name?: string;
  publish?: string[];
  servicePorts?: boolean;
  deps?: boolean;
  build?: boolean;
  tty?: boolean;
  volume?: string[];
}

export default defineCommand<Options>({
  usage: '[options] SERVICE [COMMAND] [ARGS...]',
  description: 'Run a one-off command in a new container of a service (its dependencies started first).',
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd
      .argument('[service]')
      .argument('[command...]')
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--rm', 'Automatically remove the container when it exits')
      .option('-e, --env <env>', 'Set environment variables', collect)
      .option('-u, --user <user>', 'Run as specified username or uid')
      .option('-w, --workdir <dir>', 'Working directory inside the container')
      .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
      .option('--name <name>', 'Assign a name to the container')
      .option('-p, --publish <port>', "Publish a container's port(s) to the host", collect)
      .option('--service-ports', "Run command with the service's ports enabled and mapped to the host")
      .option('--no-deps', "Don't start linked services")
      .option('--build', 'Build image before starting container')
      .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: a TTY when stdin is one)');
    addProjectFlags(cmd, { shortProject: false });
  },
  async run(ctx, args, opts) {
    const [service, ...command] = args;
    if (!service) throw new InvalidArgumentError('compose run needs a service: tspod compose run SERVICE [COMMAND] [ARGS...]');
    const project = loadFromFlags(ctx, opts, [service]);
    if (!project.model.services[service]) throw new InvalidArgumentError(`no such service: ${service}`);
    const engine = await ctx.engine();
    const progress = progressTo(ctx);
    const svc = project.model.services[service]!;
    const deps = Object.keys(svc.depends_on ?? {});
    if (opts.deps !== false && deps.length) {
      await up(engine, project, { services: deps }, progress);
      for (const [dep, d] of Object.entries(svc.depends_on ?? {})) await waitForCondition(engine, project, dep, d.condition, progress);
    } else await ensureResources(engine, project, progress);
    await prepareImages(engine, project, [service], { build: opts.build }, progress);
    const name = opts.name ?? `${project.name}-${service}-run-${randomBytes(6).toString('hex')}`;
    const spec = serviceSpec(project, service, { number: 1, oneoff: true, name });
    if (!opts.servicePorts) delete spec.portMappings;
    if (opts.publish?.length) spec.portMappings = opts.publish.flatMap(parsePublish);
    if (command.length) spec.command = command;
    if (opts.entrypoint !== undefined) spec.entrypoint = shellWords(opts.entrypoint);
    if (opts.env?.length) spec.env = { ...spec.env, ...parseEnv([], opts.env) };
    if (opts.user) spec.user = opts.user;
    if (opts.workdir) spec.workingDir = opts.workdir;
    if (opts.rm) spec.remove = true;
    delete spec.restartPolicy;
    const tty = (opts as { TTY?: boolean }).TTY !== false && process.stdin.isTTY === true && !opts.detach;
    spec.terminal = tty;
    spec.stdin = !opts.detach;
    const created = await engine.containers.create(spec);
    if (opts.detach) {
      const [r] = await engine.containers.start([created.id]);
      if (r?.error) throw r.error;
      ctx.out(`${name}\n`);
      return 0;
    }
    const { streams, restore } = terminalStreams({ interactive: true, tty, sigProxy: true });
    try {
      const result = await engine.containers.startAttached(created.id, streams);
      return result.exitCode ?? 0;
    } finally {
      restore();
    }
  },
});
