import type { Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import type { NetworkCreateOptions } from '../../../engine/types.js';
import { parseKeyValues, requireArgs } from './common.js';

interface Options {
  driver: string;
  opt?: string[];
  gateway?: string[];
  internal?: boolean;
  ipRange?: string[];
  macvlan?: string;
  label?: string[];
  ipamDriver?: string;
  ipv6?: boolean;
  subnet?: string[];
  disableDns?: boolean;
  interfaceName?: string;
  ignore?: boolean;
}

/** pflag's IPSlice: repeatable, each value comma-separated. */
const collectList = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',').map((v) => v.trim())];

export default defineCommand<Options>({
  usage: '[options] [NAME]',
  description: 'Create networks for containers and pods. Prints the name of the new network.',
  examples: ['tspod network create podman1', 'tspod network create --subnet 192.168.55.0/24 --gateway 192.168.55.3 net2'],
  configure(cmd: Command) {
    cmd
      .argument('[name...]')
      .option('-d, --driver <driver>', 'driver to manage the network (bridge, macvlan)', 'bridge')
      .option('-o, --opt <option>', 'set driver specific options (mtu, vlan, isolate, metric; macvlan: parent, mode, mtu)', collect)
      .option('--gateway <ip>', 'IPv4 or IPv6 gateway for the subnet', collectList)
      .option('--internal', 'restrict external access from this network')
      .option('--ip-range <range>', 'allocate container IP from range', collect)
      .option('--label <label>', 'set metadata on a network', collect)
      .option('--ipam-driver <driver>', 'IP Address Management Driver (host-local, none)')
      .option('--ipv6', 'enable IPv6 networking')
      .option('--subnet <subnet>', 'subnets in CIDR format', collect)
      .option('--disable-dns', 'disable dns plugin')
      .option('--interface-name <name>', 'name of the bridge interface on the host')
      .option('--ignore', "don't fail if the network already exists");
    cmd.addOption(cmd.createOption('--macvlan <device>', 'deprecated: use --driver macvlan --opt parent=<device>').hideHelp());
  },
  async run(ctx, args, opts) {
    requireArgs(args, { max: 1 });
    const labels = parseKeyValues(opts.label, 'failed to parse labels');
    const options = parseKeyValues(opts.opt, 'unable to parse options');
    let driver = opts.driver;
    if (opts.macvlan) {
      ctx.err('WARN[0000] The --macvlan option is deprecated, use `--driver macvlan --opt parent=<device>` instead\n');
      driver = 'macvlan';
      options.parent = opts.macvlan;
    }
    const create: NetworkCreateOptions = {
      name: args[0],
      driver,
      subnets: opts.subnet,
      gateways: opts.gateway,
      ipRanges: opts.ipRange,
      internal: opts.internal,
      disableDns: opts.disableDns,
      ipv6: opts.ipv6,
      labels,
      options,
      interfaceName: opts.interfaceName,
      ignore: opts.ignore,
      ipamDriver: opts.ipamDriver,
    };
    const network = await (await ctx.engine()).networks.create(create);
    ctx.out(`${network.name}\n`);
  },
});
