import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { defineCommand } from '../../command.js';
import { collect } from '../../output.js';
import { addNetworkFlags, networkFromFlags, specFromFlags, type CreateFlags, type NetworkFlags } from '../container/createFlags.js';
import type { PodCreateOptions } from '../../../engine/types.js';
import { InvalidArgumentError, TspodError, errorMessage } from '../../../util/errors.js';
import { goOpenError, isNoSuchPod, parseGoBool } from './common.js';

export interface PodCreateFlags extends NetworkFlags {
  name?: string;
  share?: string;
  shareParent?: boolean;
  /** --infra[=bool] / --no-infra; undefined when neither is given. */
  infra?: boolean;
  infraImage?: string;
  infraCommand?: string;
  infraName?: string;
  hostname?: string;
  label?: string[];
  labelFile?: string[];
  cgroupParent?: string;
  exitPolicy: string;
  podIdFile?: string;
  replace?: boolean;
  infraConmonPidfile?: string;
}

const DEFAULT_SHARE = 'ipc,net,uts';

export default defineCommand<PodCreateFlags>({
  usage: '[options] [NAME]',
  description: 'Creates a new empty pod and prints its ID; start it with `tspod pod start`.',
  examples: ['tspod pod create', 'tspod pod create --label foo=bar mypod', 'tspod pod create --name web -p 8080:80'],
  stopAtFirstArg: true,
  configure(cmd: Command) {
    addNetworkFlags(cmd, 'pod');
    cmd
      .argument('[name...]')
      .option('-n, --name <name>', 'Assign a name to the pod')
      .option('--share <namespaces>', 'A comma delimited list of kernel namespaces the pod will share')
      .option('--share-parent [bool]', "Set the pod's cgroup as the cgroup parent for all containers joining the pod", (v) => parseGoBool(v, '--share-parent'))
      .option('--infra [bool]', 'Create an infra container associated with the pod to share namespaces with', (v) => parseGoBool(v, '--infra'))
      .option('--no-infra', 'Create the pod without an infra container')
      .option('--infra-image <image>', 'Image to use to override builtin infra container')
      .option('--infra-command <command>', 'Overwrite the default ENTRYPOINT of the image')
      .option('--infra-name <name>', 'Assign a name to the infra container')
      .option('-h, --hostname <name>', 'Set container hostname')
      .option('-l, --label <label>', 'Set metadata on container', collect)
      .option('--label-file <file>', 'Read in a line delimited file of labels', collect)
      .option('--cgroup-parent <path>', 'Optional parent cgroup for the container')
      .option('--exit-policy <policy>', 'Behaviour when the last container exits', 'continue')
      .option('--pod-id-file <file>', 'Write the pod ID to the file')
      .option('--replace', 'If a pod with the same name exists, replace it')
      .option('--infra-conmon-pidfile <file>', 'Write the infra container\'s conmon PID to the file');
  },
  async run(ctx, args, flags) {
    const opts = podCreateOptions(flags, args, ['tspod', ...process.argv.slice(2)]);
    const fd = flags.podIdFile ? openPodIdFile(flags.podIdFile) : undefined;
    try {
      const engine = await ctx.engine();
      if (flags.replace) {
        if (!opts.name) throw new InvalidArgumentError('cannot replace pod without --name being set');
        for (const report of await engine.pods.remove([opts.name], { force: true, ignore: true })) {
          if (report.error && !isNoSuchPod(report.error)) throw report.error;
        }
      }
      const { id } = await engine.pods.create(opts);
      if (fd !== undefined) writeSync(fd, id);
      ctx.out(`${id}\n`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },
});

/** The pod ID file is claimed before the pod is made, so two pods cannot share one. */
function openPodIdFile(path: string): number {
  try {
    return openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new InvalidArgumentError(`pod id file exists. Ensure another pod is not using it or delete ${path}`);
    }
    throw new TspodError(`opening pod-id-file ${path}: ${goOpenError(path, e)}`);
  }
}

/** `pod create` flags and arguments -> the engine's options, with podman's checks and errors. */
export function podCreateOptions(flags: PodCreateFlags, args: string[], createCommand: string[]): PodCreateOptions {
  if (args.length > 1) throw new InvalidArgumentError(`accepts at most 1 arg(s), received ${args.length}`);
  const opts: PodCreateOptions = { createCommand };
  if (args.length > 0) {
    if (flags.name) throw new InvalidArgumentError('cannot specify --name and NAME at the same time');
    opts.name = args[0];
  } else if (flags.name) {
    opts.name = flags.name;
  }
  const labels = parseLabels(flags);
  opts.labels = labels;
  const share = flags.share ?? DEFAULT_SHARE;
  const noShare = share === 'none' || share === '';
  // Sharing nothing needs no infra container, unless one is asked for.
  const infra = flags.infra ?? !noShare;
  opts.infra = infra;
  if (!isExitPolicy(flags.exitPolicy)) throw new InvalidArgumentError(`running pod create option: invalid pod exit policy: "${flags.exitPolicy}"`);
  opts.exitPolicy = flags.exitPolicy;
  if (!infra) {
    checkWithoutInfra(flags, share);
    return opts;
  }
  const network = pickNetwork(networkFromFlags(netFlags(flags)));
  if (Object.keys(network).length > 0) opts.network = network;
  const shareParent = flags.shareParent ?? true;
  if (share.includes('cgroup') && shareParent) {
    throw new InvalidArgumentError("cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS: invalid argument");
  }
  opts.share = parseShare(share);
  opts.shareParent = shareParent;
  if (flags.infraCommand !== undefined) opts.infraCommand = specFromFlags({ entrypoint: flags.infraCommand }, ['infra'], []).entrypoint ?? [];
  if (flags.infraImage !== undefined) opts.infraImage = flags.infraImage;
  if (flags.infraName) opts.infraName = flags.infraName;
  if (flags.infraConmonPidfile) opts.infraConmonPidFile = resolve(flags.infraConmonPidfile);
  if (flags.hostname !== undefined) opts.hostname = flags.hostname;
  if (flags.cgroupParent !== undefined) opts.cgroupParent = flags.cgroupParent;
  return opts;
}

function isExitPolicy(value: string): value is 'continue' | 'stop' {
  return value === 'continue' || value === 'stop' || value === '';
}

function parseLabels(flags: PodCreateFlags): Record<string, string> {
  try {
    return specFromFlags({ label: flags.label, labelFile: flags.labelFile }, ['infra'], []).labels ?? {};
  } catch (e) {
    throw new InvalidArgumentError(`unable to process labels: ${errorMessage(e)}`);
  }
}

/** `--share`: a list, or `+list` to add to the default ipc,net,uts. */
export function parseShare(value: string): string[] {
  const list = value.startsWith('+') ? [...DEFAULT_SHARE.split(','), ...value.slice(1).split(',')] : value.split(',');
  for (const ns of list) {
    if (ns === 'none') break;
    if (ns === 'mnt') throw new InvalidArgumentError('mount sharing functionality not supported on pod level');
    if (!['cgroup', 'net', 'pid', 'user', 'ipc', 'uts', ''].includes(ns)) {
      throw new InvalidArgumentError(`invalid kernel namespace to share: ${ns}. Options are: cgroup, ipc, net, pid, uts or none`);
    }
  }
  return list;
}

function netFlags(flags: PodCreateFlags): CreateFlags {
  return {
    network: flags.network,
    net: flags.net,
    networkAlias: flags.networkAlias,
    ip: flags.ip,
    ip6: flags.ip6,
    macAddress: flags.macAddress,
    dns: flags.dns,
    dnsSearch: flags.dnsSearch,
    dnsOption: flags.dnsOption,
    addHost: flags.addHost,
    hosts: flags.hosts,
    publish: flags.publish,
  };
}

const NETWORK_FIELDS = ['network', 'networks', 'portMappings', 'publishAll', 'expose', 'dns', 'dnsSearch', 'dnsOptions', 'addHosts', 'noHosts'] as const;

function pickNetwork(spec: ReturnType<typeof networkFromFlags>): NonNullable<PodCreateOptions['network']> {
  const out: Record<string, unknown> = {};
  for (const field of NETWORK_FIELDS) if (spec[field] !== undefined) out[field] = spec[field];
  return out as NonNullable<PodCreateOptions['network']>;
}

function exclusive(a: string, b: string): InvalidArgumentError {
  return new InvalidArgumentError(`${a} and ${b} are mutually exclusive pod options: invalid pod spec`);
}

/** What podman refuses of a pod without an infra container, in the order it checks. */
function checkWithoutInfra(flags: PodCreateFlags, share: string): void {
  if (flags.hosts === false) throw new InvalidArgumentError('cannot specify --no-hosts without an infra container');
  // An explicit --infra=false is caught while the flags are read; a default one by the pod spec's checks.
  if (flags.infra === false) {
    if (flags.ip) throw new InvalidArgumentError('cannot set --ip without infra container: invalid argument');
    if (flags.ip6) throw new InvalidArgumentError('cannot set --ip6 without infra container: invalid argument');
    if (flags.macAddress) throw new InvalidArgumentError('cannot set --mac without infra container: invalid argument');
  }
  const network = networkFromFlags(netFlags(flags));
  if (flags.share !== undefined && share !== 'none' && share !== '') {
    throw new InvalidArgumentError(`cannot set share(${share}) namespaces without an infra container`);
  }
  if (network.portMappings?.length) throw new InvalidArgumentError('you must have an infra container to publish port bindings to the host');
  if ((flags.network?.length ?? 0) + (flags.net?.length ?? 0) > 0) throw new InvalidArgumentError('NoInfra and network modes cannot be used together');
  if (network.networks && Object.keys(network.networks).length > 0) throw new InvalidArgumentError('cannot set networks options without infra container');
  if (flags.dnsOption?.length) throw exclusive('NoInfra', 'DNSOption');
  if (flags.dnsSearch?.length) throw exclusive('NoInfo', 'DNSSearch');
  if (network.dns?.length) throw exclusive('NoInfra', 'DNSServer');
  if (network.addHosts?.length) throw exclusive('NoInfra', 'HostAdd');
  if (network.dns?.length === 0) throw exclusive('NoInfra', 'NoManageResolvConf');
}
