import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { copyProgress } from '../../progressBars.js';
import { shortNamePrompt } from '../../shortNamePrompt.js';
import { InvalidArgumentError, errorMessage } from '../../../util/errors.js';
import type { ImagePullOptions } from '../../../engine/types.js';
import { parseTlsVerify, registryAccess, type RegistryAccessFlags } from './pullFlags.js';

interface Options extends RegistryAccessFlags {
  allTags?: boolean;
  arch?: string;
  os?: string;
  variant?: string;
  platform?: string;
  quiet?: boolean;
  policy?: string;
  disableContentTrust?: boolean;
}

const POLICIES = ['always', 'missing', 'never', 'newer'] as const;

export default defineCommand<Options>({
  usage: '[options] IMAGE [IMAGE...]',
  exitOnReturn: true,
  description: 'Pull images from a registry into local storage; prints the image IDs.',
  examples: ['tspod pull imageName', 'tspod pull fedora:latest', 'tspod pull --arch=arm64 quay.io/libpod/alpine', 'tspod pull --all-tags registry.example.com/repo'],
  configure(cmd: Command) {
    cmd
      .argument('[images...]')
      .option('-a, --all-tags', 'All tagged images in the repository will be pulled')
      .option('--creds <credentials>', 'Credentials (USERNAME:PASSWORD) to use for authenticating to a registry')
      .option('--arch <arch>', 'Use ARCH instead of the architecture of the machine for choosing images')
      .option('--os <os>', 'Use OS instead of the running OS for choosing images')
      .option('--variant <variant>', 'Use VARIANT instead of the running architecture variant for choosing images')
      .option('--platform <platform>', 'Specify the platform for selecting the image (OS/ARCH[/VARIANT]; conflicts with --arch and --os)')
      .option('--disable-content-trust', 'This is a Docker specific option and is a NOOP')
      .option('-q, --quiet', 'Suppress output information when pulling images')
      .option('--tls-verify [bool]', 'Require HTTPS and verify certificates when contacting registries (default true)', parseTlsVerify)
      .option('--authfile <path>', 'Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override')
      .option('--cert-dir <path>', 'Path to a directory containing TLS certificates and keys')
      .option('--policy <policy>', 'Pull image policy ("always"|"missing"|"never"|"newer")', 'always');
  },
  async run(ctx, args, opts) {
    const images = args.flat().filter((a): a is string => typeof a === 'string');
    // `--tls-verify IMAGE`: the flag is a plain boolean and the word is an image.
    const access = registryAccess(opts, images);
    if (images.length === 0) throw new InvalidArgumentError('requires at least 1 arg(s), only received 0: give the image to pull');
    const policy = opts.policy ?? 'always';
    if (!(POLICIES as readonly string[]).includes(policy)) throw new InvalidArgumentError(`unsupported pull policy "${policy}": use always, missing, never or newer`);
    const pull: ImagePullOptions = {
      ...access,
      platform: parsePlatform(opts),
      chooseShortName: shortNamePrompt(),
      allTags: opts.allTags,
      policy: policy as ImagePullOptions['policy'],
    };
    const engine = await ctx.engine();
    const errors: unknown[] = [];
    for (const image of images) {
      // Podman writes pull progress to stderr unless -q: bars on a terminal, plain lines otherwise.
      const display = copyProgress((text) => ctx.err(text), { quiet: opts.quiet, tty: ctx.stderrIsTty, plainWhenPiped: true, columns: process.stderr.columns });
      try {
        const { ids } = await engine.images.pull(image, { ...pull, progress: display.progress, blobProgress: display.blobProgress });
        display.finish();
        for (const id of ids) ctx.out(`${id}\n`);
      } catch (e) {
        display.finish();
        errors.push(e);
      }
    }
    if (errors.length === 0) return;
    for (const e of errors.slice(0, -1)) ctx.err(`Error: ${errorMessage(e)}\n`);
    throw errors.at(-1);
  },
});

/** --platform OS/ARCH[/VARIANT], or --os/--arch/--variant; none of them: the host's. */
function parsePlatform(opts: Options): ImagePullOptions['platform'] {
  if (opts.platform) {
    if (opts.arch || opts.os) throw new InvalidArgumentError('--platform option can not be specified with --arch or --os');
    const [os, arch, variant] = opts.platform.split('/');
    if (!os || (opts.platform.includes('/') && !arch)) throw new InvalidArgumentError(`invalid platform "${opts.platform}": use OS/ARCH[/VARIANT], e.g. linux/arm64`);
    return { os, arch: arch || undefined, variant: variant || opts.variant || undefined };
  }
  if (!opts.os && !opts.arch && !opts.variant) return undefined;
  return { os: opts.os || undefined, arch: opts.arch || undefined, variant: opts.variant || undefined };
}
