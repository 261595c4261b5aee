/**
 * The libpod create body (Podman's SpecGenerator JSON) and the engine's
 * ContainerSpec, both ways: the API server reads the body into a spec, the
 * remote client writes a spec as the body. Pure; a spec survives the round
 * trip unchanged (test/unit/api-libpod-specgen.test.ts).
 */
import { constants as osConstants } from 'node:os';
import type { ContainerSpec, MountSpec, NetworkAttachment, SecretUse } from '../../engine/spec/containerSpec.js';
import type { PortMapping } from '../../engine/network/types.js';
import { BadInputError } from '../../util/errors.js';

interface Namespace {
  nsmode: string;
  value?: string;
}

interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

interface NamedVolume {
  Name: string;
  Dest: string;
  Options?: string[];
}

interface PerNetworkOptions {
  static_ips?: string[];
  static_mac?: string;
  aliases?: string[];
  interface_name?: string;
}

interface LinuxResources {
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string };
  pids?: { limit?: number };
}

/** The fields of Podman 4.3's SpecGenerator that tspod reads and writes. */
export interface SpecGenerator {
  image: string;
  name?: string;
  pod?: string;
  command?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  work_dir?: string;
  user?: string;
  groups?: string[];
  hostname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  stop_signal?: number;
  stop_timeout?: number;
  terminal?: boolean;
  stdin?: boolean;
  remove?: boolean;
  restart_policy?: string;
  restart_tries?: number;
  healthconfig?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  health_check_on_failure_action?: number | string;
  log_configuration?: { driver?: string; path?: string };
  mounts?: OciMount[];
  volumes?: NamedVolume[];
  volumes_from?: string[];
  secrets?: Array<{ Source: string; Target?: string; UID?: number; GID?: number; Mode?: number }>;
  secret_env?: Record<string, string>;
  read_only_filesystem?: boolean;
  /** Podman 4.4's name; false keeps /run, /tmp, /var/tmp read-only under --read-only. */
  read_write_tmpfs?: boolean;
  privileged?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  seccomp_profile_path?: string;
  no_new_privileges?: boolean;
  apparmor_profile?: string;
  mask?: string[];
  unmask?: string[];
  init?: boolean;
  init_path?: string;
  netns?: Namespace;
  Networks?: Record<string, PerNetworkOptions>;
  portmappings?: PortMapping[];
  publish_image_ports?: boolean;
  expose?: Record<string, string>;
  dns_server?: string[];
  dns_search?: string[];
  dns_option?: string[];
  hostadd?: string[];
  use_image_hosts?: boolean;
  resource_limits?: LinuxResources;
  r_limits?: Array<{ type: string; hard: number; soft: number }>;
  shm_size?: number;
  cgroups_mode?: string;
  cgroup_parent?: string;
  oci_runtime?: string;
  containerCreateCommand?: string[];
  conmon_pid_file?: string;
}

// Podman's define.HealthCheckOnFailureAction values, in order.
const ON_FAILURE = ['none', 'kill', 'restart', 'stop'] as const;
const CPU_PERIOD = 100_000;

