/**
 * The OCI runtime spec (config.json) for a container: podman's defaults
 * (capabilities, masked and read-only paths, /dev, seccomp, cgroup limits)
 * with the user's spec applied on top.
 */
import { readFileSync } from 'node:fs';
import type { ContainerConfig } from '../local/containerRecord.js';
import type { MountSpec } from '../spec/containerSpec.js';
import { seccompForContainer, findSeccompProfile } from './seccomp.js';
import { hostDeviceNodes, type OciDevice } from './devices.js';
import { rlimitType, ULIMIT_NAMES } from '../spec/hostSpec.js';
import { InvalidArgumentError } from '../../util/errors.js';
import type { IdMaps } from '../../storage/store.js';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls?: Array<{
    names: string[];
    action: string;
    errnoRet?: number;
    args?: Array<{ index: number; value: number; valueTwo: number; op: string }>;
  }>;
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal?: boolean;
    consoleSize?: { height: number; width: number };
    user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>;
    rlimits?: Array<{ type: string; hard: number; soft: number }>;
    noNewPrivileges?: boolean;
    apparmorProfile?: string;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: {
    sysctl?: Record<string, string>;
    resources?: Record<string, unknown>;
    cgroupsPath?: string;
    namespaces: Array<{ type: string; path?: string }>;
    uidMappings?: Array<{ containerID: number; hostID: number; size: number }>;
    gidMappings?: Array<{ containerID: number; hostID: number; size: number }>;
    devices?: OciDevice[];
    seccomp?: OciSeccomp;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    rootfsPropagation?: string;
  };
}

/** Capabilities by number (linux/capability.h). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/**
 * What "all capabilities" means here: those in this process's bounding set
 * (a container cannot get more; some hosts withhold a few, e.g. CAP_SYS_RESOURCE).
 */
export function hostCapabilities(): string[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('CapBnd:'));
    if (!line) return [...ALL_CAPABILITIES];
    const mask = BigInt(`0x${line.split(/\s+/)[1]}`);
    return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  } catch {
    return [...ALL_CAPABILITIES];
  }
}

const MASKED_PATHS = [
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
];
const READONLY_PATHS = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** `chown`, `CAP_CHOWN`, `cap_chown` -> `CAP_CHOWN`; `ALL` stays. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return upper;
  const cap = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(cap)) throw new InvalidArgumentError(`unknown capability "${name}": see capabilities(7) for the names`);
  return cap;
}

