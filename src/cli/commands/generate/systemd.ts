import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { defineCommand } from '../../command.js';
import type { GlobalOptions } from '../../globals.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { VERSION } from '../../../version.js';
import { RESTART_POLICIES, type GenerateOptions, type Unit } from '../../../systemd/generate.js';
import { generateUnits } from '../../../systemd/units.js';

interface Options {
  files?: boolean;
  format?: string;
  name?: boolean;
  new?: boolean;
  noHeader?: boolean;
  restartPolicy: string;
  restartSec?: string;
  stopTimeout?: string;
  startTimeout?: string;
  containerPrefix: string;
  podPrefix: string;
  separator: string;
  after?: string[];
  wants?: string[];
  requires?: string[];
  env?: string[];
  template?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export default defineCommand<Options>({
  usage: '[options] {CONTAINER|POD}',
  description: 'Generate systemd units for a container or a pod (one for the pod and one per container).',
  configure(cmd: Command) {
    cmd
      .argument('[name...]')
      .option('--files', 'generate .service files instead of printing to stdout')
      .option('--format <format>', 'print the created units in the specified format (json)')
      .option('-n, --name', 'use container/pod names instead of IDs')
      .option('--new', 'create a new container or pod instead of starting an existing one')
      .option('--no-header', 'skip the header with the tspod version and the timestamp')
      .option('--restart-policy <policy>', 'systemd restart-policy', 'on-failure')
      .option('--restart-sec <seconds>', 'systemd RestartSec')
      .option('-t, --time <seconds>', 'stop timeout override')
      .option('--stop-timeout <seconds>', 'stop timeout override')
      .option('--start-timeout <seconds>', 'start timeout override')
      .option('--container-prefix <prefix>', 'systemd unit name prefix for containers', 'container')
      .option('--pod-prefix <prefix>', 'systemd unit name prefix for pods', 'pod')
      .option('--separator <sep>', 'systemd unit name separator between name/id and prefix', '-')
      .option('--after <unit>', 'add dependencies order to the generated unit file', collect)
      .option('--wants <unit>', 'add (weak) requirement dependencies to the generated unit file', collect)
      .option('--requires <unit>', 'add (strong) requirement dependencies to the generated unit file', collect)
      .option('-e, --env <env>', 'set environment variables to the systemd unit files', collect)
      .option('--template', 'make it a template file and use %i and %I specifiers');
  },
  async run(ctx, args, opts) {
    if (args.length !== 1) throw new InvalidArgumentError('`tspod generate systemd` requires exactly one container or pod name or ID');
    const o = opts as Options & { time?: string; header?: boolean };
    if (!RESTART_POLICIES.includes(o.restartPolicy)) {
      throw new InvalidArgumentError(`${o.restartPolicy} is not a valid restart policy: use one of ${RESTART_POLICIES.join(', ')}`);
    }
    if (o.format !== undefined && o.format !== 'json') throw new InvalidArgumentError(`unsupported format "${o.format}": only json is supported`);
    if (o.template && !o.new) throw new InvalidArgumentError('--template cannot be set without --new');
    if (o.time !== undefined && o.stopTimeout !== undefined) throw new InvalidArgumentError('--time and --stop-timeout are aliases: give only one');
    const seconds = (v: string | undefined, flag: string) => {
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`invalid ${flag} "${v}": give whole seconds`);
      return Number(v);
    };
    const env = (o.env ?? []).map((e) => {
      if (e.includes('=')) return e;
      const v = process.env[e];
      if (v === undefined) throw new InvalidArgumentError(`environment variable ${e} is not set: give ${e}=VALUE`);
      return `${e}=${v}`;
    });
    const genOpts: GenerateOptions = {
      new: o.new === true,
      useName: o.name === true,
      restartPolicy: o.restartPolicy,
      restartSec: seconds(o.restartSec, '--restart-sec'),
      stopTimeout: seconds(o.time ?? o.stopTimeout, '--time'),
      startTimeout: seconds(o.startTimeout, '--start-timeout'),
      noHeader: o.header === false,
      containerPrefix: o.containerPrefix,
      podPrefix: o.podPrefix,
      separator: o.separator,
      after: o.after ?? [],
      wants: o.wants ?? [],
      requires: o.requires ?? [],
      env,
      template: o.template === true,
      executable: tspodExecutable(),
      globalArgs: globalArgs(ctx.globals),
      runroot: ctx.globals.runroot ?? (process.getuid?.() === 0 ? '/run/containers/storage' : '%t/containers'),
      version: VERSION,
      now: new Date(),
      takesValue: await valueFlags(() => import('../container/run.js')),
      podTakesValue: await valueFlags(() => import('../pod/create.js')),
    };
    const engine = await ctx.engine();
    const units = await generateUnits(engine, args[0]!, genOpts);
    if (o.files) {
      const paths = units.map((u) => {
        const path = resolve(`${u.name}.service`);
        writeFileSync(path, u.text);
        return path;
      });
      if (o.format === 'json') ctx.out(`${JSON.stringify(paths, null, 1)}\n`);
      else ctx.out(paths.map((p) => `${p}\n`).join(''));
      return 0;
    }
    if (o.format === 'json') ctx.out(`${JSON.stringify(Object.fromEntries(units.map((u) => [u.name, u.text])), null, 1)}\n`);
    else ctx.out(units.map((u) => u.text).join(''));
    return 0;
  },
});

