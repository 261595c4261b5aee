import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';

const GO_TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

interface Options {
  /** true/false from -a/--archive[=bool]; a string when commander took the next word as its value. */
  archive: boolean | string;
  overwrite?: boolean;
}

/** `CTR:PATH` names a container's path; a path starting with `/` or `.` (or without `:`) is the host's. */
function parseEnd(arg: string): { container?: string; path: string } {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export default defineCommand<Options>({
  usage: '[options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem; "-" is a tar archive on stdin or stdout.',
  examples: ['tspod cp ctr:/etc/os-release .', 'tspod cp ./dir ctr:/tmp/', 'tspod cp ctr:/var/log - > log.tar'],
  configure(cmd: Command) {
    cmd
      .argument('[src]')
      .argument('[dest]')
      .option('-a, --archive [bool]', 'chown copied files to the primary uid/gid of the destination container', (v: string) => {
        const word = v.replace(/^=/, '');
        return GO_TRUE.includes(word) ? true : GO_FALSE.includes(word) ? false : v;
      }, true)
      .option('--overwrite', 'allow to overwrite directories with non-directories and vice versa');
  },
  async run(ctx, args, opts) {
    const words = args.filter((a): a is string => typeof a === 'string');
    // `-a SRC DEST`: the flag is a plain boolean and the word is the source.
    if (typeof opts.archive === 'string') words.unshift(opts.archive);
    if (words.length !== 2) throw new InvalidArgumentError(`accepts 2 arg(s), received ${words.length}: give SRC_PATH and DEST_PATH`);
    const [srcArg, destArg] = words as [string, string];
    const src = parseEnd(srcArg);
    const dest = parseEnd(destArg);
    if (src.container && dest.container) throw new InvalidArgumentError('copying between containers is not supported: copy to the host first');
    if (!src.container && !dest.container) throw new InvalidArgumentError('invalid arguments: one of SRC_PATH and DEST_PATH must be a container path (CONTAINER:PATH)');
    const copyOpts = { archive: opts.archive !== false, overwrite: opts.overwrite === true };
    const engine = await ctx.engine();
    if (src.container) {
      if (src.path === '') throw new InvalidArgumentError(`"${srcArg}": give a path in the container after the colon`);
      if (dest.path === '-') {
        if (ctx.stdoutIsTty) throw new InvalidArgumentError('refusing to write a tar archive to a terminal: redirect stdout');
        await engine.containers.copyFrom(src.container, src.path, { stream: process.stdout }, copyOpts);
      } else {
        await engine.containers.copyFrom(src.container, src.path, { hostPath: dest.path }, copyOpts);
      }
      return;
    }
    const container = dest.container!;
    const destPath = dest.path === '' ? '/' : dest.path;
    if (src.path === '-') await engine.containers.copyTo(container, destPath, { stream: process.stdin }, copyOpts);
    else await engine.containers.copyTo(container, destPath, { hostPath: src.path }, copyOpts);
  },
});
