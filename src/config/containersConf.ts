import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TomlTable } from 'smol-toml';
import { BadInputError } from '../util/errors.js';
import {
  booleanAt,
  ConfigValueError,
  configEnvironment,
  containersConfFiles,
  integerAt,
  isRootless,
  isTable,
  readTomlFile,
  stringAt,
  systemdIsInit,
  tableAt,
  userRuntimeDir,
  type ConfigEnvironment,
} from './paths.js';

/** The [containers] table: defaults for every new container. */
export interface ContainersSection {
  defaultUlimits: string[];
  defaultCapabilities: string[];
  defaultSysctls: string[];
  env: string[];
  pidsLimit: number;
  logDriver: string;
  logSizeMax: number;
  shmSize: string;
  /** Unset: look for catatonit in engine.helperBinariesDir. */
  initPath?: string;
  seccompProfile: string;
  apparmorProfile: string;
  label: boolean;
  dnsServers: string[];
  dnsSearches: string[];
  dnsOptions: string[];
  tz: string;
  umask: string;
  userns: string;
}

/** The [engine] table: how the engine itself runs. */
export interface EngineSection {
  runtime: string;
  /** Runtime name -> candidate paths of its binary. */
  runtimes: Record<string, string[]>;
  conmonPath: string[];
  cgroupManager: string;
  eventsLogger: string;
  tmpDir: string;
  /** Unset: `<graphroot>/libpod`, see resolveStaticDir. */
  staticDir?: string;
  /** Unset: `<graphroot>/volumes`, see resolveVolumePath. */
  volumePath?: string;
  infraImage: string;
  imageDefaultTransport: string;
  env: string[];
  networkCmdPath: string;
  helperBinariesDir: string[];
}

export interface NetworkSection {
  networkBackend: string;
  /** Unset (rootless): `<graphroot>/networks`, see resolveNetworkConfigDir. */
  networkConfigDir?: string;
  defaultNetwork: string;
  defaultSubnet: string;
  /** Where `network create` without --subnet picks an IPv4 subnet: the first free one of `size` bits. */
  defaultSubnetPools: SubnetPool[];
  cniPluginDirs: string[];
  /** pasta or slirp4netns for rootless containers; unset: pasta where installed. */
  defaultRootlessNetworkCmd?: string;
}

export interface SubnetPool {
  /** An IPv4 CIDR: 10.89.0.0/16. */
  base: string;
  /** The prefix length of each subnet taken from base. */
  size: number;
}

/** Podman's default_subnet_pools: 10.89.0.0/24 up to 10.255.255.0/24. */
export const DEFAULT_SUBNET_POOLS: readonly SubnetPool[] = [
  { base: '10.89.0.0/16', size: 24 },
  { base: '10.90.0.0/15', size: 24 },
  { base: '10.92.0.0/14', size: 24 },
  { base: '10.96.0.0/11', size: 24 },
  { base: '10.128.0.0/9', size: 24 },
];

export interface SecretsSection {
  driver: string;
  opts: Record<string, string>;
}

export interface ContainersConf {
  containers: ContainersSection;
  engine: EngineSection;
  network: NetworkSection;
  secrets: SecretsSection;
  /** Files read, in loading order. */
  sources: string[];
  /** Things adjusted while loading that the user should hear about. */
  warnings: string[];
}

export const DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];

const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function binaryCandidates(name: string): string[] {
  return ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/sbin', '/bin', '/run/current-system/sw/bin'].map((dir) =>
    join(dir, name),
  );
}

function defaultRuntimes(): Record<string, string[]> {
  return {
    runc: [...binaryCandidates('runc'), '/usr/lib/cri-o-runc/sbin/runc'],
    crun: binaryCandidates('crun'),
    youki: binaryCandidates('youki'),
    krun: binaryCandidates('krun'),
    runsc: binaryCandidates('runsc'),
    kata: [...binaryCandidates('kata-runtime'), '/usr/bin/kata-qemu', '/usr/bin/kata-fc'],
  };
}