export function specToSpecGenerator(spec: ContainerSpec): SpecGenerator {
  const g: SpecGenerator = { image: spec.image };
  const copy = <K extends keyof SpecGenerator>(key: K, value: SpecGenerator[K] | undefined) => {
    if (value !== undefined) g[key] = value;
  };
  copy('name', spec.name);
  copy('pod', spec.pod);
  copy('command', spec.command);
  copy('entrypoint', spec.entrypoint);
  copy('env', spec.env);
  copy('work_dir', spec.workingDir);
  copy('user', spec.user);
  copy('groups', spec.groupAdd);
  copy('hostname', spec.hostname);
  copy('labels', spec.labels);
  copy('annotations', spec.annotations);
  if (spec.stopSignal !== undefined) g.stop_signal = signalNumber(spec.stopSignal);
  copy('stop_timeout', spec.stopTimeout);
  copy('terminal', spec.terminal);
  copy('stdin', spec.stdin);
  copy('remove', spec.remove);
  copy('restart_policy', spec.restartPolicy);
  copy('restart_tries', spec.restartRetries);
  if (spec.noHealthcheck) g.healthconfig = { Test: ['NONE'] };
  else copy('healthconfig', spec.healthcheck);
  if (spec.healthOnFailure !== undefined) g.health_check_on_failure_action = ON_FAILURE.indexOf(spec.healthOnFailure);
  if (spec.logDriver !== undefined || spec.logPath !== undefined) {
    g.log_configuration = { ...(spec.logDriver ? { driver: spec.logDriver } : {}), ...(spec.logPath ? { path: spec.logPath } : {}) };
  }
  for (const m of spec.mounts ?? []) {
    if (m.type === 'volume') (g.volumes ??= []).push({ Name: m.source ?? '', Dest: m.destination, Options: m.options });
    else (g.mounts ??= []).push({ destination: m.destination, type: m.type, ...(m.source !== undefined ? { source: m.source } : {}), options: m.options });
  }
  copy('volumes_from', spec.volumesFrom);
  for (const s of spec.secrets ?? []) {
    if (s.type === 'env') (g.secret_env ??= {})[s.target] = s.name;
    else (g.secrets ??= []).push({ Source: s.name, Target: s.target, UID: s.uid, GID: s.gid, Mode: s.mode });
  }
  copy('read_only_filesystem', spec.readOnly);
  copy('read_write_tmpfs', spec.readOnlyTmpfs);
  copy('privileged', spec.privileged);
  copy('cap_add', spec.capAdd);
  copy('cap_drop', spec.capDrop);
  copy('seccomp_profile_path', spec.seccompProfile);
  copy('no_new_privileges', spec.noNewPrivileges);
  copy('apparmor_profile', spec.apparmorProfile);
  copy('mask', spec.mask);
  copy('unmask', spec.unmask);
  copy('init', spec.init);
  copy('init_path', spec.initPath);
  if (spec.network !== undefined) g.netns = namespaceOf(spec.network);
  if (spec.networks) {
    g.Networks = {};
    for (const [name, a] of Object.entries(spec.networks)) {
      g.Networks[name] = {
        ...(a.ips ? { static_ips: a.ips } : {}),
        ...(a.mac !== undefined ? { static_mac: a.mac } : {}),
        ...(a.aliases ? { aliases: a.aliases } : {}),
        ...(a.interfaceName !== undefined ? { interface_name: a.interfaceName } : {}),
      };
    }
  }
  copy('portmappings', spec.portMappings);
  copy('publish_image_ports', spec.publishAll);
  if (spec.expose) {
    g.expose = {};
    for (const e of spec.expose) g.expose[e.range > 1 ? `${e.port}-${e.port + e.range - 1}` : String(e.port)] = e.protocol;
  }
  copy('dns_server', spec.dns);
  copy('dns_search', spec.dnsSearch);
  copy('dns_option', spec.dnsOptions);
  copy('hostadd', spec.addHosts);
  copy('use_image_hosts', spec.noHosts);
  if (spec.resources) g.resource_limits = resourcesToOci(spec.resources);
  if (spec.ulimits) g.r_limits = spec.ulimits.map((u) => ({ type: `RLIMIT_${u.name.toUpperCase()}`, hard: u.hard, soft: u.soft }));
  copy('shm_size', spec.shmSize);
  copy('cgroups_mode', spec.cgroups);
  copy('cgroup_parent', spec.cgroupParent);
  copy('oci_runtime', spec.runtime);
  copy('containerCreateCommand', spec.createCommand);
  copy('conmon_pid_file', spec.conmonPidFile);
  return g;
}

