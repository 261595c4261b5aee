/**
 * Docker's container create body (`Config` fields at the top, `HostConfig`,
 * `NetworkingConfig`) -> the engine's ContainerSpec. Zero values mean "not
 * set", as the Docker CLI sends every field; a field of the wrong type is a
 * 400 naming it.
 */
import type { ContainerSpec, DeviceSpec, MountSpec, NetworkAttachment, RestartPolicyName } from '../../engine/spec/containerSpec.js';
import { parseTmpfs, parseVolume, parseVolumesFrom } from '../../engine/spec/mountSpec.js';
import { applySecurityOpt } from '../../engine/spec/securityOpt.js';
import { canonicalIp, exposedFromImage, parsePublish } from '../../engine/network/ports.js';
import type { PortMapping } from '../../engine/network/types.js';
import { BadInputError, InvalidArgumentError } from '../../util/errors.js';
import { BodyFields, type JsonObject } from './body.js';

export interface CreateResult {
  spec: ContainerSpec;
  warnings: string[];
  /** HostConfig.ConsoleSize: the terminal's size at the start (not kept in the spec). */
  consoleSize?: { rows: number; columns: number };
}

/** Network modes that are not a network's name. */
const DEFAULT_NETWORK_NAMES = new Set(['', 'default', 'bridge']);

export function specFromDockerCreate(body: JsonObject, name: string | undefined): CreateResult {
  const config = new BodyFields(body);
  const host = config.object('HostConfig') ?? new BodyFields({}, 'HostConfig');
  const warnings: string[] = [];
  const image = config.string('Image');
  if (!image) throw new BadInputError('invalid request body: Image must be given: name the image to create the container from');
  const spec: ContainerSpec = { image, pull: 'never' };
  if (name) spec.name = name;

  const cmd = config.strslice('Cmd');
  if (cmd?.length) spec.command = cmd;
  const entrypoint = config.strslice('Entrypoint');
  // `--entrypoint ""` arrives as [""]: no entrypoint at all.
  if (entrypoint) spec.entrypoint = entrypoint.length === 1 && entrypoint[0] === '' ? [] : entrypoint;
  const env = config.strings('Env');
  if (env?.length) spec.env = envMap(env);
  const labels = config.stringMap('Labels');
  if (labels && Object.keys(labels).length) spec.labels = labels;
  const workingDir = config.string('WorkingDir');
  if (workingDir) {
    if (!workingDir.startsWith('/')) throw new BadInputError(`invalid request body: WorkingDir "${workingDir}" must be an absolute path`);
    spec.workingDir = workingDir;
  }
  const user = config.string('User');
  if (user) spec.user = user;
  const hostname = config.string('Hostname');
  if (hostname) spec.hostname = hostname;
  if (config.bool('Tty')) spec.terminal = true;
  if (config.bool('OpenStdin')) spec.stdin = true;
  config.bool('AttachStdin');
  config.bool('AttachStdout');
  config.bool('AttachStderr');
  config.bool('StdinOnce');
  const stopSignal = config.string('StopSignal');
  if (stopSignal) spec.stopSignal = stopSignal;
  const stopTimeout = config.int('StopTimeout');
  if (stopTimeout !== undefined && stopTimeout >= 0) spec.stopTimeout = stopTimeout;
  const exposed = config.keys('ExposedPorts');
  if (exposed?.length) spec.expose = exposedFromImage(Object.fromEntries(exposed.map((k) => [k, {}])));
  const healthcheck = config.object('Healthcheck');
  if (healthcheck) applyHealthcheck(spec, healthcheck);

  const mounts: MountSpec[] = [];
  for (const bind of host.strings('Binds') ?? []) mounts.push(parseVolume(bind));
  for (const mount of host.objects('Mounts')) mounts.push(mountFromDocker(mount));
  for (const [destination, options] of Object.entries(host.stringMap('Tmpfs') ?? {})) {
    mounts.push(parseTmpfs(options ? `${destination}:${options}` : destination));
  }
  // Config.Volumes: anonymous volumes, unless a mount is given there already.
  for (const destination of config.keys('Volumes') ?? []) {
    if (!mounts.some((m) => m.destination === destination)) mounts.push({ type: 'volume', destination, options: [] });
  }
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new BadInputError(`invalid request body: ${m.destination}: duplicate mount destination`);
    seen.add(m.destination);
  }
  if (mounts.length) spec.mounts = mounts;
  const volumesFrom = host.strings('VolumesFrom');
  if (volumesFrom?.length) spec.volumesFrom = volumesFrom.map(parseVolumesFrom);

  applyNetworking(spec, config, host, warnings);
  applyRestartPolicy(spec, host);
  if (host.bool('AutoRemove')) {
    if (spec.restartPolicy && spec.restartPolicy !== 'no') {
      throw new BadInputError('invalid request body: HostConfig.AutoRemove conflicts with HostConfig.RestartPolicy: a container removed when it exits cannot be restarted');
    }
    spec.remove = true;
  }
  if (host.bool('Privileged')) spec.privileged = true;
  const capAdd = host.strslice('CapAdd');
  if (capAdd?.length) spec.capAdd = capAdd;
  const capDrop = host.strslice('CapDrop');
  if (capDrop?.length) spec.capDrop = capDrop;
  if (host.bool('ReadonlyRootfs')) spec.readOnly = true;
  if (host.bool('Init')) spec.init = true;
  const shmSize = host.int('ShmSize');
  if (shmSize) spec.shmSize = shmSize;
  const sysctls = host.stringMap('Sysctls');
  if (sysctls && Object.keys(sysctls).length) spec.sysctls = sysctls;
  const devices = host.objects('Devices').map(deviceFromDocker);
  if (devices.length) spec.devices = devices;
  const groupAdd = host.strings('GroupAdd');
  if (groupAdd?.length) spec.groupAdd = groupAdd;
  const cgroupParent = host.string('CgroupParent');
  if (cgroupParent) spec.cgroupParent = cgroupParent;
  const runtime = host.string('Runtime');
  if (runtime) spec.runtime = runtime;
  const annotations = host.stringMap('Annotations');
  if (annotations && Object.keys(annotations).length) spec.annotations = annotations;
  for (const opt of host.strings('SecurityOpt') ?? []) applySecurityOpt(spec, opt, 'HostConfig.SecurityOpt');
  for (const mode of ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'] as const) {
    const value = host.string(mode);
    if (value && !['private', 'shareable', 'host'].includes(value)) {
      throw new BadInputError(`invalid request body: HostConfig.${mode} "${value}" is not supported: leave it empty`);
    }
    if (value === 'host') throw new BadInputError(`invalid request body: HostConfig.${mode} "host" is not supported: leave it empty`);
  }
  applyResources(spec, host);
  applyLogConfig(spec, host);
  const [rows, columns] = host.ints('ConsoleSize') ?? [];
  return { spec, warnings, ...(rows && columns ? { consoleSize: { rows, columns } } : {}) };
}

