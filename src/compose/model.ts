/**
 * The Compose model in its canonical (long) form: what every short syntax
 * of the Compose Specification becomes before files are merged, and what
 * `compose config` prints.
 */
import { isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { ComposeFileError } from './errors.js';
import type { Environment } from './interpolate.js';
import { OverrideTag, ResetTag } from './tags.js';
import { checkSysctl, logDriver, logOptions, parseDevice, ulimit } from '../engine/spec/hostSpec.js';
import { InvalidArgumentError } from '../util/errors.js';
import { ramInBytes } from '../util/units.js';

export interface PortConfig {
  mode: 'ingress';
  host_ip?: string;
  target: number;
  /** A port or range, as a string as `docker compose config` prints it. */
  published?: string;
  protocol: string;
}

export interface VolumeMountConfig {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean; propagation?: string; selinux?: string };
  volume?: { nocopy?: boolean };
  tmpfs?: { size?: number | string; mode?: number };
}

export interface ServiceNetworkConfig {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
}

export interface DependsOnConfig {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
  restart?: boolean;
}

export interface HealthcheckConfig {
  test?: string[];
  interval?: string;
  timeout?: string;
  start_period?: string;
  retries?: number;
  disable?: boolean;
}

/** A service's use of a secret or a config (long syntax; the short syntax is just the source). */
export interface ServiceSecretConfig {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface ResourceLimits {
  cpus?: number;
  memory?: string;
  pids?: number;
}

export interface DeployConfig {
  replicas?: number;
  resources?: { limits?: ResourceLimits; reservations?: Omit<ResourceLimits, 'pids'> };
  restart_policy?: { condition?: string; max_attempts?: number; delay?: string; window?: string };
  /** Swarm placement and rollout settings: kept for `config`, without effect on one host. */
  [swarmOnly: string]: unknown;
}

export interface BuildConfig {
  context: string;
  dockerfile?: string;
  args?: Record<string, string>;
  target?: string;
}

export interface ServiceConfig {
  image?: string;
  build?: BuildConfig;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  env_file?: string[];
  ports?: PortConfig[];
  expose?: string[];
  volumes?: VolumeMountConfig[];
  tmpfs?: string[];
  networks?: Record<string, ServiceNetworkConfig | null>;
  network_mode?: string;
  depends_on?: Record<string, DependsOnConfig>;
  healthcheck?: HealthcheckConfig;
  restart?: string;
  labels?: Record<string, string>;
  user?: string;
  working_dir?: string;
  hostname?: string;
  extra_hosts?: string[];
  dns?: string[];
  dns_search?: string[];
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  read_only?: boolean;
  secrets?: ServiceSecretConfig[];
  configs?: ServiceSecretConfig[];
  init?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  tty?: boolean;
  stdin_open?: boolean;
  deploy?: DeployConfig;
  /** Byte sizes as decimal strings of bytes, as `docker compose config` prints them. */
  mem_limit?: string;
  memswap_limit?: string;
  mem_reservation?: string;
  shm_size?: string;
  cpus?: number;
  cpu_shares?: number;
  cpuset?: string;
  pids_limit?: number;
  /** A single number sets soft and hard alike. */
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  logging?: { driver?: string; options?: Record<string, string> };
  devices?: Array<{ source: string; target: string; permissions: string }>;
  sysctls?: Record<string, string>;
  scale?: number;
  profiles?: string[];
  container_name?: string;
  pull_policy?: string;
  extends?: { service: string; file?: string };
  [key: string]: unknown;
}

export interface NetworkConfig {
  name?: string;
  driver?: string;
  internal?: boolean;
  external?: boolean;
  labels?: Record<string, string>;
  driver_opts?: Record<string, string>;
  ipam?: { config?: Array<{ subnet?: string; gateway?: string; ip_range?: string }> };
  enable_ipv6?: boolean;
}

export interface VolumeConfig {
  name?: string;
  driver?: string;
  external?: boolean;
  labels?: Record<string, string>;
  driver_opts?: Record<string, string>;
}

export interface SecretConfig {
  name?: string;
  file?: string;
  environment?: string;
  external?: boolean;
}

/** A top-level config: like a secret, and its content may also be given inline. */
export interface ConfigConfig extends SecretConfig {
  content?: string;
}

export interface ComposeModel {
  name?: string;
  services: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, SecretConfig>;
  configs: Record<string, ConfigConfig>;
}

export function emptyModel(): ComposeModel {
  return { services: {}, networks: {}, volumes: {}, secrets: {}, configs: {} };
}

/** Where a node came from, for error messages. */
export interface Where {
  file: string;
  /** The folder relative paths are resolved against (the project directory). */
  dir: string;
  /** The variables of the project (for environment entries without a value). */
  env: Environment;
}

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function fail(where: Where, path: string, message: string): never {
  throw new ComposeFileError(where.file, path, message);
}

function str(v: unknown, where: Where, path: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  fail(where, path, `must be a string`);
}

function strList(v: unknown, where: Where, path: string): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) fail(where, path, 'must be a string or a list of strings');
  return v.map((x, i) => str(x, where, `${path}[${i}]`));
}