/** A create body -> the engine's spec; 400 naming the field when a field has the wrong type. */
export function specFromSpecGenerator(body: Record<string, unknown>): ContainerSpec {
  const r = new FieldReader(body);
  const image = r.string('image');
  if (!image) throw new BadInputError('field image: an image name is required');
  const spec: ContainerSpec = { image };
  const set = <K extends keyof ContainerSpec>(key: K, value: ContainerSpec[K] | undefined) => {
    if (value !== undefined) spec[key] = value;
  };
  set('name', r.string('name') || undefined);
  set('pod', r.string('pod') || undefined);
  set('command', r.strings('command'));
  set('entrypoint', r.strings('entrypoint'));
  set('env', r.stringMap('env'));
  set('workingDir', r.string('work_dir') || undefined);
  set('user', r.string('user') || undefined);
  set('groupAdd', r.strings('groups'));
  set('hostname', r.string('hostname') || undefined);
  set('labels', r.stringMap('labels'));
  set('annotations', r.stringMap('annotations'));
  const signal = r.number('stop_signal');
  if (signal !== undefined && signal !== 0) spec.stopSignal = signalName(signal);
  set('stopTimeout', r.number('stop_timeout'));
  set('terminal', r.bool('terminal'));
  set('stdin', r.bool('stdin'));
  set('remove', r.bool('remove'));
  const restart = r.string('restart_policy');
  if (restart) {
    if (!['no', 'on-failure', 'always', 'unless-stopped'].includes(restart)) throw new BadInputError(`field restart_policy: invalid policy "${restart}"`);
    spec.restartPolicy = restart as ContainerSpec['restartPolicy'];
  }
  set('restartRetries', r.number('restart_tries'));
  const health = r.object('healthconfig');
  if (health) {
    const test = new FieldReader(health, 'healthconfig.').strings('Test') ?? [];
    if (test[0] === 'NONE') spec.noHealthcheck = true;
    else spec.healthcheck = { ...(health as object), Test: test } as ContainerSpec['healthcheck'];
  }
  const onFailure = body.health_check_on_failure_action;
  if (onFailure !== undefined && onFailure !== null) {
    const name = typeof onFailure === 'number' ? ON_FAILURE[onFailure] : String(onFailure);
    if (!name || !(ON_FAILURE as readonly string[]).includes(name)) throw new BadInputError(`field health_check_on_failure_action: invalid action ${JSON.stringify(onFailure)}`);
    spec.healthOnFailure = name as ContainerSpec['healthOnFailure'];
  }
  const log = r.object('log_configuration');
  if (log) {
    const lr = new FieldReader(log, 'log_configuration.');
    const driver = lr.string('driver');
    if (driver) {
      const d = driver === 'json-file' ? 'k8s-file' : driver;
      if (!['k8s-file', 'none', 'passthrough'].includes(d)) throw new BadInputError(`field log_configuration.driver: unsupported log driver "${driver}"`);
      spec.logDriver = d as ContainerSpec['logDriver'];
    }
    set('logPath', lr.string('path') || undefined);
  }
  const mounts: MountSpec[] = [];
  for (const [i, m] of (r.objects('mounts') ?? []).entries()) {
    const mr = new FieldReader(m, `mounts[${i}].`);
    const type = mr.string('type') ?? 'bind';
    if (!['bind', 'tmpfs', 'volume'].includes(type)) throw new BadInputError(`field mounts[${i}].type: unsupported mount type "${type}"`);
    const destination = mr.string('destination');
    if (!destination) throw new BadInputError(`field mounts[${i}].destination is required`);
    const source = mr.string('source');
    mounts.push({ type: type as MountSpec['type'], destination, ...(source !== undefined ? { source } : {}), options: mr.strings('options') ?? [] });
  }
  for (const [i, v] of (r.objects('volumes') ?? []).entries()) {
    const vr = new FieldReader(v, `volumes[${i}].`);
    const dest = vr.string('Dest');
    if (!dest) throw new BadInputError(`field volumes[${i}].Dest is required`);
    const name = vr.string('Name');
    mounts.push({ type: 'volume', ...(name ? { source: name } : {}), destination: dest, options: vr.strings('Options') ?? [] });
  }
  if (mounts.length) spec.mounts = mounts;
  set('volumesFrom', r.strings('volumes_from'));
  const secrets: SecretUse[] = [];
  for (const [i, s] of (r.objects('secrets') ?? []).entries()) {
    const sr = new FieldReader(s, `secrets[${i}].`);
    const name = sr.string('Source');
    if (!name) throw new BadInputError(`field secrets[${i}].Source is required`);
    secrets.push({ name, type: 'mount', target: sr.string('Target') || name, uid: sr.number('UID') ?? 0, gid: sr.number('GID') ?? 0, mode: sr.number('Mode') ?? 0o444 });
  }
  for (const [target, name] of Object.entries(r.stringMap('secret_env') ?? {})) {
    secrets.push({ name, type: 'env', target, uid: 0, gid: 0, mode: 0 });
  }
  if (secrets.length) spec.secrets = secrets;
  set('readOnly', r.bool('read_only_filesystem'));
  set('readOnlyTmpfs', r.exactBool('read_write_tmpfs'));
  set('privileged', r.bool('privileged'));
  set('capAdd', r.strings('cap_add'));
  set('capDrop', r.strings('cap_drop'));
  set('seccompProfile', r.string('seccomp_profile_path') || undefined);
  set('noNewPrivileges', r.bool('no_new_privileges'));
  set('apparmorProfile', r.string('apparmor_profile') || undefined);
  set('mask', r.strings('mask'));
  set('unmask', r.strings('unmask'));
  set('init', r.bool('init'));
  set('initPath', r.string('init_path') || undefined);
  const netns = r.object('netns');
  if (netns) {
    const nr = new FieldReader(netns, 'netns.');
    const mode = nr.string('nsmode') ?? '';
    const value = nr.string('value') ?? '';
    if (mode && mode !== 'default') spec.network = mode === 'container' ? `container:${value}` : mode === 'path' ? `ns:${value}` : mode;
  }
  const networks = r.object('Networks');
  if (networks) {
    spec.networks = {};
    for (const [name, opts] of Object.entries(networks)) {
      if (!opts || typeof opts !== 'object') throw new BadInputError(`field Networks.${name} must be an object`);
      const pr = new FieldReader(opts as Record<string, unknown>, `Networks.${name}.`);
      const a: NetworkAttachment = {};
      const ips = pr.strings('static_ips');
      if (ips) a.ips = ips;
      const mac = pr.string('static_mac');
      if (mac !== undefined) a.mac = mac;
      const aliases = pr.strings('aliases');
      if (aliases) a.aliases = aliases;
      const iface = pr.string('interface_name');
      if (iface !== undefined) a.interfaceName = iface;
      spec.networks[name] = a;
    }
  }
  const ports = r.objects('portmappings');
  if (ports) {
    spec.portMappings = ports.map((p, i) => {
      const pr = new FieldReader(p, `portmappings[${i}].`);
      const containerPort = pr.number('container_port');
      if (!containerPort) throw new BadInputError(`field portmappings[${i}].container_port is required`);
      return {
        host_ip: pr.string('host_ip') ?? '',
        container_port: containerPort,
        host_port: pr.number('host_port') ?? 0,
        range: pr.number('range') || 1,
        protocol: pr.string('protocol') || 'tcp',
      };
    });
  }
  set('publishAll', r.bool('publish_image_ports'));
  const expose = r.object('expose');
  if (expose) {
    spec.expose = Object.entries(expose).map(([key, protocol]) => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(key);
      if (!m) throw new BadInputError(`field expose: "${key}" is not a port`);
      const port = Number(m[1]);
      const end = m[2] ? Number(m[2]) : port;
      return { port, protocol: typeof protocol === 'string' && protocol ? protocol : 'tcp', range: end - port + 1 };
    });
  }
  set('dns', r.strings('dns_server'));
  set('dnsSearch', r.strings('dns_search'));
  set('dnsOptions', r.strings('dns_option'));
  set('addHosts', r.strings('hostadd'));
  if (r.bool('use_image_hosts')) spec.noHosts = true;
  const resources = r.object('resource_limits');
  if (resources) {
    const converted = resourcesFromOci(resources as LinuxResources);
    if (Object.keys(converted).length) spec.resources = converted;
  }
  const rlimits = r.objects('r_limits');
  if (rlimits) {
    spec.ulimits = rlimits.map((u, i) => {
      const ur = new FieldReader(u, `r_limits[${i}].`);
      const type = ur.string('type') ?? '';
      return { name: type.replace(/^RLIMIT_/i, '').toLowerCase(), soft: ur.number('soft') ?? 0, hard: ur.number('hard') ?? 0 };
    });
  }
  set('shmSize', r.number('shm_size'));
  const cgroups = r.string('cgroups_mode');
  if (cgroups) {
    if (!['enabled', 'disabled', 'no-conmon', 'split'].includes(cgroups)) throw new BadInputError(`field cgroups_mode: invalid mode "${cgroups}"`);
    spec.cgroups = cgroups as ContainerSpec['cgroups'];
  }
  set('cgroupParent', r.string('cgroup_parent') || undefined);
  set('runtime', r.string('oci_runtime') || undefined);
  set('createCommand', r.strings('containerCreateCommand'));
  set('conmonPidFile', r.string('conmon_pid_file') || undefined);
  return spec;
}

