import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { targetNames } from './reports.js';
import { mappingsFromInspect, parsePortFilter, portLines } from '../../../engine/network/ports.js';
import { InvalidArgumentError, NoSuchContainerError, isTspodError } from '../../../util/errors.js';

interface Options {
  all?: boolean;
  latest?: boolean;
}

/**
 * `port`: a running container's published ports (`80/tcp -> 0.0.0.0:8080`), or
 * the host side of one of them. Like podman, containers that are not running,
 * or publish nothing, print nothing.
 */
export default defineCommand<Options>({
  usage: '[options] CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  examples: ['tspod port --all', 'tspod port CONTAINER 80/tcp', 'tspod port --latest 80'],
  configure(cmd: Command) {
    cmd
      .argument('[arguments...]')
      .option('-a, --all', 'Display port information for all containers')
      .option('-l, --latest', 'Act on the latest container tspod is aware of');
  },
  async run(ctx, args, opts) {
    if (opts.all && opts.latest) throw new InvalidArgumentError('--all and --latest cannot be used together');
    if (opts.all && args.length > 0) throw new InvalidArgumentError('no arguments are needed with --all');
    if (args.length === 0 && !opts.latest && !opts.all) throw new InvalidArgumentError('you must supply a running container name or id');
    if (args.length > 2) throw new InvalidArgumentError('`port` accepts at most 2 arguments');
    // With --latest the only argument is the port.
    const filter = opts.latest ? (args.length === 1 ? args[0] : undefined) : args[1];
    if (filter) parsePortFilter(filter);
    const engine = await ctx.engine();

    if (opts.all) {
      for (const c of await engine.containers.list({ all: false })) {
        if (c.State !== 'running' || !c.Ports?.length) continue;
        for (const line of portLines(c.Ports)) ctx.out(`${c.Id.slice(0, 12)}\t${line}\n`);
      }
      return;
    }

    const [name] = opts.latest ? await targetNames(engine, [], true) : [args[0]!];
    const [report] = await engine.containers.inspect([name!]);
    if (report instanceof Error || report === undefined) {
      if (isTspodError(report)) throw report;
      throw new NoSuchContainerError(`no container with name or ID "${name}" found: no such container`);
    }
    const state = report.State as { Status?: string } | undefined;
    if (state?.Status !== 'running') return;
    const mappings = mappingsFromInspect((report.NetworkSettings as { Ports?: unknown } | undefined)?.Ports);
    if (mappings.length === 0) return;
    for (const line of portLines(mappings, filter)) ctx.out(`${line}\n`);
  },
});