function bool(v: unknown, where: Where, path: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  fail(where, path, `must be true or false`);
}

/** A command as YAML gives it: a list, or a string split like a shell would. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? text.length : end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) i++;
        word += text[i++];
      }
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function command(v: unknown, where: Where, path: string): string[] {
  if (typeof v === 'string') return shellWords(v);
  if (v === null) return [];
  return strList(v, where, path);
}

/** `[K=V, K]` or `{K: V}` -> a map; `K` alone takes its value from the environment (null when unset). */
export function keyValues(v: unknown, where: Where, path: string, fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    v.forEach((entry, i) => {
      const text = str(entry, where, `${path}[${i}]`);
      const eq = text.indexOf('=');
      if (eq === 0) fail(where, `${path}[${i}]`, `invalid entry "${text}": use KEY=VALUE`);
      if (eq < 0) out[text] = fromEnv ? (where.env[text] ?? null) : '';
      else out[text.slice(0, eq)] = text.slice(eq + 1);
    });
    return out;
  }
  if (!isObject(v)) fail(where, path, 'must be a mapping or a list of KEY=VALUE');
  for (const [k, value] of Object.entries(v)) {
    out[k] = value === null || value === undefined ? (fromEnv ? (where.env[k] ?? null) : '') : str(value, where, `${path}.${k}`);
  }
  return out;
}

function stringMap(v: unknown, where: Where, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(keyValues(v, where, path, false))) out[k] = value ?? '';
  return out;
}

/** A host path as Compose resolves it: relative to the project directory, `~` to the home directory. */
export function hostPath(p: string, dir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(dir, p);
}

const PORT_SYNTAX = 'use [HOST:]CONTAINER[/PROTO]';

export function parsePort(v: unknown, where: Where, path: string): PortConfig[] {
  if (isObject(v)) {
    const target = Number(v.target);
    if (!Number.isInteger(target) || target <= 0 || target > 65535) fail(where, `${path}.target`, `invalid port "${String(v.target)}": give a number 1-65535`);
    const port: PortConfig = { mode: 'ingress', target, protocol: v.protocol ? str(v.protocol, where, `${path}.protocol`) : 'tcp' };
    if (v.host_ip !== undefined) port.host_ip = str(v.host_ip, where, `${path}.host_ip`);
    if (v.published !== undefined && v.published !== '') port.published = str(v.published, where, `${path}.published`);
    return [port];
  }
  const text = str(v, where, path);
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/.exec(text);
  if (!m) fail(where, path, `invalid port "${text}": ${PORT_SYNTAX}`);
  const hostIp = m[1] ?? m[2];
  const published = m[3];
  const [first, last] = m[4]!.split('-').map(Number) as [number, number | undefined];
  const protocol = m[5] ?? 'tcp';
  const count = last === undefined ? 1 : last - first + 1;
  if (first <= 0 || first > 65535 || count < 1) fail(where, path, `invalid port "${text}": ${PORT_SYNTAX}`);
  let pubFirst: number | undefined;
  if (published !== undefined) {
    const [pf, pl] = published.split('-').map(Number) as [number, number | undefined];
    if (pf > 65535 || (pl !== undefined && pl - pf + 1 !== count && count !== 1)) fail(where, path, `invalid port "${text}": the host range must match the container range`);
    pubFirst = pf;
  }
  const out: PortConfig[] = [];
  for (let i = 0; i < count; i++) {
    const port: PortConfig = { mode: 'ingress', target: first + i, protocol };
    if (hostIp !== undefined) port.host_ip = hostIp;
    if (published !== undefined) port.published = count === 1 ? published : String(pubFirst! + i);
    out.push(port);
  }
  return out;
}

