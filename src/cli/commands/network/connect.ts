import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { parseIp } from '../../../engine/network/networkStore.js';
import { requireArgs } from './common.js';

interface Options {
  alias?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
}

/** pflag's StringSlice: repeatable, each value comma-separated. */
const collectList = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',')];

export default defineCommand<Options>({
  usage: '[options] NETWORK CONTAINER',
  description: 'Adds a container to a network.',
  examples: ['tspod network connect web secondary', 'tspod network connect --ip 10.89.1.13 --alias db web secondary'],
  configure(cmd: Command) {
    cmd
      .argument('[args...]')
      .option('--alias <alias>', 'network scoped alias for container', collectList)
      .option('--ip <ip>', 'set a static ipv4 address for this container network')
      .option('--ip6 <ip>', 'set a static ipv6 address for this container network')
      .option('--mac-address <mac>', 'set a static mac address for this container network');
  },
  async run(ctx, args, opts) {
    requireArgs(args, { exact: 2 });
    const ips: string[] = [];
    for (const [flag, value] of [
      ['--ip', opts.ip],
      ['--ip6', opts.ip6],
    ] as const) {
      if (value === undefined) continue;
      if (!parseIp(value)) throw new InvalidArgumentError(`invalid argument "${value}" for "${flag}" flag: invalid string being converted to IP address: ${value}`);
      ips.push(value);
    }
    if (opts.macAddress !== undefined && !/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(opts.macAddress)) {
      throw new InvalidArgumentError(`address ${opts.macAddress}: invalid MAC address: use six hex pairs like 92:d0:c6:0a:29:33`);
    }
    await (await ctx.engine()).networks.connect(args[0]!, args[1]!, {
      ...(ips.length > 0 ? { ips } : {}),
      ...(opts.macAddress ? { mac: opts.macAddress.toLowerCase().replace(/-/g, ':') } : {}),
      ...(opts.alias?.length ? { aliases: opts.alias } : {}),
    });
  },
});
