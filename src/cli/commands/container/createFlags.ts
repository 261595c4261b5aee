import { parseTlsVerify } from '../image/pullFlags.js';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { collect } from '../../output.js';
import type { ContainerSpec, MountSpec, NetworkAttachment, RestartPolicyName, UlimitSpec } from '../../../engine/spec/containerSpec.js';
import { canonicalIp, parseExpose, parsePublish } from '../../../engine/network/ports.js';
import { InvalidArgumentError } from '../../../util/errors.js';
import { ramInBytes } from '../../../util/units.js';
import { healthSpecFromFlags, type HealthFlags } from '../../../engine/spec/healthSpec.js';
import { logDriver, logOptions, parseDevice, parseSysctls, ulimit } from '../../../engine/spec/hostSpec.js';
import { parseSecretFlag, parseVolumeMount } from './volumeFlags.js';
import { parseTmpfs, parseVolume, parseVolumesFrom } from '../../../engine/spec/mountSpec.js';
import { applySecurityOpt } from '../../../engine/spec/securityOpt.js';

export { parseTmpfs, parseVolume } from '../../../engine/spec/mountSpec.js';
import { parseIdMaps } from '../../../engine/spec/userns.js';

/** The networking flags of `create`/`run` and `pod create` (without -P and --expose, which only containers take). */
export function addNetworkFlags(cmd: Command, what: 'container' | 'pod'): void {
  cmd
    .option('--network <mode>', 'network mode: bridge, none, host, private, container:ID, ns:PATH or a network NAME[:ip=...,mac=...,alias=...]', collect)
    .addOption(new Option('--net <mode>', 'alias of --network').hideHelp().argParser(collect))
    .option('--network-alias <alias>', `add a network-scoped alias for the ${what}`, collect)
    .option('--ip <address>', 'static IPv4 address on the (single) network')
    .option('--ip6 <address>', 'static IPv6 address on the (single) network')
    .option('--mac-address <mac>', 'static MAC address on the (single) network')
    .option('--dns <server>', 'set custom DNS servers', collect)
    .option('--dns-search <domain>', 'set custom DNS search domains', collect)
    .option('--dns-option <option>', 'set custom DNS options', collect)
    .option('--add-host <host:ip>', 'add a custom host-to-IP mapping', collect)
    .option('--no-hosts', `do not create /etc/hosts within the ${what}, instead use the version from the image`)
    .option('-p, --publish <port>', `publish a ${what} port to the host`, collect);
  if (what === 'container') {
    cmd.option('--expose <port>', 'expose a port or a range of ports', collect).option('-P, --publish-all', 'publish all exposed ports to random host ports');
  }
}

/** The networking flags of `create`/`run` and `pod create`. */
export interface NetworkFlags {
  network?: string[];
  /** --net, the alias of --network (commander keeps it apart). */
  net?: string[];
  networkAlias?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
  /** --no-hosts sets it false. */
  hosts?: boolean;
  expose?: string[];
  publish?: string[];
  publishAll?: boolean;
}

/** The flags `create` and `run` share, as podman names them. */
export interface CreateFlags extends NetworkFlags, HealthFlags {
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env?: string[];
  envFile?: string[];
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
  secret?: string[];
  workdir?: string;
  user?: string;
  userns?: string;
  uidmap?: string[];
  gidmap?: string[];
  entrypoint?: string;
  hostname?: string;
  readOnly?: boolean;
  readOnlyTmpfs?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  securityOpt?: string[];
  init?: boolean;
  initPath?: string;
  label?: string[];
  labelFile?: string[];
  annotation?: string[];
  stopSignal?: string;
  stopTimeout?: string;
  restart?: string;
  pull?: string;
  pod?: string;
  podIdFile?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  cpus?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  pidsLimit?: string;
  ulimit?: string[];
  device?: string[];
  sysctl?: string[];
  cgroups?: string;
  cgroupParent?: string;
  logDriver?: string;
  logOpt?: string[];
  groupAdd?: string[];
  shmSize?: string;
  replace?: boolean;
  cidfile?: string;
  conmonPidfile?: string;
  quiet?: boolean;
  detachKeys?: string;
  platform?: string;
  arch?: string;
  /** Registry access for the implicit pull (see pullFlags.ts). */
  tlsVerify?: boolean | string;
  creds?: string;
  authfile?: string;
  certDir?: string;
  os?: string;
}