/** The installed /usr/local/bin/tspod when it is this tspod, else this checkout's launcher. */
export function tspodExecutable(): string {
  const launcher = resolve(dirname(process.argv[1] ?? ''), 'tspod');
  const own = existsSync(launcher) ? launcher : resolve(process.argv[1] ?? 'tspod');
  try {
    if (realpathSync('/usr/local/bin/tspod') === realpathSync(own)) return '/usr/local/bin/tspod';
  } catch {
    // not installed
  }
  return own;
}

/** The storage-selecting global flags this invocation was given, for units that act on existing containers. */
export function globalArgs(g: GlobalOptions): string[] {
  const out: string[] = [];
  const add = (flag: string, v: string | undefined) => {
    if (v !== undefined) out.push(flag, v);
  };
  add('--root', g.root);
  add('--runroot', g.runroot);
  add('--storage-driver', g.storageDriver);
  for (const s of g.storageOpt ?? []) add('--storage-opt', s);
  add('--runtime', g.runtime);
  add('--cgroup-manager', g.cgroupManager);
  add('--events-backend', g.eventsBackend);
  add('--tmpdir', g.tmpdir);
  add('--network-config-dir', g.networkConfigDir);
  add('--conmon', g.conmon);
  for (const f of g.runtimeFlag ?? []) add('--runtime-flag', f);
  for (const h of g.hooksDir ?? []) add('--hooks-dir', h);
  return out;
}

/** Which flags of a command take a separate value, from its own commander definition. */
async function valueFlags(load: () => Promise<{ default: { configure(cmd: Command): void } }>): Promise<(flag: string) => boolean> {
  const cmd = new Command();
  (await load()).default.configure(cmd);
  const needs = new Set<string>();
  for (const opt of cmd.options) {
    if (!opt.required) continue;
    if (opt.long) needs.add(opt.long);
    if (opt.short) needs.add(opt.short);
  }
  // Global flags that may sit between the verb's flags (podman accepts them anywhere).
  for (const f of ['--root', '--runroot', '--storage-driver', '--storage-opt', '--runtime', '--cgroup-manager', '--events-backend', '--tmpdir', '--network-config-dir', '--conmon']) needs.add(f);
  return (flag) => needs.has(flag);
}

export const unitPath = (dir: string, unit: Unit) => join(dir, `${unit.name}.service`);