/** `K=V` entries; an entry without `=` names a variable to unset, which a new container has nothing to unset of. */
function envMap(entries: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq === 0) throw new BadInputError(`invalid request body: Env entry "${entry}" has no name: use KEY=VALUE`);
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

function applyHealthcheck(spec: ContainerSpec, hc: BodyFields): void {
  const test = hc.strings('Test');
  if (test?.[0] === 'NONE') {
    spec.noHealthcheck = true;
    return;
  }
  if (test && test.length > 0 && test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') {
    throw new BadInputError(`invalid request body: Healthcheck.Test must start with CMD, CMD-SHELL or NONE, not "${test[0]}"`);
  }
  const durations = { Interval: hc.int('Interval'), Timeout: hc.int('Timeout'), StartPeriod: hc.int('StartPeriod') };
  const retries = hc.int('Retries');
  for (const [key, value] of Object.entries(durations)) {
    if (value !== undefined && value !== 0 && value < 1e6) throw new BadInputError(`invalid request body: Healthcheck.${key} must be at least 1ms (it is in nanoseconds)`);
  }
  spec.healthcheck = {
    Test: test ?? [],
    ...(durations.Interval ? { Interval: durations.Interval } : {}),
    ...(durations.Timeout ? { Timeout: durations.Timeout } : {}),
    ...(durations.StartPeriod ? { StartPeriod: durations.StartPeriod } : {}),
    ...(retries ? { Retries: retries } : {}),
  };
}