export function addCreateFlags(cmd: Command): void {
  addNetworkFlags(cmd, 'container');
  cmd
    .option('-i, --interactive', 'keep STDIN open even if not attached')
    .option('-t, --tty', 'allocate a pseudo-TTY for the container')
    .option('--rm', 'remove the container and its anonymous volumes when it exits')
    .option('--name <name>', 'assign a name to the container')
    .option('-e, --env <env>', 'set environment variables in the container', collect)
    .option('--env-file <file>', 'read in a file of environment variables', collect)
    .option('-v, --volume <volume>', 'bind mount a volume: [HOST-DIR|VOLUME-NAME:]CONTAINER-DIR[:OPTIONS]', collect)
    .option('--mount <mount>', 'attach a filesystem mount: type=bind|tmpfs|volume,...', collect)
    .option('--volumes-from <container>', 'mount volumes from the specified container(s): CONTAINER[:ro|rw]', collect)
    .option('--secret <secret>', 'add secret to container: NAME[,type=mount|env,target=...,uid=,gid=,mode=]', collect)
    .option('--tmpfs <tmpfs>', 'mount a temporary filesystem: CONTAINER-DIR[:OPTIONS]', collect)
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('--userns <mode>', 'user namespace: host, keep-id[:uid=N,gid=N], nomap or auto[:size=N]')
    .option('--uidmap <map>', 'UID map for the container\'s user namespace: CONTAINER_ID:HOST_ID:SIZE', collect)
    .option('--gidmap <map>', 'GID map for the container\'s user namespace: CONTAINER_ID:HOST_ID:SIZE', collect)
    .option('--entrypoint <command>', 'overwrite the default ENTRYPOINT of the image')
    .option('-h, --hostname <name>', 'set the container hostname')
    .option('--read-only', 'make the container root filesystem read-only')
    .option('--read-only-tmpfs [bool]', 'with --read-only, mount tmpfs on /run, /tmp and /var/tmp', parseBool)
    .option('--cap-add <capability>', 'add capabilities to the container', collect)
    .option('--cap-drop <capability>', 'drop capabilities from the container', collect)
    .option('--privileged', 'give extended privileges to the container')
    .option('--security-opt <option>', 'security options', collect)
    .option('--init', 'run an init inside the container that forwards signals and reaps processes')
    .option('--init-path <path>', 'path to the container-init binary')
    .option('-l, --label <label>', 'set metadata on the container', collect)
    .option('--label-file <file>', 'read in a line delimited file of labels', collect)
    .option('--annotation <annotation>', 'add annotations to the container', collect)
    .option('--stop-signal <signal>', 'signal to stop the container')
    .option('--stop-timeout <seconds>', 'timeout (in seconds) to stop the container')
    .option('--restart <policy>', 'restart policy: no, on-failure[:max], always, unless-stopped')
    .option('--health-cmd <command>', 'set a healthcheck command for the container ("none" disables the existing healthcheck)')
    .option('--health-interval <interval>', 'set an interval for the healthcheck ("disable" for no automatic timer)')
    .option('--health-retries <retries>', 'the number of retries allowed before a healthcheck is considered to be unhealthy')
    .option('--health-start-period <period>', 'the initialization time needed for a container to bootstrap')
    .option('--health-timeout <timeout>', 'the maximum time allowed to complete the healthcheck before an interval is considered failed')
    .option('--health-on-failure <action>', 'action to take once the container turns unhealthy: none, kill, restart, stop')
    .option('--no-healthcheck', 'disable healthchecks on container')
    .option('--pull <policy>', 'pull image policy: always, missing, never, newer', 'missing')
    .option('--pod <name>', 'run container in an existing pod, or new:NAME to create it')
    .option('--pod-id-file <file>', 'read the pod ID from the file')
    .option('-m, --memory <limit>', 'memory limit (format: <number>[<unit>], unit = b, k, m or g)')
    .option('--memory-reservation <limit>', 'memory soft limit')
    .option('--memory-swap <limit>', 'swap limit equal to memory plus swap: -1 for unlimited')
    .option('--cpus <number>', 'number of CPUs')
    .option('-c, --cpu-shares <shares>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <cpus>', 'CPUs in which to allow execution (0-3, 0,1)')
    .option('--pids-limit <limit>', 'tune container pids limit (set -1 for unlimited)')
    .option('--ulimit <ulimit>', 'ulimit options: name=soft[:hard]', collect)
    .option('--device <device>', 'add a host device to the container: HOST[:CONTAINER][:PERMISSIONS]', collect)
    .option('--sysctl <sysctl>', 'sysctl options: KEY=VALUE (namespaced ones: net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*)', collect)
    .option('--cgroups <mode>', 'control container cgroup configuration: enabled, disabled, no-conmon, split')
    .option('--cgroup-parent <path>', 'optional parent cgroup for the container')
    .option('--log-driver <driver>', 'logging driver for the container: k8s-file, none, passthrough')
    .option('--log-opt <option>', 'logging driver options: path=...', collect)
    .option('--group-add <group>', 'add additional groups to the primary container process', collect)
    .option('--shm-size <size>', 'size of /dev/shm (format: <number>[<unit>])')
    .option('--replace', 'if a container with the same name exists, replace it')
    .option('--cidfile <file>', 'write the container ID to the file')
    .option('--conmon-pidfile <file>', 'write the conmon PID to the file')
    .option('-q, --quiet', 'suppress output information when pulling images')
    .option('--detach-keys <keys>', 'override the key sequence for detaching a container', undefined)
    .option('--platform <platform>', 'specify the platform for selecting the image')
    .option('--arch <arch>', 'use ARCH instead of the architecture of the machine for choosing images')
    .option('--os <os>', 'use OS instead of the running OS for choosing images')
    .option('--tls-verify [bool]', 'require HTTPS and verify certificates when pulling the image (default true)', parseTlsVerify)
    .option('--creds <credentials>', 'credentials (USERNAME:PASSWORD) for the registry the image is pulled from')
    .option('--authfile <path>', 'path of the authentication file for pulling the image')
    .option('--cert-dir <path>', 'path to a directory containing TLS certificates and keys for pulling the image');
}

