import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { accessOptions, addAccessFlags, expectArgs, goBool, parseFormat, takeBool, type AccessFlags } from './flags.js';

interface Options extends AccessFlags {
  all?: boolean | string;
  rm?: boolean | string;
  quiet?: boolean;
  format?: string;
  compressionFormat?: string;
  digestfile?: string;
  removeSignatures?: boolean;
  signBy?: string;
  signBySigstorePrivateKey?: string;
  signPassphraseFile?: string;
}

export default defineCommand<Options>({
  usage: '[options] LIST [DESTINATION]',
  description: "Pushes a manifest list and the local images it names to a registry; the destination defaults to the list's name.",
  examples: ['tspod manifest push mylist:v1.11 docker://quay.io/myuser/image:v1.11'],
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('--all [bool]', 'also push the images in the list (default true)', goBool)
      .option('--rm [bool]', 'remove the manifest list if push succeeds', goBool)
      .option('-q, --quiet', "don't output progress information when pushing lists")
      .option('-f, --format <format>', 'manifest type (oci or v2s2) to use when pushing the list (default is manifest type of source)')
      .option('--compression-format <format>', 'compression format to use (gzip or zstd)')
      .option('--digestfile <file>', 'after copying the list, write its digest to the file')
      .option('--remove-signatures', "don't copy signatures when pushing images")
      .option('--sign-by <key>', 'sign the image using a GPG key with the specified FINGERPRINT')
      .option('--sign-by-sigstore-private-key <path>', 'sign the image using a sigstore private key at PATH')
      .option('--sign-passphrase-file <path>', 'read a passphrase for signing an image from PATH');
    addAccessFlags(cmd);
  },
  async run(ctx, args, opts) {
    const positional = [...args];
    const access = accessOptions(opts, positional);
    const all = takeBool(opts.all, positional);
    const rm = takeBool(opts.rm, positional);
    expectArgs(positional, 1, 2, 'push [options] LIST [DESTINATION]');
    if (opts.signBy || opts.signBySigstorePrivateKey || opts.signPassphraseFile) {
      throw new InvalidArgumentError('tspod cannot sign images: push without --sign-by, --sign-by-sigstore-private-key and --sign-passphrase-file');
    }
    const compression = opts.compressionFormat || undefined;
    if (compression !== undefined && compression !== 'gzip' && compression !== 'zstd') {
      throw new InvalidArgumentError(`unsupported compression format "${compression}": use gzip or zstd`);
    }
    const engine = await ctx.engine();
    await engine.manifests.push(positional[0]!, positional[1], {
      ...access,
      all: all ?? true,
      rm,
      format: parseFormat(opts.format),
      compressionFormat: compression,
      digestFile: opts.digestfile,
      removeSignatures: opts.removeSignatures,
      progress: !opts.quiet && ctx.stderrIsTty ? (line) => ctx.err(`${line}\n`) : undefined,
    });
  },
});