function mountFromDocker(m: BodyFields): MountSpec {
  const type = m.string('Type') ?? '';
  const target = m.string('Target') ?? '';
  if (!target.startsWith('/')) throw new BadInputError(`invalid request body: ${m.path('Target')} "${target}" must be an absolute path`);
  const source = m.string('Source') ?? '';
  const readOnly = m.bool('ReadOnly') === true;
  switch (type) {
    case 'bind': {
      if (!source.startsWith('/')) throw new BadInputError(`invalid request body: ${m.path('Source')} of a bind mount must be an absolute host path`);
      const propagation = m.object('BindOptions')?.string('Propagation');
      return { type: 'bind', source, destination: target, options: [readOnly ? 'ro' : 'rw', ...(propagation ? [propagation] : [])] };
    }
    case 'volume': {
      const noCopy = m.object('VolumeOptions')?.bool('NoCopy') === true;
      const options = [...(readOnly ? ['ro'] : []), ...(noCopy ? ['nocopy'] : [])];
      return { type: 'volume', ...(source ? { source } : {}), destination: target, options };
    }
    case 'tmpfs': {
      const tmpfs = m.object('TmpfsOptions');
      const size = tmpfs?.int('SizeBytes');
      const mode = tmpfs?.int('Mode');
      const options = [...(size ? [`size=${size}`] : []), ...(mode ? [`mode=${mode.toString(8)}`] : []), ...(readOnly ? ['ro'] : [])];
      return { type: 'tmpfs', destination: target, options };
    }
    default:
      throw new BadInputError(`invalid request body: ${m.path('Type')} "${type}" is not supported: use bind, volume or tmpfs`);
  }
}

function deviceFromDocker(d: BodyFields): DeviceSpec {
  const path = d.string('PathOnHost') ?? '';
  if (!path.startsWith('/')) throw new BadInputError(`invalid request body: ${d.path('PathOnHost')} must be an absolute host path`);
  const destination = d.string('PathInContainer') || path;
  const permissions = d.string('CgroupPermissions') || 'rwm';
  if (!/^[rwm]+$/.test(permissions)) throw new BadInputError(`invalid request body: ${d.path('CgroupPermissions')} "${permissions}" must be made of r, w and m`);
  return { source: path, destination, permissions };
}

function applyNetworking(spec: ContainerSpec, config: BodyFields, host: BodyFields, warnings: string[]): void {
  const mode = host.string('NetworkMode') ?? '';
  const endpoints = config.object('NetworkingConfig')?.objectMap('EndpointsConfig') ?? [];
  const networks: Record<string, NetworkAttachment> = {};
  const networkKey = (name: string) => (DEFAULT_NETWORK_NAMES.has(name) ? '' : name);
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) {
    spec.network = mode;
  } else {
    networks[networkKey(mode)] = {};
  }
  for (const [name, endpoint] of endpoints) {
    if (spec.network) continue;
    const attachment: NetworkAttachment = { ...networks[networkKey(name)] };
    const aliases = endpoint.strings('Aliases');
    if (aliases?.length) attachment.aliases = aliases;
    const ipam = endpoint.object('IPAMConfig');
    const ips = [ipam?.string('IPv4Address'), ipam?.string('IPv6Address')].filter((ip): ip is string => !!ip);
    for (const ip of ips) if (!canonicalIp(ip)) throw new BadInputError(`invalid request body: ${ipam!.path('IPv4Address')}: "${ip}" is not an IP address`);
    if (ips.length) attachment.ips = ips;
    const mac = endpoint.string('MacAddress');
    if (mac) attachment.mac = mac;
    networks[networkKey(name)] = attachment;
  }
  const mac = config.string('MacAddress');
  if (mac && !spec.network) {
    const first = Object.keys(networks)[0] ?? '';
    networks[first] = { ...networks[first], mac };
  }
  if (!spec.network) {
    spec.network = 'bridge';
    spec.networks = networks;
  }

  const dns = host.strings('Dns');
  if (dns?.length) {
    for (const server of dns) if (!canonicalIp(server)) throw new BadInputError(`invalid request body: HostConfig.Dns: "${server}" is not an IP address`);
    spec.dns = dns;
  }
  const dnsSearch = host.strings('DnsSearch');
  if (dnsSearch?.length) spec.dnsSearch = dnsSearch;
  const dnsOptions = host.strings('DnsOptions');
  if (dnsOptions?.length) spec.dnsOptions = dnsOptions;
  const addHosts = extraHostEntries(host.strings('ExtraHosts') ?? [], 'invalid request body: HostConfig.ExtraHosts', warnings);
  if (addHosts.length) spec.addHosts = addHosts;

  const mappings: PortMapping[] = [];
  for (const [key, bindings] of host.listMap('PortBindings')) {
    if (!/^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/.test(key)) throw new BadInputError(`invalid request body: HostConfig.PortBindings key "${key}" must be PORT/PROTOCOL, e.g. 80/tcp`);
    for (const binding of bindings.length ? bindings : [new BodyFields({})]) {
      const hostIp = binding.string('HostIp') ?? '';
      const hostPort = binding.string('HostPort') ?? '';
      const address = hostIp.includes(':') ? `[${hostIp}]` : hostIp;
      const port = hostPort === '0' ? '' : hostPort;
      const text = address ? `${address}:${port}:${key}` : port ? `${port}:${key}` : key;
      try {
        mappings.push(...parsePublish(text));
      } catch (e) {
        if (e instanceof InvalidArgumentError) throw new BadInputError(`invalid request body: HostConfig.PortBindings "${key}": ${e.message}`);
        throw e;
      }
    }
  }
  if (mappings.length) spec.portMappings = mappings;
  if (host.bool('PublishAllPorts')) spec.publishAll = true;
}