/** The capability set: the defaults, minus --cap-drop, plus --cap-add (ALL works both ways). */
export function containerCapabilities(defaults: string[], add: string[] = [], drop: string[] = [], privileged = false): string[] {
  if (privileged) return hostCapabilities();
  const adds = add.map(normalizeCapability);
  const drops = drop.map(normalizeCapability);
  let caps = drops.includes('ALL') ? [] : defaults.map(normalizeCapability).filter((c) => !drops.includes(c));
  if (adds.includes('ALL')) caps = hostCapabilities().filter((c) => !drops.includes(c));
  for (const cap of adds) if (cap !== 'ALL' && !caps.includes(cap)) caps.push(cap);
  return caps;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

export interface SpecInput {
  config: ContainerConfig;
  rootfs: string;
  user: ResolvedUser;
  /** Files bind-mounted into /etc and /run: hosts, hostname, resolv.conf (absent for --network none), .containerenv. */
  files: { hosts?: string; hostname: string; resolvConf?: string; containerenv: string; passwd?: string; group?: string };
  defaultCapabilities: string[];
  pidsLimit: number;
  /** The host's hard limits for nofile and nproc: podman's defaults must stay under them. */
  hostLimits: { nofile: number; nproc: number };
  cgroupManager: string;
  initPath?: string;
  /** The network namespace to join (a bridge network's, or another container's); unset: a new empty one. */
  netnsPath?: string;
  /** Namespaces of a pod's infra container to join (/proc/PID/ns/...). */
  joinNamespaces?: { ipc?: string; uts?: string; pid?: string };
  /**
   * Set for a rootless container, which runs in the user's namespace with no
   * cgroup of its own (nothing is delegated to the user): `gids` is how many
   * group ids that namespace maps.
   */
  rootless?: { gids: number };
  /** The container's own user namespace: its id maps (ids here for the container's). */
  idMappings?: IdMaps;
  /** The dirs holding the OCI hooks and so on are not supported yet. */
}

export const INIT_PATH_IN_CONTAINER = '/run/podman-init';

export function buildOciSpec(input: SpecInput): OciSpec {
  const { config, user } = input;
  const spec = config.spec;
  const privileged = spec.privileged === true;
  const caps = containerCapabilities(input.defaultCapabilities, spec.capAdd, spec.capDrop, privileged);
  const isRoot = user.uid === 0;
  const env = withHome(config.process.env, user.home);
  const args = spec.init ? [INIT_PATH_IN_CONTAINER, '--', ...config.process.args] : config.process.args;

  const ociSpec: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      ...(config.process.terminal ? { terminal: true } : {}),
      user: { uid: user.uid, gid: user.gid, umask: 0o22, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) },
      args,
      env,
      cwd: config.process.cwd,
      capabilities: {
        bounding: caps,
        effective: isRoot ? caps : [],
        permitted: isRoot ? caps : [],
        inheritable: [],
        ambient: [],
      },
      rlimits: rlimits(spec.ulimits ?? [], input.hostLimits),
      ...(spec.noNewPrivileges ? { noNewPrivileges: true } : {}),
    },
    root: { path: input.rootfs, ...(spec.readOnly ? { readonly: true } : {}) },
    // A joined UTS namespace keeps the hostname its owner gave it.
    ...(input.joinNamespaces?.uts ? {} : { hostname: config.hostname }),
    mounts: mounts(input),
    annotations: {
      'io.container.manager': 'libpod',
      'io.kubernetes.cri-o.Created': config.created,
      'io.kubernetes.cri-o.TTY': String(config.process.terminal),
      'io.podman.annotations.autoremove': spec.remove ? 'TRUE' : 'FALSE',
      'io.podman.annotations.init': spec.init ? 'TRUE' : 'FALSE',
      'io.podman.annotations.privileged': privileged ? 'TRUE' : 'FALSE',
      'io.podman.annotations.publish-all': spec.publishAll ? 'TRUE' : 'FALSE',
      'org.opencontainers.image.stopSignal': String(config.stopSignal),
      ...(spec.annotations ?? {}),
    },
    linux: {
      // A container user namespace cannot write the sysctls of a network namespace its parent made.
      ...sysctls(spec.network === 'host' || Boolean(input.idMappings && input.netnsPath), spec.sysctls),
      ...(input.rootless ? {} : { resources: resources(input, privileged) }),
      ...(spec.cgroups === 'disabled' || input.rootless ? {} : { cgroupsPath: cgroupsPath(input) }),
      namespaces: [...namespaces(spec.network, input.netnsPath, input.joinNamespaces ?? {}), ...(input.idMappings ? [{ type: 'user' }] : [])],
      ...(input.idMappings ? { uidMappings: input.idMappings.uid, gidMappings: input.idMappings.gid } : {}),
      ...(privileged ? {} : { maskedPaths: maskedPaths([...(input.rootless && !canMountSys(input) ? ['/sys/kernel'] : []), ...(spec.mask ?? [])], spec.unmask), readonlyPaths: readonlyPaths(spec.unmask) }),
    },
  };
  if (spec.devices?.length) {
    const { nodes, rules } = hostDeviceNodes(spec.devices);
    ociSpec.linux.devices = nodes;
    // Rootless containers have no cgroup (v1): the nodes are all they get.
    if (ociSpec.linux.resources) (ociSpec.linux.resources.devices as unknown[]).push(...rules);
  }
  const seccomp = seccompProfile(spec.seccompProfile, caps, privileged);
  if (seccomp) ociSpec.linux.seccomp = seccomp;
  if (spec.apparmorProfile && spec.apparmorProfile !== 'unconfined') ociSpec.process.apparmorProfile = spec.apparmorProfile;
  return ociSpec;
}

