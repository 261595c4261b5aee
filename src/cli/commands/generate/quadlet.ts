import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { generateQuadlet, QUADLET_EXTENSIONS, type SourceFile } from '../../../systemd/quadlet.js';
import { globalArgs, tspodExecutable } from './systemd.js';

interface Options {
  dryrun?: boolean;
  user?: boolean;
  noKmsg?: boolean;
}

/** Podman's quadlet search path; earlier directories win for the same file name. */
export function searchDirs(user: boolean, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.QUADLET_UNIT_DIRS) return env.QUADLET_UNIT_DIRS.split(':').filter(Boolean);
  if (user) {
    const config = env.XDG_CONFIG_HOME || join(homedir(), '.config');
    const uid = process.getuid?.() ?? 0;
    return [join(config, 'containers/systemd'), `/etc/containers/systemd/users/${uid}`, '/etc/containers/systemd/users'];
  }
  return ['/etc/containers/systemd', '/usr/share/containers/systemd'];
}

function readSources(dirs: string[]): SourceFile[] {
  const seen = new Map<string, SourceFile>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (!(QUADLET_EXTENSIONS as readonly string[]).includes(extname(name)) || seen.has(name)) continue;
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) continue;
        seen.set(name, { path, text: readFileSync(path, 'utf8') });
      } catch {
        // vanished or unreadable: skipped like any other non-unit
      }
    }
  }
  return [...seen.values()];
}

export default defineCommand<Options>({
  usage: '[options] [OUTPUT_DIR]',
  description: 'Quadlet: generate systemd services from .container, .volume, .network, .kube, .pod, .image and .build files (a systemd generator).',
  configure(cmd: Command) {
    cmd
      .argument('[dirs...]')
      .option('--dryrun', 'print the units instead of writing them')
      .option('--user', 'generate user units (search ~/.config/containers/systemd)')
      .option('--no-kmsg', 'accepted for compatibility; errors always go to stderr');
  },
  async run(ctx, args, opts) {
    const outDir = args[0];
    if (!opts.dryrun && !outDir) throw new InvalidArgumentError('missing OUTPUT_DIR: give the directory to write the units to, or --dryrun');
    const sources = readSources(searchDirs(opts.user === true));
    const result = generateQuadlet(sources, { executable: tspodExecutable(), globalArgs: globalArgs(ctx.globals) });
    for (const service of result.services) {
      if (opts.dryrun) {
        ctx.out(`---${service.fileName}---\n${service.text}\n`);
        continue;
      }
      mkdirSync(outDir!, { recursive: true });
      writeFileSync(join(outDir!, service.fileName), service.text);
      for (const [targets, kind] of [[service.wantedBy, 'wants'], [service.requiredBy, 'requires']] as const) {
        for (const target of targets) {
          const linkDir = join(outDir!, `${target}.${kind}`);
          mkdirSync(linkDir, { recursive: true });
          rmSync(join(linkDir, service.fileName), { force: true });
          symlinkSync(join('..', service.fileName), join(linkDir, service.fileName));
        }
      }
    }
    for (const e of result.errors) ctx.err(`Error: ${e}\n`);
    return result.errors.length ? 125 : 0;
  },
});
