import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { collect } from '../../output.js';
import type { CommandContext } from '../../command.js';
import { loadProject, type ComposeProject } from '../../../compose/loader.js';
import { projectContainers, serviceOf } from '../../../compose/project.js';
import type { ContainerSummary, Engine } from '../../../engine/types.js';
import { InvalidArgumentError } from '../../../util/errors.js';

export interface ProjectFlags {
  file?: string[];
  projectName?: string;
  profile?: string[];
  envFile?: string[];
  projectDirectory?: string;
}

/** The flags every compose command takes (given before or after the verb). */
export function addProjectFlags(cmd: Command, opts: { shortFile?: boolean; shortProject?: boolean } = {}): void {
  cmd
    .option(opts.shortFile === false ? '--file <file>' : '-f, --file <file>', 'Compose configuration files', collect)
    .option(opts.shortProject === false ? '--project-name <name>' : '-p, --project-name <name>', 'Project name')
    .option('--profile <profile>', 'Specify a profile to enable', collect)
    .option('--env-file <file>', 'Specify an alternate environment file', collect)
    .option('--project-directory <dir>', 'Specify an alternate working directory (default: the folder of the first Compose file)');
}

export function loadFromFlags(ctx: CommandContext, opts: ProjectFlags, services?: string[]): ComposeProject {
  return loadProject({
    files: opts.file,
    projectName: opts.projectName,
    profiles: opts.profile,
    envFiles: opts.envFile,
    projectDirectory: opts.projectDirectory,
    services,
    // Without -f, the files are looked for in --project-directory, as Docker Compose does.
    cwd: opts.projectDirectory && !opts.file?.length ? resolve(opts.projectDirectory) : process.cwd(),
    env: process.env,
    warn: (m) => ctx.err(`WARN[0000] ${m}\n`),
  });
}

/** The project's name without requiring its files (for down/ps/stop... with -p only, as Compose allows). */
export function projectNameFromFlags(ctx: CommandContext, opts: ProjectFlags): { name: string; project?: ComposeProject } {
  try {
    const project = loadFromFlags(ctx, opts);
    return { name: project.name, project };
  } catch (e) {
    if (opts.projectName && !opts.file?.length) return { name: opts.projectName };
    throw e;
  }
}

export const progressTo = (ctx: CommandContext) => (line: string) => ctx.err(line.startsWith('WARN') ? `${line}\n` : ` ${line}\n`);

/** The project's containers of the services named (all when none), checking the names. */
export async function serviceContainers(engine: Engine, name: string, project: ComposeProject | undefined, services: string[], opts: { all?: boolean; oneoff?: boolean } = {}): Promise<ContainerSummary[]> {
  if (project) for (const s of services) if (!project.model.services[s]) throw new InvalidArgumentError(`no such service: ${s}`);
  const list = await projectContainers(engine, name, { all: opts.all, oneoff: opts.oneoff });
  return services.length ? list.filter((c) => services.includes(serviceOf(c))) : list;
}

/** A stream that prefixes each line with `name  | ` (padded), as Compose's attached output. */
export function prefixedLines(out: NodeJS.WritableStream, prefix: string): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      if (lines.length) out.write(lines.map((l) => `${prefix}| ${l}\n`).join(''));
      done();
    },
    final(done) {
      if (pending) out.write(`${prefix}| ${pending}\n`);
      done();
    },
  });
}

/** `web-1` for `proj-web-1`: the name Compose prints before log lines. */
export function logName(c: ContainerSummary, project: string): string {
  const name = c.Names[0] ?? '';
  return name.startsWith(`${project}-`) ? name.slice(project.length + 1) : name;
}