const NETWORK_MODES = new Set(['bridge', 'none', 'host', 'private', 'slirp4netns', 'pasta']);

/** --network and its companions -> the spec's network mode, networks, ports and name-resolution settings. */
export function networkFromFlags(flags: NetworkFlags): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  const networks: Record<string, NetworkAttachment> = {};
  for (const value of [...(flags.network ?? []), ...(flags.net ?? [])]) {
    const colon = value.indexOf(':');
    const head = colon < 0 ? value : value.slice(0, colon);
    const rest = colon < 0 ? '' : value.slice(colon + 1);
    if (head === 'container' || head === 'ns') {
      if (rest === '') throw new InvalidArgumentError(`--network ${head}: needs a value: --network ${head === 'ns' ? 'ns:PATH' : 'container:NAME'}`);
      out.network = value;
      continue;
    }
    if (head === 'slirp4netns' || head === 'pasta') {
      // User-mode networking; its options ride along after the colon.
      out.network = value;
      continue;
    }
    if (NETWORK_MODES.has(head) && head !== 'bridge') {
      if (rest) throw new InvalidArgumentError(`--network ${head} takes no options: remove ":${rest}"`);
      out.network = head;
      continue;
    }
    const name = head === 'bridge' ? '' : head;
    if (!name && head !== 'bridge') throw new InvalidArgumentError(`invalid --network "${value}": give a mode or a network name`);
    networks[name] = { ...networks[name], ...parseNetworkOptions(rest, value) };
  }
  if (Object.keys(networks).length > 0) {
    if (out.network) throw new InvalidArgumentError(`--network ${out.network} cannot be combined with other networks: give one network mode`);
    out.network = 'bridge';
    // '' is the default network: the engine names it from containers.conf.
    out.networks = networks;
  }
  const single = (what: string): NetworkAttachment => {
    const names = Object.keys(out.networks ?? {});
    if (out.network && out.network !== 'bridge') throw new InvalidArgumentError(`${what} needs a bridge network, not --network ${out.network}`);
    if (names.length > 1) throw new InvalidArgumentError(`${what} can only be set for a single network: use --network NAME:${what === '--ip' ? 'ip=' : 'mac='}... per network`);
    out.networks ??= { '': {} };
    return out.networks[names[0] ?? '']!;
  };
  if (flags.ip) single('--ip').ips = [...(single('--ip').ips ?? []), flags.ip];
  if (flags.ip6) single('--ip6').ips = [...(single('--ip6').ips ?? []), flags.ip6];
  if (flags.macAddress) single('--mac-address').mac = flags.macAddress;
  if (flags.networkAlias?.length) {
    for (const attachment of Object.values(out.networks ?? { '': single('--network-alias') })) {
      attachment.aliases = [...(attachment.aliases ?? []), ...flags.networkAlias];
    }
  }
  if (flags.dns?.length) {
    if (flags.dns.includes('none')) out.dns = [];
    else {
      for (const server of flags.dns) if (!canonicalIp(server)) throw new InvalidArgumentError(`${server} is not an ip address: give --dns an IPv4 or IPv6 address`);
      out.dns = flags.dns;
    }
  }
  if (flags.dnsSearch?.length) out.dnsSearch = flags.dnsSearch;
  if (flags.dnsOption?.length) out.dnsOptions = flags.dnsOption;
  if (flags.addHost?.length) {
    out.addHosts = flags.addHost.map((entry) => {
      const at = entry.indexOf(':');
      const host = entry.slice(0, at);
      const ip = entry.slice(at + 1);
      if (at <= 0 || !canonicalIp(ip.replace(/^\[(.*)\]$/, '$1'))) {
        throw new InvalidArgumentError(`invalid --add-host "${entry}": use HOST:IP, e.g. db:10.0.0.5`);
      }
      return `${host}:${ip.replace(/^\[(.*)\]$/, '$1')}`;
    });
  }
  if (flags.hosts === false) out.noHosts = true;
  if (flags.publish?.length) out.portMappings = flags.publish.flatMap(parsePublish);
  if (flags.publishAll) out.publishAll = true;
  if (flags.expose?.length) out.expose = flags.expose.flatMap(parseExpose);
  return out;
}

function readPodIdFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new InvalidArgumentError(`cannot read pod ID file ${path}: check the --pod-id-file path`);
  }
}

/** `ip=...,ip6=...,mac=...,alias=...,interface_name=...` after a network's name. */
function parseNetworkOptions(text: string, whole: string): NetworkAttachment {
  const attachment: NetworkAttachment = {};
  if (text === '') return attachment;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (value === '') throw new InvalidArgumentError(`invalid option "${part}" in --network ${whole}: use key=value`);
    switch (key) {
      case 'ip':
      case 'ip6':
        if (!canonicalIp(value)) throw new InvalidArgumentError(`invalid ${key} address "${value}" in --network ${whole}`);
        attachment.ips = [...(attachment.ips ?? []), value];
        break;
      case 'mac':
        attachment.mac = value;
        break;
      case 'alias':
        attachment.aliases = [...(attachment.aliases ?? []), value];
        break;
      case 'interface_name':
        attachment.interfaceName = value;
        break;
      default:
        throw new InvalidArgumentError(`unknown option "${key}" in --network ${whole}: use ip, ip6, mac, alias or interface_name`);
    }
  }
  return attachment;
}

function parseBool(value: string): boolean {
  if (value === 'true' || value === '') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`invalid boolean "${value}": use true or false`);
}