function defaultContainersConf(ce: ConfigEnvironment): ContainersConf {
  const rootless = isRootless(ce);
  const systemd = systemdIsInit();
  return {
    containers: {
      defaultUlimits: [],
      defaultCapabilities: [...DEFAULT_CAPABILITIES],
      defaultSysctls: [],
      env: [DEFAULT_PATH_ENV],
      pidsLimit: 2048,
      logDriver: 'k8s-file',
      logSizeMax: -1,
      shmSize: '65536k',
      seccompProfile: '/usr/share/containers/seccomp.json',
      apparmorProfile: 'container-default',
      label: true,
      dnsServers: [],
      dnsSearches: [],
      dnsOptions: [],
      tz: '',
      umask: '0022',
      userns: 'host',
    },
    engine: {
      // crun refuses this host's cgroups v1 hybrid layout; runc copes with it.
      runtime: 'runc',
      runtimes: defaultRuntimes(),
      conmonPath: [
        '/usr/libexec/podman/conmon',
        '/usr/local/libexec/podman/conmon',
        '/usr/local/lib/podman/conmon',
        '/usr/bin/conmon',
        '/usr/sbin/conmon',
        '/usr/local/bin/conmon',
        '/usr/local/sbin/conmon',
        '/run/current-system/sw/bin/conmon',
      ],
      cgroupManager: systemd ? 'systemd' : 'cgroupfs',
      eventsLogger: systemd ? 'journald' : 'file',
      tmpDir: rootless ? join(userRuntimeDir(ce), 'libpod', 'tmp') : '/run/libpod',
      infraImage: '',
      imageDefaultTransport: 'docker://',
      env: [],
      networkCmdPath: '',
      helperBinariesDir: ['/usr/local/libexec/podman', '/usr/local/lib/podman', '/usr/libexec/podman', '/usr/lib/podman'],
    },
    network: {
      networkBackend: 'netavark',
      networkConfigDir: rootless ? undefined : '/etc/containers/networks',
      defaultNetwork: 'podman',
      defaultSubnet: '10.88.0.0/16',
      defaultSubnetPools: DEFAULT_SUBNET_POOLS.map((p) => ({ ...p })),
      cniPluginDirs: ['/usr/local/libexec/cni', '/usr/libexec/cni', '/usr/local/lib/cni', '/usr/lib/cni', '/opt/cni/bin'],
    },
    secrets: { driver: 'file', opts: {} },
    sources: [],
    warnings: [],
  };
}

type Kind = 'string' | 'integer' | 'boolean' | 'strings';
type ValueOf<K extends Kind> = { string: string; integer: number; boolean: boolean; strings: string[] }[K];
type KeysOfType<T, V> = { [P in keyof T]-?: NonNullable<T[P]> extends V ? (V extends NonNullable<T[P]> ? P : never) : never }[keyof T];
/** TOML key -> property, per value kind. */
type FieldMap<T> = { [K in Kind]?: Record<string, KeysOfType<T, ValueOf<K>>> };

const CONTAINERS_FIELDS: FieldMap<ContainersSection> = {
  string: {
    log_driver: 'logDriver',
    shm_size: 'shmSize',
    init_path: 'initPath',
    seccomp_profile: 'seccompProfile',
    apparmor_profile: 'apparmorProfile',
    tz: 'tz',
    umask: 'umask',
    userns: 'userns',
  },
  integer: { pids_limit: 'pidsLimit', log_size_max: 'logSizeMax' },
  boolean: { label: 'label' },
  strings: {
    default_ulimits: 'defaultUlimits',
    default_capabilities: 'defaultCapabilities',
    default_sysctls: 'defaultSysctls',
    env: 'env',
    dns_servers: 'dnsServers',
    dns_searches: 'dnsSearches',
    dns_options: 'dnsOptions',
  },
};

const ENGINE_FIELDS: FieldMap<EngineSection> = {
  string: {
    runtime: 'runtime',
    cgroup_manager: 'cgroupManager',
    events_logger: 'eventsLogger',
    tmp_dir: 'tmpDir',
    static_dir: 'staticDir',
    volume_path: 'volumePath',
    infra_image: 'infraImage',
    image_default_transport: 'imageDefaultTransport',
    network_cmd_path: 'networkCmdPath',
  },
  strings: { conmon_path: 'conmonPath', env: 'env', helper_binaries_dir: 'helperBinariesDir' },
};

