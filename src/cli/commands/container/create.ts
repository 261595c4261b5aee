import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand, type CommandContext } from '../../command.js';
import { addCreateFlags, specFromFlags, type CreateFlags } from './createFlags.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import type { Engine, ImagePullOptions, RegistryAccessOptions } from '../../../engine/types.js';
import { registryAccess } from '../image/pullFlags.js';
import { copyProgress } from '../../progressBars.js';
import { shortNamePrompt } from '../../shortNamePrompt.js';
import type { ContainerSpec } from '../../../engine/spec/containerSpec.js';

export default defineCommand<CreateFlags>({
  usage: '[options] IMAGE [COMMAND [ARG...]]',
  description: 'Creates a container from an image without starting it; prints its ID.',
  stopAtFirstArg: true,
  configure(cmd: Command) {
    cmd.argument('[image]').argument('[command...]');
    addCreateFlags(cmd);
  },
  async run(ctx, args, opts) {
    const { id } = await createFromFlags(ctx, args, opts);
    ctx.out(`${id}\n`);
  },
});

/**
 * --pull: always and newer ask the registry, missing only when the image is
 * not stored, never not at all (create then reports the missing image).
 * Progress goes to stderr unless -q, as Podman's run does.
 */
async function pullForCreate(engine: Engine, spec: ContainerSpec, opts: CreateFlags, access: RegistryAccessOptions): Promise<void> {
  const policy = spec.pull ?? 'missing';
  if (policy === 'never') return;
  let platform: ImagePullOptions['platform'];
  if (opts.platform) {
    if (opts.arch || opts.os) throw new InvalidArgumentError('--platform option can not be specified with --arch or --os');
    const [os, arch, variant] = opts.platform.split('/');
    platform = { os: os || undefined, arch: arch || undefined, variant: variant || undefined };
  } else if (opts.arch || opts.os) {
    platform = { os: opts.os || undefined, arch: opts.arch || undefined };
  }
  if (policy === 'missing' && !platform && (await engine.images.exists(spec.image))) return;
  const display = copyProgress((text) => process.stderr.write(text), {
    quiet: opts.quiet,
    tty: process.stderr.isTTY === true,
    plainWhenPiped: true,
    columns: process.stderr.columns,
  });
  let ids: string[];
  try {
    ({ ids } = await engine.images.pull(spec.image, {
      ...access,
      policy,
      platform,
      progress: display.progress,
      blobProgress: display.blobProgress,
      chooseShortName: shortNamePrompt(),
    }));
  } finally {
    display.finish();
  }
  // An image pulled by digest carries no name: create from its id.
  if (ids[0] && !(await engine.images.exists(spec.image))) spec.image = ids[0];
}

/** create and run: flags to spec, --replace, create, --cidfile. */
export async function createFromFlags(ctx: CommandContext, args: string[], opts: CreateFlags): Promise<{ id: string; name: string }> {
  // `--tls-verify IMAGE`: the word is the image, not the flag's value.
  const access = registryAccess(opts, args);
  const spec = specFromFlags(opts, args, ['tspod', ...process.argv.slice(2)]);
  if (opts.replace && !spec.name) throw new InvalidArgumentError('cannot replace a container without --name being set');
  const engine = await ctx.engine();
  if (opts.replace) {
    const reports = await engine.containers.remove([spec.name!], { force: true, ignore: true });
    const failed = reports.find((r) => r.error);
    if (failed?.error) throw failed.error;
  }
  await pullForCreate(engine, spec, opts, access);
  const created = await engine.containers.create(spec);
  for (const warning of created.warnings) process.stderr.write(`WARN[0000] ${warning}\n`);
  if (opts.cidfile) writeFileSync(opts.cidfile, created.id, { flag: 'wx' });
  return created;
}