export function parseVolumeMount(v: unknown, where: Where, path: string): VolumeMountConfig {
  if (isObject(v)) {
    const type = str(v.type ?? 'volume', where, `${path}.type`);
    if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') fail(where, `${path}.type`, `unsupported volume type "${type}": use volume, bind or tmpfs`);
    if (v.target === undefined) fail(where, `${path}.target`, 'is required');
    const mount: VolumeMountConfig = { type, target: str(v.target, where, `${path}.target`) };
    if (v.source !== undefined) mount.source = type === 'bind' ? hostPath(str(v.source, where, `${path}.source`), where.dir) : str(v.source, where, `${path}.source`);
    if (v.read_only !== undefined) mount.read_only = bool(v.read_only, where, `${path}.read_only`);
    if (isObject(v.bind)) mount.bind = v.bind as VolumeMountConfig['bind'];
    if (isObject(v.volume)) mount.volume = v.volume as VolumeMountConfig['volume'];
    if (isObject(v.tmpfs)) mount.tmpfs = v.tmpfs as VolumeMountConfig['tmpfs'];
    if (type === 'bind' && !mount.source) fail(where, `${path}.source`, 'a bind mount needs a source');
    return mount;
  }
  const text = str(v, where, path);
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', target: text };
  if (parts.length > 3 || parts.some((p, i) => p === '' && i < 2)) fail(where, path, `invalid volume "${text}": use [SOURCE:]TARGET[:MODE]`);
  const [source, target, mode] = parts as [string, string, string | undefined];
  const isPath = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  const mount: VolumeMountConfig = isPath
    ? { type: 'bind', source: hostPath(source, where.dir), target, bind: { create_host_path: true } }
    : { type: 'volume', source, target, volume: {} };
  for (const opt of (mode ?? '').split(',').filter(Boolean)) {
    if (opt === 'ro') mount.read_only = true;
    else if (opt === 'rw') continue;
    else if (opt === 'z' || opt === 'Z') {
      if (mount.type === 'bind') mount.bind = { ...mount.bind, selinux: opt };
    } else if (opt === 'nocopy') mount.volume = { nocopy: true };
    else if (['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].includes(opt) && mount.type === 'bind') mount.bind = { ...mount.bind, propagation: opt };
    else fail(where, path, `invalid volume mode "${opt}" in "${text}": use ro, rw, z, Z or nocopy`);
  }
  if (mount.type === 'volume' && !mount.volume?.nocopy) mount.volume = {};
  return mount;
}

const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

function dependsOn(v: unknown, where: Where, path: string): Record<string, DependsOnConfig> {
  const out: Record<string, DependsOnConfig> = {};
  if (Array.isArray(v)) {
    v.forEach((s, i) => (out[str(s, where, `${path}[${i}]`)] = { condition: 'service_started', required: true }));
    return out;
  }
  if (!isObject(v)) fail(where, path, 'must be a list of services or a mapping');
  for (const [name, d] of Object.entries(v)) {
    const entry = isObject(d) ? d : {};
    const condition = str(entry.condition ?? 'service_started', where, `${path}.${name}.condition`);
    if (!CONDITIONS.includes(condition)) fail(where, `${path}.${name}.condition`, `invalid condition "${condition}": use ${CONDITIONS.join(', ')}`);
    out[name] = { condition: condition as DependsOnConfig['condition'], required: entry.required === undefined ? true : bool(entry.required, where, `${path}.${name}.required`) };
    if (entry.restart !== undefined) out[name]!.restart = bool(entry.restart, where, `${path}.${name}.restart`);
  }
  return out;
}

function healthcheck(v: unknown, where: Where, path: string): HealthcheckConfig {
  if (!isObject(v)) fail(where, path, 'must be a mapping');
  const out: HealthcheckConfig = {};
  if (v.test !== undefined) {
    if (typeof v.test === 'string') out.test = ['CMD-SHELL', v.test];
    else out.test = strList(v.test, where, `${path}.test`);
  }
  for (const k of ['interval', 'timeout', 'start_period'] as const) if (v[k] !== undefined) out[k] = str(v[k], where, `${path}.${k}`);
  if (v.retries !== undefined) {
    const n = Number(v.retries);
    if (!Number.isInteger(n) || n < 0) fail(where, `${path}.retries`, `invalid retries "${String(v.retries)}": give a whole number`);
    out.retries = n;
  }
  if (v.disable !== undefined) out.disable = bool(v.disable, where, `${path}.disable`);
  return out;
}

function serviceNetworks(v: unknown, where: Where, path: string): Record<string, ServiceNetworkConfig | null> {
  const out: Record<string, ServiceNetworkConfig | null> = {};
  if (Array.isArray(v)) {
    v.forEach((n, i) => (out[str(n, where, `${path}[${i}]`)] = null));
    return out;
  }
  if (!isObject(v)) fail(where, path, 'must be a list of networks or a mapping');
  for (const [name, n] of Object.entries(v)) {
    if (n === null || n === undefined) out[name] = null;
    else if (isObject(n)) {
      const c: ServiceNetworkConfig = {};
      if (n.aliases !== undefined) c.aliases = strList(n.aliases, where, `${path}.${name}.aliases`);
      if (n.ipv4_address !== undefined) c.ipv4_address = str(n.ipv4_address, where, `${path}.${name}.ipv4_address`);
      if (n.ipv6_address !== undefined) c.ipv6_address = str(n.ipv6_address, where, `${path}.${name}.ipv6_address`);
      out[name] = c;
    } else fail(where, `${path}.${name}`, 'must be a mapping');
  }
  return out;
}

/** A service's secrets: or configs: list. */
function fileUses(v: unknown, where: Where, path: string, kind: 'secret' | 'config'): ServiceSecretConfig[] {
  if (!Array.isArray(v)) fail(where, path, 'must be a list');
  return v.map((s, i) => {
    if (typeof s === 'string') return { source: s };
    if (!isObject(s) || s.source === undefined) fail(where, `${path}[${i}]`, `give a ${kind} name or {source: NAME, target: ...}`);
    const out: ServiceSecretConfig = { source: str(s.source, where, `${path}[${i}].source`) };
    if (s.target !== undefined) out.target = str(s.target, where, `${path}[${i}].target`);
    if (s.uid !== undefined) out.uid = str(s.uid, where, `${path}[${i}].uid`);
    if (s.gid !== undefined) out.gid = str(s.gid, where, `${path}[${i}].gid`);
    if (s.mode !== undefined) {
      out.mode = typeof s.mode === 'number' ? s.mode : parseInt(str(s.mode, where, `${path}[${i}].mode`), 8);
      if (!Number.isInteger(out.mode) || out.mode < 0 || out.mode > 0o7777) fail(where, `${path}[${i}].mode`, `invalid mode "${String(s.mode)}": give an octal mode such as 0440`);
    }
    for (const id of ['uid', 'gid'] as const) {
      if (out[id] !== undefined && !/^\d+$/.test(out[id]!)) fail(where, `${path}[${i}].${id}`, `invalid ${id} "${out[id]}": give a number`);
    }
    return out;
  });
}

function build(v: unknown, where: Where, path: string): BuildConfig {
  if (typeof v === 'string') return { context: hostPath(v, where.dir) };
  if (!isObject(v)) fail(where, path, 'must be a path or a mapping');
  const out: BuildConfig = { context: hostPath(v.context === undefined ? '.' : str(v.context, where, `${path}.context`), where.dir) };
  if (v.dockerfile !== undefined) out.dockerfile = str(v.dockerfile, where, `${path}.dockerfile`);
  if (v.args !== undefined) {
    out.args = {};
    for (const [k, a] of Object.entries(keyValues(v.args, where, `${path}.args`, true))) if (a !== null) out.args[k] = a;
  }
  if (v.target !== undefined) out.target = str(v.target, where, `${path}.target`);
  return out;
}

const SIMPLE_STRINGS = ['image', 'restart', 'user', 'working_dir', 'hostname', 'stop_signal', 'stop_grace_period', 'container_name', 'pull_policy', 'network_mode', 'cpuset'] as const;
const BOOLEANS = ['privileged', 'read_only', 'init', 'tty', 'stdin_open'] as const;
const LISTS = ['dns', 'dns_search', 'cap_add', 'cap_drop', 'profiles', 'tmpfs'] as const;
const KNOWN = new Set<string>([
  ...SIMPLE_STRINGS, ...BOOLEANS, ...LISTS,
  'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'networks', 'depends_on',
  'healthcheck', 'labels', 'extra_hosts', 'secrets', 'configs', 'deploy', 'scale', 'extends',
  'mem_limit', 'memswap_limit', 'mem_reservation', 'shm_size', 'cpus', 'cpu_shares', 'pids_limit', 'ulimits', 'logging', 'devices', 'sysctls',
]);

/** The engine's own check of a value, its complaint reported at the key. */
function checked<T>(where: Where, path: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof InvalidArgumentError) fail(where, path, e.message);
    throw e;
  }
}