const NETWORK_FIELDS: FieldMap<NetworkSection> = {
  string: {
    network_backend: 'networkBackend',
    network_config_dir: 'networkConfigDir',
    default_network: 'defaultNetwork',
    default_subnet: 'defaultSubnet',
    default_rootless_network_cmd: 'defaultRootlessNetworkCmd',
  },
  strings: { cni_plugin_dirs: 'cniPluginDirs' },
};

const SECRETS_FIELDS: FieldMap<SecretsSection> = { string: { driver: 'driver' } };

/**
 * Loads containers.conf the way podman does: built-in defaults, then every
 * file from containersConfFiles, later keys overriding earlier ones.
 */
export function loadContainersConf(ce: ConfigEnvironment = configEnvironment()): ContainersConf {
  const conf = defaultContainersConf(ce);
  const appending = new Set<string>();
  for (const path of containersConfFiles(ce)) {
    const table = readTomlFile(path, 'containers.conf');
    try {
      applyFile(conf, table, appending);
    } catch (e) {
      if (e instanceof ConfigValueError) throw new BadInputError(`invalid containers.conf ${path}: ${e.message}`);
      throw e;
    }
    conf.sources.push(path);
  }
  const clamped = clampUlimits(conf.containers.defaultUlimits, processHardLimits());
  conf.containers.defaultUlimits = clamped.ulimits;
  conf.warnings.push(...clamped.warnings);
  return conf;
}

function applyFile(conf: ContainersConf, table: TomlTable, appending: Set<string>): void {
  const containers = tableAt(table, 'containers');
  if (containers) applyFields(conf.containers, containers, CONTAINERS_FIELDS, 'containers', appending);
  const engine = tableAt(table, 'engine');
  if (engine) {
    applyFields(conf.engine, engine, ENGINE_FIELDS, 'engine', appending);
    const runtimes = tableAt(engine, 'runtimes');
    if (runtimes) applyRuntimes(conf.engine.runtimes, runtimes);
  }
  const network = tableAt(table, 'network');
  if (network) {
    applyFields(conf.network, network, NETWORK_FIELDS, 'network', appending);
    const pools = subnetPoolsAt(network, 'default_subnet_pools');
    if (pools) conf.network.defaultSubnetPools = pools;
  }
  const secrets = tableAt(table, 'secrets');
  if (secrets) {
    applyFields(conf.secrets, secrets, SECRETS_FIELDS, 'secrets', appending);
    const opts = tableAt(secrets, 'opts');
    if (opts) for (const key of Object.keys(opts)) conf.secrets.opts[key] = stringAt(opts, key)!;
  }
}

function applyFields<T>(target: T, table: TomlTable, fields: FieldMap<T>, section: string, appending: Set<string>): void {
  const record = target as Record<keyof T, unknown>;
  for (const [key, prop] of Object.entries(fields.string ?? {})) {
    const v = stringAt(table, key);
    if (v !== undefined) record[prop] = v;
  }
  for (const [key, prop] of Object.entries(fields.integer ?? {})) {
    const v = integerAt(table, key);
    if (v !== undefined) record[prop] = v;
  }
  for (const [key, prop] of Object.entries(fields.boolean ?? {})) {
    const v = booleanAt(table, key);
    if (v !== undefined) record[prop] = v;
  }
  for (const [key, prop] of Object.entries(fields.strings ?? {})) {
    const v = appendableStringsAt(table, key);
    if (v === undefined) continue;
    const stateKey = `${section}.${key}`;
    if (v.append !== undefined) {
      if (v.append) appending.add(stateKey);
      else appending.delete(stateKey);
    }
    record[prop] = appending.has(stateKey) ? [...(record[prop] as string[]), ...v.values] : v.values;
  }
}

/**
 * A string array that may end with `{append=true}` or `{append=false}`, which
 * switches appending to earlier files' values on or off for this and later files.
 */
function appendableStringsAt(table: TomlTable, key: string): { values: string[]; append?: boolean } | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new ConfigValueError(`${key} must be an array of strings`);
  const last = v[v.length - 1];
  const marker = isTable(last) ? last : undefined;
  const values = marker ? v.slice(0, -1) : v;
  if (!values.every((x) => typeof x === 'string')) throw new ConfigValueError(`${key} must be an array of strings`);
  if (!marker) return { values: values as string[] };
  const append = booleanAt(marker, 'append');
  if (append === undefined || Object.keys(marker).length !== 1) {
    throw new ConfigValueError(`${key}: the last element may only be {append=true} or {append=false}`);
  }
  return { values: values as string[], append };
}

