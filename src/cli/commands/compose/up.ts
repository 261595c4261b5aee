import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { addProjectFlags, loadFromFlags, logName, prefixedLines, progressTo, serviceContainers, type ProjectFlags } from './common.js';
import { up } from '../../../compose/project.js';
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
      .option('--no-log-prefix', "Don't print prefix in logs");
    addProjectFlags(cmd);
  },
  async run(ctx, args, opts) {
    const project = loadFromFlags(ctx, opts, args);
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
      },
      progressTo(ctx),
    );
    if (opts.detach || opts.wait || opts.start === false) return 0;
    return attach(ctx, engine, project.name, names, opts);
  },
});

async function attach(ctx: import('../../command.js').CommandContext, engine: import('../../../engine/types.js').Engine, projectName: string, names: string[], opts: Options): Promise<number> {
  const containers = (await serviceContainers(engine, projectName, undefined, [])).filter((c) => names.includes(c.Names[0] ?? ''));
  const width = Math.max(0, ...containers.map((c) => logName(c, projectName).length));
  const timeout = opts.timeout !== undefined ? Number(opts.timeout) : 10;
  let stopping = false;
  const stopAll = async () => {
    if (stopping) process.exit(130);
    stopping = true;
    ctx.err('Gracefully stopping... (press Ctrl+C again to force)\n');
    await engine.containers.stop(containers.map((c) => c.Id), { timeout, ignore: true });
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());
  ctx.out(`Attaching to ${containers.map((c) => logName(c, projectName)).join(', ')}\n`);
  await Promise.all(
    containers.map(async (c) => {
      const prefix = opts.logPrefix === false ? '' : `${logName(c, projectName).padEnd(width)}  `;
      const out = opts.logPrefix === false ? process.stdout : prefixedLines(process.stdout, prefix);
      await engine.containers.logs([c.Id], { follow: true }, { stdout: out, stderr: out });
      if (out !== process.stdout) await new Promise<void>((r) => out.end(r));
      const [info] = await engine.containers.inspect([c.Id]);
      const code = info && !(info instanceof Error) ? (info.State as { ExitCode: number }).ExitCode : 0;
      ctx.out(`${logName(c, projectName)} exited with code ${code}\n`);
    }),
  );
  return stopping ? 130 : 0;
}