function wholeNumber(v: unknown, where: Where, path: string, min: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) fail(where, path, `invalid number "${String(v)}": give a whole number${min < 0 ? ', -1 for unlimited' : ''}`);
  return n;
}

/** `512m`, `1g`, `1073741824` -> bytes as a decimal string; -1 (unlimited) only where it means something. */
function byteSize(v: unknown, where: Where, path: string, unlimited = false): string {
  if (unlimited && (v === -1 || v === '-1')) return '-1';
  const bytes = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : ramInBytes(str(v, where, path));
  if (bytes === undefined) fail(where, path, `invalid size "${String(v)}": give bytes or a number with a unit b, k, m or g`);
  return String(bytes);
}

function cpuCount(v: unknown, where: Where, path: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) fail(where, path, `invalid cpus "${String(v)}": give a number of CPUs such as 0.5 or 2`);
  return n;
}

function ulimits(v: unknown, where: Where, path: string): NonNullable<ServiceConfig['ulimits']> {
  if (!isObject(v)) fail(where, path, 'must be a mapping of NAME: LIMIT or NAME: {soft: N, hard: N}');
  const out: NonNullable<ServiceConfig['ulimits']> = {};
  for (const [name, limit] of Object.entries(v)) {
    const p = `${path}.${name}`;
    if (isObject(limit)) {
      if (limit.soft === undefined || limit.hard === undefined) fail(where, p, 'give both soft: and hard:');
      out[name] = { soft: wholeNumber(limit.soft, where, `${p}.soft`, -1), hard: wholeNumber(limit.hard, where, `${p}.hard`, -1) };
    } else out[name] = wholeNumber(limit, where, p, -1);
    const { soft, hard } = typeof out[name] === 'number' ? { soft: out[name], hard: out[name] } : out[name];
    checked(where, p, () => ulimit(name, soft, hard));
  }
  return out;
}