function namespaceOf(network: string): Namespace {
  if (network === '') return { nsmode: 'default' };
  if (network.startsWith('container:')) return { nsmode: 'container', value: network.slice('container:'.length) };
  if (network.startsWith('ns:')) return { nsmode: 'path', value: network.slice('ns:'.length) };
  return { nsmode: network };
}

function resourcesToOci(r: NonNullable<ContainerSpec['resources']>): LinuxResources {
  const out: LinuxResources = {};
  if (r.memory !== undefined || r.memoryReservation !== undefined || r.memorySwap !== undefined) {
    out.memory = {
      ...(r.memory !== undefined ? { limit: r.memory } : {}),
      ...(r.memoryReservation !== undefined ? { reservation: r.memoryReservation } : {}),
      ...(r.memorySwap !== undefined ? { swap: r.memorySwap } : {}),
    };
  }
  if (r.cpus !== undefined || r.cpuShares !== undefined || r.cpusetCpus !== undefined) {
    out.cpu = {
      ...(r.cpuShares !== undefined ? { shares: r.cpuShares } : {}),
      ...(r.cpus !== undefined ? { quota: Math.round(r.cpus * CPU_PERIOD), period: CPU_PERIOD } : {}),
      ...(r.cpusetCpus !== undefined ? { cpus: r.cpusetCpus } : {}),
    };
  }
  if (r.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit };
  return out;
}

