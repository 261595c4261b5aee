import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError, NoSuchContainerError } from '../../../util/errors.js';
import { printJson } from '../../format/report.js';

interface Options {
  format?: string;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER',
  description: "Inspect changes to the container's file systems: A added, C changed, D deleted.",
  configure(cmd: Command) {
    cmd
      .argument('[container]')
      .option('--format <format>', 'change the output format (json)')
      .option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    if (opts.format !== undefined && opts.format !== 'json') throw new InvalidArgumentError("only supported value for '--format' is 'json'");
    const engine = await ctx.engine();
    let name = args[0];
    if (opts.latest) {
      const latest = (await engine.containers.list({ all: true, last: 1 }))[0];
      if (!latest) throw new InvalidArgumentError('no containers to diff: create one first');
      name = latest.Id;
    }
    if (!name) throw new InvalidArgumentError('diff requires a container name or ID: give one or use --latest');
    // Like Podman's: a container, else an image of that name.
    let changes;
    if (await engine.containers.exists(name)) changes = await engine.containers.diff(name);
    else if (await engine.images.exists(name)) changes = await engine.images.diff(name);
    else throw new NoSuchContainerError(`${name} not found: no such container or image`);
    if (opts.format === 'json') {
      const pick = (kind: string) => changes.filter((c) => c.kind === kind).map((c) => c.path);
      const out: Record<string, string[]> = {};
      if (pick('C').length) out.changed = pick('C');
      if (pick('A').length) out.added = pick('A');
      if (pick('D').length) out.deleted = pick('D');
      ctx.out(printJson(out, { indent: '     ' }) + '\n');
      return;
    }
    ctx.out(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
  },
});