function logging(v: unknown, where: Where, path: string): NonNullable<ServiceConfig['logging']> {
  if (!isObject(v)) fail(where, path, 'must be a mapping with driver: and options:');
  const out: NonNullable<ServiceConfig['logging']> = {};
  for (const k of Object.keys(v)) if (k !== 'driver' && k !== 'options') fail(where, `${path}.${k}`, `unsupported key "${k}": use driver or options`);
  if (v.driver !== undefined) {
    out.driver = str(v.driver, where, `${path}.driver`);
    checked(where, `${path}.driver`, () => logDriver(out.driver!));
  }
  if (v.options !== undefined && v.options !== null) {
    out.options = stringMap(v.options, where, `${path}.options`);
    checked(where, `${path}.options`, () => logOptions(out.options!));
  }
  return out;
}

function devices(v: unknown, where: Where, path: string): NonNullable<ServiceConfig['devices']> {
  if (!Array.isArray(v)) fail(where, path, 'must be a list');
  return v.map((d, i) => {
    const p = `${path}[${i}]`;
    if (isObject(d)) {
      if (d.source === undefined) fail(where, `${p}.source`, 'is required');
      const source = str(d.source, where, `${p}.source`);
      const target = d.target === undefined ? source : str(d.target, where, `${p}.target`);
      const permissions = d.permissions === undefined ? 'rwm' : str(d.permissions, where, `${p}.permissions`);
      checked(where, p, () => parseDevice(`${source}:${target}:${permissions}`));
      return { source, target, permissions };
    }
    const parsed = checked(where, p, () => parseDevice(str(d, where, p)));
    return { source: parsed.source, target: parsed.destination, permissions: parsed.permissions };
  });
}