/** Flags + `IMAGE [COMMAND [ARG...]]` -> the engine's container spec. */
export function specFromFlags(flags: CreateFlags, args: string[], createCommand: string[]): ContainerSpec {
  const [image, ...command] = args;
  if (!image) throw new InvalidArgumentError('an image name must be given: tspod create IMAGE [COMMAND [ARG...]]');
  const spec: ContainerSpec = {
    image,
    createCommand,
    ...networkFromFlags(flags),
    ...(command.length ? { command } : {}),
  };
  if (flags.name !== undefined) spec.name = flags.name;
  if (flags.pod !== undefined) spec.pod = flags.pod;
  else if (flags.podIdFile !== undefined) spec.pod = readPodIdFile(flags.podIdFile);
  if (flags.interactive) spec.stdin = true;
  if (flags.tty) spec.terminal = true;
  if (flags.rm) spec.remove = true;
  const env = parseEnv(flags.envFile ?? [], flags.env ?? []);
  if (Object.keys(env).length) spec.env = env;
  const mounts = [
    ...(flags.volume ?? []).map(parseVolume),
    ...(flags.mount ?? []).map(parseMount),
    ...(flags.tmpfs ?? []).map(parseTmpfs),
  ];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new InvalidArgumentError(`${m.destination}: duplicate mount destination`);
    seen.add(m.destination);
  }
  if (mounts.length) spec.mounts = mounts;
  if (flags.volumesFrom?.length) spec.volumesFrom = flags.volumesFrom.map(parseVolumesFrom);
  if (flags.secret?.length) spec.secrets = flags.secret.map(parseSecretFlag);
  if (flags.workdir !== undefined) {
    if (!flags.workdir.startsWith('/')) throw new InvalidArgumentError(`workdir "${flags.workdir}" must be an absolute path`);
    spec.workingDir = flags.workdir;
  }
  if (flags.user !== undefined) spec.user = flags.user;
  if (flags.userns !== undefined) spec.userns = flags.userns;
  if (flags.uidmap?.length) spec.uidMap = parseIdMaps(flags.uidmap, '--uidmap');
  if (flags.gidmap?.length) spec.gidMap = parseIdMaps(flags.gidmap, '--gidmap');
  if (flags.entrypoint !== undefined) spec.entrypoint = parseEntrypoint(flags.entrypoint);
  if (flags.hostname !== undefined) spec.hostname = flags.hostname;
  if (flags.readOnly) spec.readOnly = true;
  if (flags.readOnlyTmpfs !== undefined) spec.readOnlyTmpfs = flags.readOnlyTmpfs;
  if (flags.capAdd?.length) spec.capAdd = flags.capAdd.flatMap(splitList);
  if (flags.capDrop?.length) spec.capDrop = flags.capDrop.flatMap(splitList);
  if (flags.privileged) spec.privileged = true;
  for (const opt of flags.securityOpt ?? []) applySecurityOpt(spec, opt, '--security-opt');
  if (flags.init) spec.init = true;
  if (flags.initPath) spec.initPath = flags.initPath;
  const labels = { ...parseKeyValueFiles(flags.labelFile ?? []), ...parseKeyValues(flags.label ?? [], '--label') };
  if (Object.keys(labels).length) spec.labels = labels;
  const annotations = parseKeyValues(flags.annotation ?? [], '--annotation');
  if (Object.keys(annotations).length) spec.annotations = annotations;
  if (flags.stopSignal !== undefined) spec.stopSignal = flags.stopSignal;
  if (flags.conmonPidfile) spec.conmonPidFile = resolve(flags.conmonPidfile);
  if (flags.stopTimeout !== undefined) spec.stopTimeout = parseUnsigned(flags.stopTimeout, '--stop-timeout');
  if (flags.restart !== undefined) Object.assign(spec, parseRestart(flags.restart));
  Object.assign(spec, healthSpecFromFlags(flags));
  if (spec.remove && spec.restartPolicy && spec.restartPolicy !== 'no') {
    throw new InvalidArgumentError('the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"');
  }
  if (flags.pull !== undefined) {
    if (!['always', 'missing', 'never', 'newer'].includes(flags.pull)) {
      throw new InvalidArgumentError(`invalid pull policy "${flags.pull}": use always, missing, never or newer`);
    }
    spec.pull = flags.pull as ContainerSpec['pull'];
  }
  const resources: NonNullable<ContainerSpec['resources']> = {};
  if (flags.memory !== undefined) resources.memory = parseBytes(flags.memory, '--memory');
  if (flags.memoryReservation !== undefined) resources.memoryReservation = parseBytes(flags.memoryReservation, '--memory-reservation');
  if (flags.memorySwap !== undefined) resources.memorySwap = flags.memorySwap === '-1' ? -1 : parseBytes(flags.memorySwap, '--memory-swap');
  if (flags.cpus !== undefined) {
    const cpus = Number(flags.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0) throw new InvalidArgumentError(`invalid --cpus "${flags.cpus}": give a positive number such as 0.5 or 2`);
    resources.cpus = cpus;
  }
  if (flags.cpuShares !== undefined) resources.cpuShares = parseUnsigned(flags.cpuShares, '--cpu-shares');
  if (flags.cpusetCpus !== undefined) resources.cpusetCpus = flags.cpusetCpus;
  if (flags.pidsLimit !== undefined) {
    const n = Number(flags.pidsLimit);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid --pids-limit "${flags.pidsLimit}": give an integer, -1 for unlimited`);
    resources.pidsLimit = n <= 0 ? 0 : n;
  }
  if (Object.keys(resources).length) spec.resources = resources;
  if (flags.ulimit?.length) spec.ulimits = flags.ulimit.map(parseUlimit);
  if (flags.cgroups !== undefined) {
    if (!['enabled', 'disabled', 'no-conmon', 'split'].includes(flags.cgroups)) {
      throw new InvalidArgumentError(`invalid --cgroups "${flags.cgroups}": use enabled, disabled, no-conmon or split`);
    }
    spec.cgroups = flags.cgroups as ContainerSpec['cgroups'];
  }
  if (flags.cgroupParent !== undefined) spec.cgroupParent = flags.cgroupParent;
  if (flags.device?.length) spec.devices = flags.device.map((d) => parseDevice(d));
  if (flags.sysctl?.length) spec.sysctls = parseSysctls(flags.sysctl);
  if (flags.logDriver !== undefined) spec.logDriver = logDriver(flags.logDriver);
  const logOpts: Record<string, string> = {};
  for (const opt of flags.logOpt ?? []) {
    const [key, value] = splitOnce(opt, '=');
    if (value === undefined) throw new InvalidArgumentError(`invalid log option "${opt}": use KEY=VALUE (path=FILE, max-size=10m, tag=NAME)`);
    logOpts[key] = value;
  }
  const log = logOptions(logOpts);
  if (log.logPath) log.logPath = resolve(log.logPath);
  Object.assign(spec, log);
  if (flags.groupAdd?.length) spec.groupAdd = flags.groupAdd.flatMap(splitList);
  if (flags.shmSize !== undefined) spec.shmSize = parseBytes(flags.shmSize, '--shm-size');
  return spec;
}

function splitList(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** `-e K=V`, `-e K` (from this environment, skipped when unset), `-e K*` (every matching variable). */
export function parseEnv(files: string[], entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (entry: string, where: string) => {
    const [key, value] = splitOnce(entry, '=');
    if (key === '') throw new InvalidArgumentError(`invalid environment variable "${entry}" in ${where}: use KEY=VALUE`);
    if (value !== undefined) {
      env[key] = value;
    } else if (key.endsWith('*')) {
      const prefix = key.slice(0, -1);
      for (const [k, v] of Object.entries(process.env)) if (k.startsWith(prefix) && v !== undefined) env[k] = v;
    } else if (process.env[key] !== undefined) {
      env[key] = process.env[key]!;
    }
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`cannot read env file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const line of text.split('\n')) {
      const trimmed = line.replace(/^\s+/, '');
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      add(trimmed.replace(/\r$/, ''), file);
    }
  }
  for (const entry of entries) add(entry, '--env');
  return env;
}

