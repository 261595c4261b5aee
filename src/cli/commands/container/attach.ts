import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { terminalStreams } from './attachStreams.js';
import { targetNames } from './reports.js';
import { InvalidArgumentError } from '../../../util/errors.js';

interface Options {
  detachKeys?: string;
  noStdin?: boolean;
  stdin?: boolean;
  sigProxy?: boolean;
  latest?: boolean;
}

export default defineCommand<Options>({
  usage: '[options] CONTAINER',
  description: "Attaches to a running container's output (and input); exits with its code when it ends.",
  configure(cmd: Command) {
    cmd
      .argument('[container]')
      .option('--detach-keys <keys>', 'select the key sequence for detaching a container')
      .option('--no-stdin', 'do not attach STDIN')
      .option('--sig-proxy [bool]', 'proxy received signals to the process', (v: string) => v !== 'false', true)
      .option('-l, --latest', 'act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    if (!opts.latest && args.length !== 1) throw new InvalidArgumentError('attach requires the name or ID of one running container');
    const engine = await ctx.engine();
    const name = (await targetNames(engine, args, opts.latest))[0]!;
    const info = (await engine.containers.inspect([name]))[0];
    if (info instanceof Error) throw info;
    const config = info.Config as { Tty: boolean; OpenStdin: boolean };
    const { streams, restore } = terminalStreams({
      interactive: opts.stdin !== false && config.OpenStdin,
      tty: config.Tty,
      detachKeys: opts.detachKeys,
      sigProxy: opts.sigProxy !== false,
    });
    try {
      const result = await engine.containers.attach(name, streams);
      return result.detached ? 0 : result.exitCode;
    } finally {
      restore();
    }
  },
});