function applyRuntimes(runtimes: Record<string, string[]>, table: TomlTable): void {
  for (const [name, paths] of Object.entries(table)) {
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw new ConfigValueError(`engine.runtimes.${name} must be an array of paths`);
    }
    runtimes[name] = paths as string[];
  }
}

/** `[{base = "10.89.0.0/16", size = 24}, ...]`, checked as containers/common does. */
function subnetPoolsAt(table: TomlTable, key: string): SubnetPool[] | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  const usage = `${key} must be an array of tables like {base = "10.89.0.0/16", size = 24}`;
  if (!Array.isArray(v)) throw new ConfigValueError(usage);
  return v.map((entry) => {
    if (!isTable(entry)) throw new ConfigValueError(usage);
    const base = stringAt(entry, 'base');
    const size = integerAt(entry, 'size');
    if (base === undefined || size === undefined) throw new ConfigValueError(usage);
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(base);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
      throw new ConfigValueError(`${key}: invalid subnet pool ip "${base}": use an IPv4 CIDR like 10.89.0.0/16`);
    }
    if (Number(m[5]) > size) throw new ConfigValueError(`${key}: invalid subnet pool, size is bigger than subnet "${base}"`);
    if (size > 32) throw new ConfigValueError(`${key}: invalid subnet pool size ${size}, must be between 0-32`);
    return { base, size };
  });
}

/** Hard limits that may stop a container from starting when a default ulimit asks for more. */
const CLAMPED_ULIMITS: Record<string, string> = { nofile: 'Max open files', nproc: 'Max processes' };

/** Hard resource limits of this process by ulimit name; Infinity for unlimited. */
export function processHardLimits(limitsText?: string): Map<string, number> {
  const text = limitsText ?? readProcLimits();
  const limits = new Map<string, number>();
  for (const [name, label] of Object.entries(CLAMPED_ULIMITS)) {
    const line = text.split('\n').find((l) => l.startsWith(label + ' '));
    const hard = line?.slice(label.length).trim().split(/\s+/)[1];
    if (hard === undefined) continue;
    limits.set(name, hard === 'unlimited' ? Infinity : Number(hard));
  }
  return limits;
}

function readProcLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Lowers `name=soft:hard` entries whose limits exceed this process's hard
 * limit, which the runtime could not grant, and says which were lowered.
 */
export function clampUlimits(ulimits: string[], hardLimits: Map<string, number>): { ulimits: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const result = ulimits.map((entry) => {
    const parsed = parseUlimit(entry);
    const max = parsed && hardLimits.get(parsed.name);
    if (!parsed || max === undefined || max === Infinity) return entry;
    const hard = parsed.hard < 0 || parsed.hard > max ? max : parsed.hard;
    const soft = parsed.soft < 0 || parsed.soft > hard ? hard : parsed.soft;
    if (hard === parsed.hard && soft === parsed.soft) return entry;
    const clamped = `${parsed.name}=${soft}:${hard}`;
    warnings.push(`default ulimit ${entry} exceeds this process's hard limit ${max}: using ${clamped}`);
    return clamped;
  });
  return { ulimits: result, warnings };
}

function parseUlimit(entry: string): { name: string; soft: number; hard: number } | undefined {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(entry.trim());
  if (!m) return undefined;
  const soft = Number(m[2]);
  return { name: m[1]!, soft, hard: m[3] === undefined ? soft : Number(m[3]) };
}

export function resolveStaticDir(conf: ContainersConf, graphroot: string): string {
  return conf.engine.staticDir || join(graphroot, 'libpod');
}

export function resolveVolumePath(conf: ContainersConf, graphroot: string): string {
  return conf.engine.volumePath || join(graphroot, 'volumes');
}

export function resolveNetworkConfigDir(conf: ContainersConf, graphroot: string): string {
  return conf.network.networkConfigDir || join(graphroot, 'networks');
}
