import type { Command } from 'commander';
import { defineCommand, type CommandContext } from '../../command.js';
import { collect } from '../../output.js';
import { addProjectFlags, loadFromFlags, logName, prefixedLines, progressTo, serviceContainers, type ProjectFlags } from './common.js';
import { serviceOf, up } from '../../../compose/project.js';
import type { ComposeProject } from '../../../compose/loader.js';
import type { Engine } from '../../../engine/types.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options extends ProjectFlags {
  detach?: boolean;
  build?: boolean;
  forceRecreate?: boolean;
  /** --no-recreate, --no-deps, --no-start set these false. */
  recreate?: boolean;
  deps?: boolean;
  start?: boolean;
  wait?: boolean;
  removeOrphans?: boolean;
  scale?: string[];
  timeout?: string;
  logPrefix?: boolean;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
}

export default defineCommand<Options>({
  usage: '[options] [SERVICE...]',
  description: 'Create and start the containers of a Compose project (attached to their output unless -d).',
  configure(cmd: Command) {
    cmd
      .argument('[services...]')
      .option('-d, --detach', 'Detached mode: run containers in the background')
      .option('--build', 'Build images before starting containers')
      .option('--no-build', "Don't build an image, even if it's missing")
      .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
      .option('--no-recreate', "If containers already exist, don't recreate them")
      .option('--no-deps', "Don't start linked services")
      .option('--wait', 'Wait for services to be running|healthy (implies detached mode)')
      .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
      .option('--no-start', "Don't start the services after creating them")
      .option('--scale <service=n>', 'Scale SERVICE to NUM instances; overrides the scale setting in the Compose file', collect)
      .option('-t, --timeout <seconds>', 'Timeout for container shutdown when attached or when containers are already running')
      .option('--no-log-prefix', "Don't print prefix in logs")
      .option('--abort-on-container-exit', 'Stops all containers if any container was stopped. Incompatible with -d')
      .option('--exit-code-from <service>', 'Return the exit code of the selected service container. Implies --abort-on-container-exit');
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const project = loadFromFlags(ctx, opts, args);
    if (opts.exitCodeFrom !== undefined) {
      if (!project.model.services[opts.exitCodeFrom]) throw new InvalidArgumentError(`--exit-code-from ${opts.exitCodeFrom}: no such service: give one of ${Object.keys(project.model.services).join(', ')}`);
      opts.abortOnContainerExit = true;
    }
    if (opts.abortOnContainerExit && (opts.detach || opts.wait)) throw new InvalidArgumentError(`--abort-on-container-exit${opts.exitCodeFrom ? ' and --exit-code-from' : ''} cannot be combined with ${opts.detach ? '-d' : '--wait'}: the containers' exits are watched attached`);
    if (opts.abortOnContainerExit && opts.start === false) throw new InvalidArgumentError('--abort-on-container-exit cannot be combined with --no-start');
    const scale: Record<string, number> = {};
    for (const s of opts.scale ?? []) {
      const [svc, n] = s.split('=');
      if (!svc || !/^\d+$/.test(n ?? '')) throw new InvalidArgumentError(`invalid --scale "${s}": use SERVICE=NUM`);
      scale[svc] = Number(n);
    }
    const engine = await ctx.engine();
    const names = await up(
      engine,
      project,
      {
        services: args,
        build: opts.build,
        noBuild: opts.build === false,
        forceRecreate: opts.forceRecreate,
        noRecreate: opts.recreate === false,
        noDeps: opts.deps === false,
        removeOrphans: opts.removeOrphans,
        noStart: opts.start === false,
        scale,
        wait: opts.wait,
        parallel: parallelLimit(),
      },
      progressTo(ctx),
    );
    if (opts.detach || opts.wait || opts.start === false) return 0;
    return attach(ctx, engine, project, names, opts);
  },
});

/** COMPOSE_PARALLEL_LIMIT, as Docker Compose reads it (unset: no limit). */
function parallelLimit(): number | undefined {
  const text = process.env.COMPOSE_PARALLEL_LIMIT;
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError(`COMPOSE_PARALLEL_LIMIT=${text}: give a whole number`);
  return Number(text);
}

/** Services others wait on to complete (init jobs): their exit is expected and aborts nothing. */
function oneShotServices(project: ComposeProject): Set<string> {
  return new Set(Object.values(project.model.services).flatMap((svc) => Object.entries(svc.depends_on ?? {}).filter(([, d]) => d.condition === 'service_completed_successfully').map(([name]) => name)));
}

async function attach(ctx: CommandContext, engine: Engine, project: ComposeProject, names: string[], opts: Options): Promise<number> {
  const projectName = project.name;
  const containers = (await serviceContainers(engine, projectName, undefined, [])).filter((c) => names.includes(c.Names[0] ?? ''));
  const width = Math.max(0, ...containers.map((c) => logName(c, projectName).length));
  const timeout = opts.timeout !== undefined ? Number(opts.timeout) : 10;
  const oneShot = oneShotServices(project);
  let stopping = false;
  let aborting = false;
  /** The exit code of the container whose exit aborted the rest (--abort-on-container-exit alone). */
  let abortCode = 0;
  let stopped: Promise<unknown> = Promise.resolve();
  const stopAll = () => {
    stopped = engine.containers.stop(containers.map((c) => c.Id), { timeout, ignore: true });
    return stopped;
  };
  const interrupt = async () => {
    if (stopping) process.exit(130);
    stopping = true;
    ctx.err('Gracefully stopping... (press Ctrl+C again to force)\n');
    await stopAll();
  };
  process.on('SIGINT', () => void interrupt());
  process.on('SIGTERM', () => void interrupt());
  ctx.out(`Attaching to ${containers.map((c) => logName(c, projectName)).join(', ')}\n`);
  const codes = new Map<string, number>();
  await Promise.all(
    containers.map(async (c) => {
      const prefix = opts.logPrefix === false ? '' : `${logName(c, projectName).padEnd(width)}  `;
      const out = opts.logPrefix === false ? process.stdout : prefixedLines(process.stdout, prefix);
      await engine.containers.logs([c.Id], { follow: true }, { stdout: out, stderr: out });
      if (out !== process.stdout) await new Promise<void>((r) => out.end(r));
      const [info] = await engine.containers.inspect([c.Id]);
      const code = info && !(info instanceof Error) ? (info.State as { ExitCode: number }).ExitCode : 0;
      codes.set(c.Id, code);
      ctx.out(`${logName(c, projectName)} exited with code ${code}\n`);
      if (opts.abortOnContainerExit && !aborting && !stopping && !oneShot.has(serviceOf(c))) {
        aborting = true;
        abortCode = code;
        ctx.out('Aborting on container exit...\n');
        await stopAll();
      }
    }),
  );
  await stopped;
  if (stopping) return 130;
  if (opts.exitCodeFrom !== undefined) {
    const own = containers.filter((c) => serviceOf(c) === opts.exitCodeFrom).map((c) => codes.get(c.Id) ?? 0);
    return own.find((code) => code !== 0) ?? own[0] ?? 0;
  }
  return aborting ? abortCode : 0;
}
