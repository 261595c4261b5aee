import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { copyProgress } from '../../progressBars.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import type { ImagePushOptions } from '../../../engine/types.js';

interface Options {
  quiet?: boolean;
  /** true/false from --tls-verify[=bool]; a string when commander took the next word as its value. */
  tlsVerify?: boolean | string;
  certDir?: string;
  authfile?: string;
  creds?: string;
  format?: string;
  compressionFormat?: string;
  compress?: boolean;
  digestfile?: string;
  removeSignatures?: boolean;
  signBy?: string;
  signBySigstorePrivateKey?: string;
  signPassphraseFile?: string;
  disableContentTrust?: boolean;
}

const GO_TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

export default defineCommand<Options>({
  usage: '[options] IMAGE [DESTINATION]',
  exitOnReturn: true,
  description: 'Push an image from local storage to a registry (the default) or to oci:, oci-archive:, docker-archive: or dir:.',
  examples: ['tspod push imageID docker://registry.example.com/repository:tag', 'tspod push imageID oci-archive:/path/to/layout:image:tag'],
  configure(cmd: Command) {
    cmd
      .argument('[image]')
      .argument('[destination]')
      .option('-q, --quiet', 'Suppress output information when pushing images')
      .option('--tls-verify [bool]', 'Require HTTPS and verify certificates when contacting registries (default true)', (v: string) =>
        GO_TRUE.includes(v) ? true : GO_FALSE.includes(v) ? false : v,
      )
      .option('--cert-dir <path>', 'Path to a directory containing TLS certificates and keys')
      .option('--authfile <path>', 'Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override')
      .option('--creds <credentials>', 'Credentials (USERNAME:PASSWORD) to use for authenticating to a registry')
      .option('-f, --format <format>', 'Manifest type (oci, v2s2, or v2s1) to use in the destination (default is manifest type of source, with fallbacks)')
      .option('--compression-format <format>', 'compression format to use (gzip or zstd)')
      .option('--compress', "Compress tarball image layers when pushing to a directory using the 'dir' transport")
      .option('--digestfile <file>', 'Write the digest of the pushed image to the specified file')
      .option('--remove-signatures', 'Discard any pre-existing signatures in the image')
      .option('--sign-by <key>', 'Add a signature at the destination using the specified key')
      .option('--sign-by-sigstore-private-key <path>', 'Sign the image using a sigstore private key at PATH')
      .option('--sign-passphrase-file <path>', 'Read a passphrase for signing an image from PATH')
      .option('--disable-content-trust', 'This is a Docker specific option and is a NOOP');
  },
  async run(ctx, args, opts) {
    const positional = args.filter((a): a is string => typeof a === 'string');
    let tlsVerify: boolean | undefined;
    if (typeof opts.tlsVerify === 'string') {
      // `--tls-verify IMAGE`: the flag is a plain boolean and the word is the image.
      tlsVerify = true;
      positional.unshift(opts.tlsVerify);
    } else {
      tlsVerify = opts.tlsVerify;
    }
    if (positional.length < 1 || positional.length > 2) {
      throw new InvalidArgumentError(`push takes IMAGE and at most one DESTINATION, got ${positional.length} arguments: see tspod push --help`);
    }
    if (opts.signBy || opts.signBySigstorePrivateKey || opts.signPassphraseFile) {
      throw new InvalidArgumentError('tspod cannot sign images: push without --sign-by, --sign-by-sigstore-private-key and --sign-passphrase-file');
    }
    const push: ImagePushOptions & { compress?: boolean } = {
      tlsVerify,
      certDir: opts.certDir,
      authFile: opts.authfile,
      credentials: opts.creds !== undefined ? await parseCreds(opts.creds) : undefined,
      format: parseFormat(opts.format),
      compressionFormat: parseCompression(opts.compressionFormat),
      compress: opts.compress,
      digestFile: opts.digestfile,
      removeSignatures: opts.removeSignatures,
    };
    const engine = await ctx.engine();
    const display = copyProgress((text) => ctx.err(text), { quiet: opts.quiet, tty: ctx.stderrIsTty, plainWhenPiped: false, columns: process.stderr.columns });
    try {
      await engine.images.push(positional[0]!, positional[1], { ...push, progress: display.progress, blobProgress: display.blobProgress });
    } finally {
      display.finish();
    }
  },
});

function parseFormat(value: string | undefined): ImagePushOptions['format'] {
  if (value === undefined || value === '') return undefined;
  if (value === 'oci' || value === 'v2s2') return value;
  if (value === 'v2s1') throw new InvalidArgumentError('tspod does not write v2s1 manifests (deprecated): use --format oci or --format v2s2');
  throw new InvalidArgumentError(`unknown format "${value}": use --format oci or --format v2s2`);
}

function parseCompression(value: string | undefined): ImagePushOptions['compressionFormat'] {
  if (value === undefined || value === '') return undefined;
  if (value === 'gzip' || value === 'zstd') return value;
  throw new InvalidArgumentError(`unsupported compression format "${value}": use gzip or zstd`);
}

async function parseCreds(value: string): Promise<{ username: string; password: string }> {
  const colon = value.indexOf(':');
  const username = colon >= 0 ? value.slice(0, colon) : value;
  if (username === '') throw new InvalidArgumentError('--creds has an empty username: give USERNAME[:PASSWORD]');
  if (colon >= 0) return { username, password: value.slice(colon + 1) };
  if (!process.stdin.isTTY) throw new InvalidArgumentError('--creds has no password and there is no terminal to ask on: give USERNAME:PASSWORD');
  return { username, password: await readHidden('Password: ') };
}

/** Reads one line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let text = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new InvalidArgumentError('interrupted while reading the password'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