/** `--mount type=bind,source=/a,target=/b,readonly` and `type=tmpfs,target=/t,tmpfs-size=64m`. */
export function parseMount(spec: string): MountSpec {
  const fields: Record<string, string> = {};
  const flagsSet: string[] = [];
  for (const part of spec.split(',')) {
    const [key, value] = splitOnce(part.trim(), '=');
    if (value === undefined) flagsSet.push(key);
    else fields[key] = value;
  }
  const type = fields.type;
  const destination = fields.target ?? fields.destination ?? fields.dst;
  if (!destination) throw new InvalidArgumentError(`invalid mount "${spec}": target= must be given`);
  if (!destination.startsWith('/')) throw new InvalidArgumentError(`invalid mount "${spec}": target must be an absolute path`);
  const readonly = flagsSet.includes('readonly') || flagsSet.includes('ro') || fields.readonly === 'true' || fields.ro === 'true';
  if (type === 'bind') {
    const source = fields.source ?? fields.src;
    if (!source) throw new InvalidArgumentError(`invalid mount "${spec}": source= must be given for a bind mount`);
    const hostPath = resolve(source);
    if (!existsSync(hostPath)) throw new InvalidArgumentError(`invalid mount "${spec}": host path ${hostPath} does not exist: create it first`);
    const options = [readonly ? 'ro' : 'rw'];
    if (fields['bind-propagation']) options.push(fields['bind-propagation']);
    for (const f of flagsSet) if (['nosuid', 'nodev', 'noexec'].includes(f)) options.push(f);
    return { type: 'bind', source: hostPath, destination, options };
  }
  if (type === 'tmpfs') {
    const options: string[] = [];
    if (fields['tmpfs-size']) options.push(`size=${parseBytes(fields['tmpfs-size'], 'tmpfs-size')}`);
    if (fields['tmpfs-mode']) options.push(`mode=${fields['tmpfs-mode']}`);
    if (readonly) options.push('ro');
    return { type: 'tmpfs', destination, options };
  }
  if (type === 'volume') return parseVolumeMount(fields, flagsSet, spec);
  throw new InvalidArgumentError(`invalid mount type "${type ?? ''}" in "${spec}": use type=bind, type=tmpfs or type=volume`);
}

