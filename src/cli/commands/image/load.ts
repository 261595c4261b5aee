import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  input?: string;
  quiet?: boolean;
}

export default defineCommand<Options>({
  usage: '[options]',
  description: 'Load image(s) from a tar archive (docker-archive or oci-archive; plain, gzip or zstd) or an oci-dir/docker-dir into local storage.',
  configure(cmd: Command) {
    cmd.option('-i, --input <file>', 'read from the specified archive file (default: stdin)').option('-q, --quiet', 'suppress the output');
  },
  async run(ctx, _args, opts) {
    const directory = opts.input && isDirectory(opts.input) ? opts.input : undefined;
    const input = directory ? undefined : openInput(opts.input);
    const engine = await ctx.engine();
    const showProgress = !opts.quiet && ctx.stderrIsTty;
    if (showProgress) ctx.err('Getting image source signatures\n');
    const result = await engine.images.load({ input, directory, progress: showProgress ? (line) => ctx.err(`${line}\n`) : undefined });
    if (showProgress) ctx.err('Storing signatures\n');
    ctx.out(`Loaded image: ${result.names.join('\nLoaded image: ')}\n`);
  },
});

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function openInput(path: string | undefined): Readable {
  if (!path || path === '-') {
    if (process.stdin.isTTY) {
      throw new InvalidArgumentError('cannot read from terminal: use command-line redirection or the --input flag');
    }
    return process.stdin;
  }
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new InvalidArgumentError(`${path}: no such file: check the path given to --input`);
  }
  if (stat.isDirectory()) throw new InvalidArgumentError(`${path} is a directory: give an archive file`);
  return createReadStream(path, { highWaterMark: 1 << 20 });
}