const RESTART_POLICIES: RestartPolicyName[] = ['no', 'on-failure', 'always', 'unless-stopped'];

function applyRestartPolicy(spec: ContainerSpec, host: BodyFields): void {
  const policy = host.object('RestartPolicy');
  if (!policy) return;
  const name = policy.string('Name') ?? '';
  if (name === '' || name === 'no') return;
  if (!RESTART_POLICIES.includes(name as RestartPolicyName)) {
    throw new BadInputError(`invalid request body: HostConfig.RestartPolicy.Name "${name}": use no, on-failure, always or unless-stopped`);
  }
  spec.restartPolicy = name as RestartPolicyName;
  const retries = policy.int('MaximumRetryCount');
  if (retries) {
    if (name !== 'on-failure') throw new BadInputError('invalid request body: HostConfig.RestartPolicy.MaximumRetryCount can only be used with on-failure');
    spec.restartRetries = retries;
  }
}

function applyResources(spec: ContainerSpec, host: BodyFields): void {
  const resources: NonNullable<ContainerSpec['resources']> = {};
  const memory = host.int('Memory');
  if (memory) resources.memory = memory;
  const reservation = host.int('MemoryReservation');
  if (reservation) resources.memoryReservation = reservation;
  const swap = host.int('MemorySwap');
  if (swap) resources.memorySwap = swap;
  const nanoCpus = host.int('NanoCpus');
  const quota = host.int('CpuQuota');
  const period = host.int('CpuPeriod');
  if (nanoCpus) resources.cpus = nanoCpus / 1e9;
  else if (quota && quota > 0) resources.cpus = quota / (period || 100000);
  const shares = host.int('CpuShares');
  if (shares) resources.cpuShares = shares;
  const cpuset = host.string('CpusetCpus');
  if (cpuset) resources.cpusetCpus = cpuset;
  const pids = host.int('PidsLimit');
  if (pids !== undefined && pids !== 0) resources.pidsLimit = pids < 0 ? 0 : pids;
  if (Object.keys(resources).length) spec.resources = resources;
  const ulimits = host.objects('Ulimits').map((u) => {
    const name = u.string('Name') ?? '';
    if (!name) throw new BadInputError(`invalid request body: ${u.path('Name')} must be given`);
    return { name: name.toLowerCase().replace(/^rlimit_/, ''), soft: u.int('Soft') ?? 0, hard: u.int('Hard') ?? 0 };
  });
  if (ulimits.length) spec.ulimits = ulimits;
}

function applyLogConfig(spec: ContainerSpec, host: BodyFields): void {
  const log = host.object('LogConfig');
  const type = log?.string('Type') ?? '';
  log?.stringMap('Config');
  if (type === '' || type === 'json-file' || type === 'k8s-file' || type === 'local') return;
  if (type === 'none') {
    spec.logDriver = 'none';
    return;
  }
  throw new BadInputError(`invalid request body: HostConfig.LogConfig.Type "${type}" is not supported: use json-file, k8s-file or none`);
}

/**
 * Docker's extra hosts (`HOST:IP` or `HOST=IP`, an IPv6 address maybe in brackets) as the
 * spec's `name:ip` entries; `where` names the field in errors. host-gateway is left out with a warning.
 */
export function extraHostEntries(entries: string[], where: string, warnings: string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const m = /^([^:=]+)[:=](.+)$/.exec(entry);
    if (!m) throw new BadInputError(`${where} entry "${entry}" must be HOST:IP`);
    const ip = m[2]!.replace(/^\[(.*)\]$/, '$1');
    if (ip === 'host-gateway') {
      warnings.push(`ExtraHosts entry "${entry}": host-gateway is not supported and was left out`);
      continue;
    }
    if (!canonicalIp(ip)) throw new BadInputError(`${where} entry "${entry}": "${ip}" is not an IP address`);
    out.push(`${m[1]}:${ip}`);
  }
  return out;
}