/** podman's ping range (not with the host's network) and the user's sysctls over it. */
function sysctls(hostNetwork: boolean, user: Record<string, string> = {}): { sysctl?: Record<string, string> } {
  const all = { ...(hostNetwork ? {} : { 'net.ipv4.ping_group_range': '0 0' }), ...user };
  return Object.keys(all).length ? { sysctl: all } : {};
}

function withHome(env: string[], home: string): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home}`];
}

/**
 * podman raises nofile and nproc to 1048576; a container cannot exceed the
 * host's hard limits, so the defaults are capped there (runc fails otherwise).
 */
function rlimits(ulimits: Array<{ name: string; soft: number; hard: number }>, host: { nofile: number; nproc: number }) {
  const result = new Map<string, { type: string; hard: number; soft: number }>();
  const nofile = Math.min(1048576, host.nofile);
  const nproc = Math.min(1048576, host.nproc);
  result.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile });
  result.set('RLIMIT_NPROC', { type: 'RLIMIT_NPROC', hard: nproc, soft: nproc });
  for (const u of ulimits) {
    const type = rlimitType(u.name);
    if (!type) throw new InvalidArgumentError(`invalid ulimit type "${u.name}": use one of ${ULIMIT_NAMES.join(', ')}`);
    const toRlimit = (v: number) => (v < 0 ? 2 ** 64 - 1 : v);
    result.set(type, { type, hard: toRlimit(u.hard), soft: toRlimit(u.soft) });
  }
  return [...result.values()];
}

function namespaces(
  network: string | undefined,
  netnsPath: string | undefined,
  join: { ipc?: string; uts?: string; pid?: string },
): Array<{ type: string; path?: string }> {
  const ns = (type: string, path?: string) => (path ? { type, path } : { type });
  const list: Array<{ type: string; path?: string }> = [ns('pid', join.pid)];
  if (network !== 'host') list.push(ns('network', netnsPath));
  list.push(ns('ipc', join.ipc), ns('uts', join.uts), { type: 'mount' });
  return list;
}

function cgroupsPath(input: SpecInput): string {
  const { id, spec } = input.config;
  if (input.cgroupManager === 'systemd') return `${spec.cgroupParent ?? 'machine.slice'}:libpod:${id}`;
  return `${spec.cgroupParent ?? '/libpod_parent'}/libpod-${id}`;
}

function resources(input: SpecInput, privileged: boolean): Record<string, unknown> {
  const r = input.config.spec.resources ?? {};
  const out: Record<string, unknown> = {
    devices: privileged
      ? [{ allow: true, access: 'rwm' }]
      : [{ allow: false, access: 'rwm' }],
  };
  const memory: Record<string, number> = {};
  if (r.memory !== undefined) memory.limit = r.memory;
  if (r.memoryReservation !== undefined) memory.reservation = r.memoryReservation;
  if (r.memorySwap !== undefined) memory.swap = r.memorySwap;
  else if (r.memory !== undefined) memory.swap = 2 * r.memory;
  if (Object.keys(memory).length) out.memory = memory;
  const cpu: Record<string, unknown> = {};
  if (r.cpus !== undefined) {
    cpu.period = 100000;
    cpu.quota = Math.round(r.cpus * 100000);
  }
  if (r.cpuShares !== undefined) cpu.shares = r.cpuShares;
  if (r.cpusetCpus !== undefined) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length) out.cpu = cpu;
  const pids = r.pidsLimit ?? input.pidsLimit;
  if (pids > 0) out.pids = { limit: pids };
  return out;
}

function maskedPaths(mask: string[] = [], unmask: string[] = []): string[] {
  if (unmask.includes('ALL')) return mask;
  return [...MASKED_PATHS, ...mask].filter((p) => !unmask.includes(p));
}

function readonlyPaths(unmask: string[] = []): string[] {
  if (unmask.includes('ALL')) return [];
  return READONLY_PATHS.filter((p) => !unmask.includes(p));
}

function seccompProfile(requested: string | undefined, caps: string[], privileged: boolean): OciSeccomp | undefined {
  if (requested === 'unconfined' || (privileged && requested === undefined)) return undefined;
  const path = findSeccompProfile(requested);
  return path ? seccompForContainer(path, caps) : undefined;
}

/**
 * sysfs can only be mounted by the owner of the network namespace: not by a
 * rootless user sharing the host's, nor from a container user namespace
 * (the container joins a namespace its parent's made).
 */
function canMountSys(input: SpecInput): boolean {
  if (input.idMappings) return false;
  return !(input.rootless && input.config.spec.network === 'host');
}

function mounts(input: SpecInput): OciMount[] {
  const spec = input.config.spec;
  const ro = spec.readOnly === true;
  const sysMode = spec.privileged && (spec.network === 'host' || input.rootless) ? 'rw' : 'ro';
  // Without a group 5 in the namespace the kernel refuses devpts's gid=5.
  const gid5 = input.idMappings ? input.idMappings.gid.some((m) => 5 >= m.containerID && 5 < m.containerID + m.size) : !input.rootless || input.rootless.gids > 5;
  const ttyGroup = gid5 ? ['gid=5'] : [];
  const list: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] },
    canMountSys(input)
      ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', sysMode] }
      : { destination: '/sys', type: 'bind', source: '/sys', options: ['rprivate', 'nosuid', 'noexec', 'nodev', sysMode, 'rbind'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...ttyGroup] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${spec.shmSize ?? 65536000}`],
    },
    { destination: '/etc/hostname', type: 'bind', source: input.files.hostname, options: ['bind', 'rprivate', ...(ro ? ['ro'] : [])] },
    ...(input.files.hosts ? [{ destination: '/etc/hosts', type: 'bind', source: input.files.hosts, options: ['bind', 'rprivate', ...(ro ? ['ro'] : [])] }] : []),
    ...(input.files.resolvConf
      ? [{ destination: '/etc/resolv.conf', type: 'bind', source: input.files.resolvConf, options: ['bind', 'rprivate', ...(ro ? ['ro'] : [])] }]
      : []),
    { destination: '/run/.containerenv', type: 'bind', source: input.files.containerenv, options: ['bind', 'rprivate'] },
    ...(['passwd', 'group'] as const)
      .filter((f) => input.files[f])
      .map((f) => ({ destination: `/etc/${f}`, type: 'bind', source: input.files[f]!, options: ['bind', 'rprivate'] })),
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', spec.privileged ? 'rw' : 'ro'] },
  ];
  if (ro && spec.readOnlyTmpfs !== false) {
    for (const dest of ['/tmp', '/var/tmp', '/run']) {
      list.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    }
  }
  if (spec.init && input.initPath) {
    list.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.initPath, options: ['bind', 'private', 'ro'] });
  }
  for (const m of spec.mounts ?? []) {
    // A user's mount replaces a default one at the same place.
    const existing = list.findIndex((x) => x.destination === m.destination);
    if (existing >= 0) list.splice(existing, 1);
    list.push(userMount(m));
  }
  return list;
}

function userMount(m: MountSpec): OciMount {
  if (m.type === 'tmpfs') {
    const options = m.options.length ? m.options : [];
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: [...new Set(['rw', 'noexec', 'nosuid', 'nodev', ...options])] };
  }
  const options = [...m.options];
  if (!options.includes('bind') && !options.includes('rbind')) options.unshift('rbind');
  if (!options.some((o) => /^r?(private|shared|slave)$/.test(o))) options.push('rprivate');
  return { destination: m.destination, type: 'bind', source: m.source!, options };
}