function sysctls(v: unknown, where: Where, path: string): Record<string, string> {
  const out = stringMap(v, where, path);
  for (const [key, value] of Object.entries(out)) checked(where, `${path}.${key}`, () => checkSysctl(key, value));
  return out;
}

const SWARM_ONLY_DEPLOY = ['mode', 'placement', 'update_config', 'rollback_config', 'endpoint_mode', 'labels'];

function resourceLimits(v: unknown, where: Where, path: string, keys: string[]): ResourceLimits {
  if (!isObject(v)) fail(where, path, 'must be a mapping');
  const out: ResourceLimits = {};
  for (const [k, x] of Object.entries(v)) {
    const p = `${path}.${k}`;
    if (k === 'cpus') out.cpus = cpuCount(x, where, p);
    else if (k === 'memory') out.memory = byteSize(x, where, p);
    else if (k === 'pids' && keys.includes('pids')) out.pids = wholeNumber(x, where, p, -1);
    else if (k === 'devices' || k === 'generic_resources') fail(where, p, `reserving ${k === 'devices' ? 'devices (GPUs)' : 'generic resources'} is not supported: remove it, or give devices: on the service`);
    else fail(where, p, `unsupported key "${k}": use ${keys.join(', ')}`);
  }
  return out;
}

function deploy(v: unknown, where: Where, path: string): DeployConfig {
  if (!isObject(v)) fail(where, path, 'must be a mapping');
  const out: DeployConfig = {};
  for (const [k, x] of Object.entries(v)) {
    const p = `${path}.${k}`;
    if (k === 'replicas') out.replicas = wholeNumber(x, where, p, 0);
    else if (k === 'resources') {
      if (!isObject(x)) fail(where, p, 'must be a mapping with limits: and reservations:');
      out.resources = {};
      for (const [kind, limits] of Object.entries(x)) {
        if (kind === 'limits') out.resources.limits = resourceLimits(limits, where, `${p}.limits`, ['cpus', 'memory', 'pids']);
        else if (kind === 'reservations') out.resources.reservations = resourceLimits(limits, where, `${p}.reservations`, ['cpus', 'memory']);
        else fail(where, `${p}.${kind}`, `unsupported key "${kind}": use limits or reservations`);
      }
    } else if (k === 'restart_policy') {
      if (!isObject(x)) fail(where, p, 'must be a mapping');
      const policy: NonNullable<DeployConfig['restart_policy']> = {};
      for (const [pk, pv] of Object.entries(x)) {
        if (pk === 'condition') {
          policy.condition = str(pv, where, `${p}.condition`);
          if (!['none', 'on-failure', 'any'].includes(policy.condition)) fail(where, `${p}.condition`, `invalid condition "${policy.condition}": use none, on-failure or any`);
        } else if (pk === 'max_attempts') policy.max_attempts = wholeNumber(pv, where, `${p}.max_attempts`, 0);
        else if (pk === 'delay' || pk === 'window') policy[pk] = str(pv, where, `${p}.${pk}`);
        else fail(where, `${p}.${pk}`, `unsupported key "${pk}": use condition, max_attempts, delay or window`);
      }
      out.restart_policy = policy;
    } else if (SWARM_ONLY_DEPLOY.includes(k)) out[k] = x;
    else fail(where, p, `unsupported key "${k}": use replicas, resources or restart_policy`);
  }
  return out;
}