function resourcesFromOci(r: LinuxResources): NonNullable<ContainerSpec['resources']> {
  const out: NonNullable<ContainerSpec['resources']> = {};
  const num = (v: unknown, field: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw new BadInputError(`field resource_limits.${field} must be a number`);
    return v;
  };
  const limit = num(r.memory?.limit, 'memory.limit');
  if (limit !== undefined) out.memory = limit;
  const reservation = num(r.memory?.reservation, 'memory.reservation');
  if (reservation !== undefined) out.memoryReservation = reservation;
  const swap = num(r.memory?.swap, 'memory.swap');
  if (swap !== undefined) out.memorySwap = swap;
  const shares = num(r.cpu?.shares, 'cpu.shares');
  if (shares !== undefined) out.cpuShares = shares;
  const quota = num(r.cpu?.quota, 'cpu.quota');
  const period = num(r.cpu?.period, 'cpu.period') || CPU_PERIOD;
  if (quota !== undefined && quota > 0) out.cpus = quota / period;
  if (r.cpu?.cpus !== undefined && r.cpu.cpus !== '') out.cpusetCpus = String(r.cpu.cpus);
  const pids = num(r.pids?.limit, 'pids.limit');
  if (pids !== undefined) out.pidsLimit = pids;
  return out;
}

/** SIGTERM, TERM, 15 -> 15; an unknown name is refused on the server, so it is sent as 0 (unset). */
export function signalNumber(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw new BadInputError(`invalid stop signal "${value}": use a signal name or number`);
  return n;
}

export function signalName(n: number): string {
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === n) return name;
  return String(n);
}

/** Typed reads of a JSON body: a field of the wrong type is a 400 naming it. */
export class FieldReader {
  constructor(
    private readonly body: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  private wrong(key: string, what: string): never {
    throw new BadInputError(`field ${this.prefix}${key} must be ${what}`);
  }

  private get(key: string): unknown {
    const v = this.body[key];
    return v === null ? undefined : v;
  }

  string(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.wrong(key, 'a string');
    return v;
  }

  number(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.wrong(key, 'a number');
    return v;
  }

  /** true, or undefined for false and absent (the spec's defaults). */
  bool(key: string): true | undefined {
    return this.exactBool(key) || undefined;
  }

  exactBool(key: string): boolean | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.wrong(key, 'true or false');
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.wrong(key, 'a list of strings');
    return v as string[];
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v as object).some((x) => typeof x !== 'string')) this.wrong(key, 'an object of strings');
    return v as Record<string, string>;
  }

  object(key: string): Record<string, unknown> | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.wrong(key, 'an object');
    return v as Record<string, unknown>;
  }

  objects(key: string): Array<Record<string, unknown>> | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => !x || typeof x !== 'object' || Array.isArray(x))) this.wrong(key, 'a list of objects');
    return v as Array<Record<string, unknown>>;
  }
}