/** `--entrypoint cmd` or a JSON array; '' clears the image's entrypoint. */
function parseEntrypoint(value: string): string[] {
  if (value === '') return [];
  if (value.trim().startsWith('[')) {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    } catch {
      // a plain command that happens to start with [
    }
  }
  return [value];
}

function parseKeyValues(entries: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const [key, value] = splitOnce(entry, '=');
    if (key === '') throw new InvalidArgumentError(`invalid ${flag} "${entry}": use KEY=VALUE`);
    out[key] = value ?? '';
  }
  return out;
}

function parseKeyValueFiles(files: string[]): Record<string, string> {
  const entries: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`cannot read label file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const line of text.split('\n')) if (line.trim() && !line.trim().startsWith('#')) entries.push(line.trim());
  }
  return parseKeyValues(entries, '--label-file');
}

function parseRestart(value: string): { restartPolicy: RestartPolicyName; restartRetries?: number } {
  const [name, retries] = splitOnce(value, ':');
  if (!['no', 'on-failure', 'always', 'unless-stopped'].includes(name)) {
    throw new InvalidArgumentError(`invalid restart policy "${value}": use no, on-failure[:max-retries], always or unless-stopped`);
  }
  if (retries !== undefined) {
    if (name !== 'on-failure') throw new InvalidArgumentError('restart policy retries can only be specified with on-failure');
    return { restartPolicy: 'on-failure', restartRetries: parseUnsigned(retries, '--restart') };
  }
  return { restartPolicy: name as RestartPolicyName };
}

function parseUnsigned(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`invalid ${flag} "${value}": give a whole number`);
  return Number(value);
}

/** `512m`, `1g`, `100k`, `1024` (bytes): binary units as podman's units.RAMInBytes. */
export function parseBytes(value: string, flag: string): number {
  const bytes = ramInBytes(value);
  if (bytes === undefined) throw new InvalidArgumentError(`invalid size "${value}" for ${flag}: use a number with an optional unit b, k, m or g`);
  return bytes;
}

function parseUlimit(value: string): UlimitSpec {
  const m = /^([a-z_]+)=(-?\d+)(?::(-?\d+))?$/i.exec(value);
  if (!m) throw new InvalidArgumentError(`invalid ulimit "${value}": use NAME=SOFT[:HARD], e.g. nofile=1024:2048`);
  const soft = Number(m[2]);
  return ulimit(m[1]!, soft, m[3] !== undefined ? Number(m[3]) : soft);
}