/** One service of one file in canonical form (relative paths resolved, env_file read later). */
export function normalizeService(name: string, raw: unknown, where: Where): ServiceConfig {
  const path = `services.${name}`;
  if (raw === null || raw === undefined) return {};
  if (!isObject(raw)) fail(where, path, 'must be a mapping');
  const s: ServiceConfig = {};
  for (const [key, v] of Object.entries(raw)) {
    const p = `${path}.${key}`;
    if (v === undefined) continue;
    if (v instanceof ResetTag) {
      s[key] = v;
      continue;
    }
    if (v instanceof OverrideTag) {
      s[key] = new OverrideTag(normalizeService(name, { [key]: v.value }, where)[key]);
      continue;
    }
    if ((SIMPLE_STRINGS as readonly string[]).includes(key)) s[key] = str(v, where, p);
    else if ((BOOLEANS as readonly string[]).includes(key)) s[key] = bool(v, where, p);
    else if ((LISTS as readonly string[]).includes(key)) s[key] = strList(v, where, p);
    else if (!KNOWN.has(key)) {
      if (!key.startsWith('x-')) fail(where, p, `unsupported key "${key}": remove it or check its spelling`);
    } else {
      switch (key) {
        case 'build': s.build = build(v, where, p); break;
        case 'command': s.command = command(v, where, p); break;
        case 'entrypoint': s.entrypoint = command(v, where, p); break;
        case 'environment': s.environment = keyValues(v, where, p, true); break;
        case 'env_file': s.env_file = strList(v, where, p).map((f) => hostPath(f, where.dir)); break;
        case 'labels': s.labels = stringMap(v, where, p); break;
        case 'ports':
          if (!Array.isArray(v)) fail(where, p, 'must be a list');
          s.ports = v.flatMap((x, i) => parsePort(x, where, `${p}[${i}]`));
          break;
        case 'expose': s.expose = strList(v, where, p); break;
        case 'volumes':
          if (!Array.isArray(v)) fail(where, p, 'must be a list');
          s.volumes = v.map((x, i) => parseVolumeMount(x, where, `${p}[${i}]`));
          break;
        case 'networks': s.networks = serviceNetworks(v, where, p); break;
        case 'depends_on': s.depends_on = dependsOn(v, where, p); break;
        case 'healthcheck': s.healthcheck = healthcheck(v, where, p); break;
        case 'extra_hosts':
          s.extra_hosts = isObject(v) ? Object.entries(v).map(([h, ip]) => `${h}=${str(ip, where, `${p}.${h}`)}`) : strList(v, where, p).map((e) => e.replace(/^([^:=]+):/, '$1='));
          break;
        case 'secrets': s.secrets = fileUses(v, where, p, 'secret'); break;
        case 'configs': s.configs = fileUses(v, where, p, 'config'); break;
        case 'deploy': s.deploy = deploy(v, where, p); break;
        case 'mem_limit': case 'mem_reservation': case 'shm_size': s[key] = byteSize(v, where, p); break;
        case 'memswap_limit': s.memswap_limit = byteSize(v, where, p, true); break;
        case 'cpus': s.cpus = cpuCount(v, where, p); break;
        case 'cpu_shares': s.cpu_shares = wholeNumber(v, where, p, 0); break;
        case 'pids_limit': s.pids_limit = wholeNumber(v, where, p, -1); break;
        case 'ulimits': s.ulimits = ulimits(v, where, p); break;
        case 'logging': s.logging = logging(v, where, p); break;
        case 'devices': s.devices = devices(v, where, p); break;
        case 'sysctls': s.sysctls = sysctls(v, where, p); break;
        case 'scale': {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) fail(where, p, `invalid scale "${String(v)}": give a whole number`);
          s.scale = n;
          break;
        }
        case 'extends':
          if (typeof v === 'string') s.extends = { service: v };
          else if (isObject(v) && v.service !== undefined) {
            s.extends = { service: str(v.service, where, `${p}.service`) };
            if (v.file !== undefined) s.extends.file = hostPath(str(v.file, where, `${p}.file`), where.dir);
          } else fail(where, p, 'give a service name or {service: NAME, file: FILE}');
          break;
      }
    }
  }
  return s;
}

function topLevel<T>(raw: unknown, where: Where, section: string, keys: string[]): Record<string, T> {
  const out: Record<string, T> = {};
  if (raw === undefined || raw === null) return out;
  if (!isObject(raw)) fail(where, section, 'must be a mapping');
  for (const [name, v] of Object.entries(raw)) {
    const p = `${section}.${name}`;
    if (v === null || v === undefined) {
      out[name] = {} as T;
      continue;
    }
    if (!isObject(v)) fail(where, p, 'must be a mapping');
    const entry: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (!keys.includes(k) && !k.startsWith('x-')) fail(where, `${p}.${k}`, `unsupported key "${k}": use ${keys.join(', ')}`);
      if (k === 'labels') entry.labels = stringMap(x, where, `${p}.labels`);
      else if (k === 'external' || k === 'internal' || k === 'enable_ipv6') entry[k] = isObject(x) ? true : bool(x, where, `${p}.${k}`);
      else if (k === 'file') entry.file = hostPath(str(x, where, `${p}.file`), where.dir);
      else if (k === 'driver_opts') entry.driver_opts = stringMap(x, where, `${p}.driver_opts`);
      else if (k === 'ipam') entry.ipam = x;
      else entry[k] = str(x, where, `${p}.${k}`);
      if (k === 'external' && isObject(x) && x.name !== undefined) entry.name = str(x.name, where, `${p}.external.name`);
    }
    out[name] = entry as T;
  }
  return out;
}

/** A whole parsed (and interpolated) file in canonical form. */
export function normalizeFile(raw: unknown, where: Where): ComposeModel {
  if (raw === null || raw === undefined) raw = {};
  if (!isObject(raw)) fail(where, '', 'the top level must be a mapping');
  const model = emptyModel();
  for (const key of Object.keys(raw)) {
    if (!['name', 'version', 'services', 'networks', 'volumes', 'secrets', 'configs', 'include'].includes(key) && !key.startsWith('x-')) {
      fail(where, key, `unsupported top-level key "${key}": use services, networks, volumes, secrets, configs or name`);
    }
  }
  if (raw.name !== undefined) model.name = str(raw.name, where, 'name');
  if (raw.services !== undefined && raw.services !== null) {
    if (!isObject(raw.services)) fail(where, 'services', 'must be a mapping');
    for (const [name, svc] of Object.entries(raw.services)) model.services[name] = normalizeService(name, svc, where);
  }
  model.networks = topLevel<NetworkConfig>(raw.networks, where, 'networks', ['name', 'driver', 'internal', 'external', 'labels', 'driver_opts', 'ipam', 'enable_ipv6', 'attachable']);
  model.volumes = topLevel<VolumeConfig>(raw.volumes, where, 'volumes', ['name', 'driver', 'external', 'labels', 'driver_opts']);
  model.secrets = topLevel<SecretConfig>(raw.secrets, where, 'secrets', ['name', 'file', 'environment', 'external']);
  model.configs = topLevel<ConfigConfig>(raw.configs, where, 'configs', ['name', 'file', 'environment', 'content', 'external']);
  return model;
}
