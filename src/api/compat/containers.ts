/**
 * Engine reports -> the shapes Docker clients parse: the container list, the
 * inspect document, stats, top, changes and the archive path stat. Pure
 * functions over the engine's (Podman-shaped) reports.
 */
import { constants as osConstants } from 'node:os';
import type { ContainerPathStat, ContainerSummary, FileChange } from '../../engine/types.js';
import type { ContainerSample } from '../../engine/statsTypes.js';
import { humanDuration } from '../../util/units.js';
import type { JsonObject } from './body.js';

/** The parts of the engine's inspect report read here. */
export interface EngineInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    OOMKilled: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
    Health?: { Status: string; FailingStreak: number; Log: unknown[] | null };
  };
  Image: string;
  ImageName: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  OCIRuntime: string;
  GraphDriver: unknown;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: Array<Record<string, unknown>>;
  NetworkSettings: Record<string, unknown> & { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>; Networks?: Record<string, Record<string, unknown>> };
  Config: Record<string, unknown> & { Cmd: string[] | null; StopSignal: number | string; Labels: Record<string, string> | null; Annotations?: Record<string, string> };
  HostConfig: Record<string, unknown> & { NetworkMode: string; LogConfig: { Type: string; Path: string } };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's states: created, running, paused, restarting, removing, exited, dead. */
export function dockerState(status: string): string {
  switch (status) {
    case 'stopped':
    case 'exited':
      return 'exited';
    case 'initialized':
    case 'configured':
    case 'created':
      return 'created';
    default:
      return status;
  }
}

/** The STATUS column as Docker words it: `Up 5 minutes (healthy)`, `Exited (3) 2 seconds ago`. */
export function dockerStatus(state: string, startedAt: number, finishedAt: number, exitCode: number, health: string, now = Date.now()): string {
  const since = (seconds: number) => humanDuration(Math.max(0, now - seconds * 1000));
  switch (dockerState(state)) {
    case 'running':
    case 'paused': {
      const suffix = state === 'paused' ? ' (Paused)' : health === 'starting' ? ' (health: starting)' : health ? ` (${health})` : '';
      return `Up ${since(startedAt)}${suffix}`;
    }
    case 'exited':
      return finishedAt > 0 ? `Exited (${exitCode}) ${since(finishedAt)} ago` : `Exited (${exitCode})`;
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}

function signalName(signal: number | string): string {
  if (typeof signal === 'string') return signal;
  return Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0] ?? String(signal);
}

/** Image ids as Docker shows them. */
export function imageIdOf(id: string): string {
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

/** The argv as one string (Docker's list `Command`). */
function commandLine(inspect: EngineInspect): string {
  return [inspect.Path, ...inspect.Args].filter((a) => a !== '').join(' ');
}

/** The entrypoint: the argv before the command. */
function entrypointOf(inspect: EngineInspect): string[] | null {
  const argv = [inspect.Path, ...inspect.Args].filter((a, i) => i > 0 || a !== '');
  const cmd = inspect.Config.Cmd ?? [];
  const head = argv.slice(0, argv.length - cmd.length);
  return head.length ? head : null;
}

function dockerMounts(inspect: EngineInspect): JsonObject[] {
  return inspect.Mounts.map((m) => ({
    Type: m.Type,
    ...(m.Type === 'volume' ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    Driver: m.Driver ?? '',
    Mode: m.Mode ?? '',
    RW: m.RW,
    Propagation: m.Propagation ?? '',
  }));
}

function dockerEndpoints(inspect: EngineInspect): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const [name, ep] of Object.entries(inspect.NetworkSettings.Networks ?? {})) {
    out[name] = {
      IPAMConfig: null,
      Links: null,
      Aliases: ep.Aliases ?? null,
      MacAddress: ep.MacAddress ?? '',
      DriverOpts: null,
      NetworkID: ep.NetworkID ?? name,
      EndpointID: ep.EndpointID ?? '',
      Gateway: ep.Gateway ?? '',
      IPAddress: ep.IPAddress ?? '',
      IPPrefixLen: ep.IPPrefixLen ?? 0,
      IPv6Gateway: ep.IPv6Gateway ?? '',
      GlobalIPv6Address: ep.GlobalIPv6Address ?? '',
      GlobalIPv6PrefixLen: ep.GlobalIPv6PrefixLen ?? 0,
      DNSNames: null,
    };
  }
  return out;
}

/** NetworkSettings.Ports with Docker's address for "all": 0.0.0.0. */
function dockerPortMap(inspect: EngineInspect): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  return Object.fromEntries(
    Object.entries(inspect.NetworkSettings.Ports ?? {}).map(([key, bindings]) => [
      key,
      bindings ? bindings.map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort })) : null,
    ]),
  );
}

/** The list's Ports: one entry per host binding, and the exposed-only ports without one. */
function dockerPortList(inspect: EngineInspect): JsonObject[] {
  const list: JsonObject[] = [];
  for (const [key, bindings] of Object.entries(inspect.NetworkSettings.Ports ?? {})) {
    const [port = '0', type = 'tcp'] = key.split('/');
    if (!bindings) {
      list.push({ PrivatePort: Number(port), Type: type });
      continue;
    }
    for (const b of bindings) list.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return list;
}

/** One entry of GET /containers/json. */
/** A list row's Status text ("Up 3 minutes (healthy)"), the one part of a row that moves with time. */
export function dockerSummaryStatus(summary: ContainerSummary, inspect: EngineInspect, now = Date.now()): string {
  return dockerStatus(summary.State, summary.StartedAt, summary.ExitedAt, summary.ExitCode, inspect.State.Health?.Status ?? '', now);
}

export function dockerSummary(summary: ContainerSummary, inspect: EngineInspect, now = Date.now()): JsonObject {
  return {
    Id: summary.Id,
    Names: summary.Names.map((n) => `/${n}`),
    Image: summary.Image,
    ImageID: imageIdOf(summary.ImageID),
    Command: commandLine(inspect),
    Created: summary.Created,
    Ports: dockerPortList(inspect),
    ...(summary.Size ? { SizeRw: summary.Size.rwSize, SizeRootFs: summary.Size.rootFsSize } : {}),
    Labels: summary.Labels ?? {},
    State: dockerState(summary.State),
    Status: dockerSummaryStatus(summary, inspect, now),
    HostConfig: { NetworkMode: inspect.HostConfig.NetworkMode },
    NetworkSettings: { Networks: dockerEndpoints(inspect) },
    Mounts: dockerMounts(inspect),
  };
}

/** GET /containers/{id}/json. */
export function dockerInspect(inspect: EngineInspect, opts: { execIds: string[] }): JsonObject {
  const { State: s, Config: c, HostConfig: h, NetworkSettings: n } = inspect;
  const health = s.Health && s.Health.Status ? { Health: { Status: s.Health.Status, FailingStreak: s.Health.FailingStreak, Log: s.Health.Log ?? [] } } : {};
  const state = dockerState(s.Status);
  const ports = dockerPortMap(inspect);
  const restart = (h.RestartPolicy ?? {}) as { Name?: string; MaximumRetryCount?: number };
  return {
    Id: inspect.Id,
    Created: inspect.Created,
    Path: inspect.Path,
    Args: inspect.Args,
    State: {
      Status: state,
      Running: s.Running,
      Paused: s.Paused,
      Restarting: false,
      OOMKilled: s.OOMKilled,
      Dead: false,
      Pid: s.Pid,
      ExitCode: s.ExitCode,
      Error: s.Error,
      StartedAt: s.StartedAt || ZERO_TIME,
      FinishedAt: s.FinishedAt || ZERO_TIME,
      ...health,
    },
    Image: imageIdOf(inspect.Image),
    ResolvConfPath: inspect.ResolvConfPath,
    HostnamePath: inspect.HostnamePath,
    HostsPath: inspect.HostsPath,
    LogPath: h.LogConfig.Path ?? '',
    Name: `/${inspect.Name}`,
    RestartCount: inspect.RestartCount,
    Driver: inspect.Driver,
    Platform: 'linux',
    MountLabel: inspect.MountLabel,
    ProcessLabel: inspect.ProcessLabel,
    AppArmorProfile: inspect.AppArmorProfile,
    ExecIDs: opts.execIds.length ? opts.execIds : null,
    HostConfig: dockerHostConfig(inspect, restart),
    GraphDriver: inspect.GraphDriver,
    ...(inspect.SizeRw !== undefined ? { SizeRw: inspect.SizeRw, SizeRootFs: inspect.SizeRootFs } : {}),
    Mounts: dockerMounts(inspect),
    Config: {
      Hostname: c.Hostname,
      Domainname: c.Domainname ?? '',
      User: c.User,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(Object.keys(ports).length ? { ExposedPorts: Object.fromEntries(Object.keys(ports).map((k) => [k, {}])) } : {}),
      Tty: c.Tty,
      OpenStdin: c.OpenStdin,
      StdinOnce: false,
      Env: c.Env ?? [],
      Cmd: c.Cmd,
      ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
      Image: c.Image,
      Volumes: null,
      WorkingDir: c.WorkingDir,
      Entrypoint: entrypointOf(inspect),
      OnBuild: null,
      Labels: c.Labels ?? {},
      StopSignal: signalName(c.StopSignal),
      StopTimeout: c.StopTimeout,
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      SandboxKey: n.SandboxKey ?? '',
      Ports: ports,
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: n.EndpointID ?? '',
      Gateway: n.Gateway ?? '',
      GlobalIPv6Address: n.GlobalIPv6Address ?? '',
      GlobalIPv6PrefixLen: n.GlobalIPv6PrefixLen ?? 0,
      IPAddress: n.IPAddress ?? '',
      IPPrefixLen: n.IPPrefixLen ?? 0,
      IPv6Gateway: n.IPv6Gateway ?? '',
      MacAddress: n.MacAddress ?? '',
      Networks: dockerEndpoints(inspect),
    },
  };
}

/** Fields Docker's HostConfig shares with the engine's, passed through as they are. */
const SHARED_HOST_CONFIG = [
  'Binds', 'ContainerIDFile', 'PortBindings', 'AutoRemove', 'VolumeDriver', 'VolumesFrom', 'ConsoleSize', 'CapAdd', 'CapDrop',
  'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged',
  'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'Tmpfs', 'UTSMode', 'UsernsMode', 'ShmSize', 'Isolation', 'CpuShares', 'Memory',
  'NanoCpus', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices',
  'KernelMemory', 'MemoryReservation', 'MemorySwap', 'OomKillDisable', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent',
  'IOMaximumIOps', 'IOMaximumBandwidth',
];

function dockerHostConfig(inspect: EngineInspect, restart: { Name?: string; MaximumRetryCount?: number }): JsonObject {
  const h = inspect.HostConfig;
  const out: JsonObject = {};
  for (const key of SHARED_HOST_CONFIG) if (key in h) out[key] = h[key];
  // k8s-file is read back like json-file; clients (docker-compose logs) only read logs of drivers they know.
  out.LogConfig = { Type: h.LogConfig.Type === 'k8s-file' ? 'json-file' : h.LogConfig.Type, Config: {} };
  out.NetworkMode = inspect.HostConfig.NetworkMode;
  out.RestartPolicy = { Name: restart.Name || 'no', MaximumRetryCount: restart.MaximumRetryCount ?? 0 };
  out.Runtime = inspect.OCIRuntime || 'runc';
  out.CgroupnsMode = 'host';
  out.DeviceCgroupRules = null;
  out.DeviceRequests = null;
  out.MemorySwappiness = null;
  out.Init = inspect.Config.Annotations?.['io.podman.annotations.init'] === 'TRUE';
  out.MaskedPaths = null;
  out.ReadonlyPaths = null;
  for (const key of ['Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'Ulimits', 'Devices'] as const) out[key] ??= [];
  out.Tmpfs ??= {};
  return out;
}

// ------------------------------------------------------------------ top, changes

/** GET /containers/{id}/top: the engine's rows, titles first. */
export function dockerTop(rows: string[][]): { Titles: string[]; Processes: string[][] } {
  return { Titles: rows[0] ?? [], Processes: rows.slice(1) };
}

/** GET /containers/{id}/changes: Kind 0 modified, 1 added, 2 deleted. */
export function dockerChanges(changes: FileChange[]): Array<{ Path: string; Kind: number }> {
  const kinds = { C: 0, A: 1, D: 2 } as const;
  return changes.map((c) => ({ Path: c.path, Kind: kinds[c.kind] }));
}

// ------------------------------------------------------------------ archive

/** Go's os.FileMode bits for the file types st_mode has. */
const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
};

/** st_mode -> Go's os.FileMode, as Docker's path stat carries it. */
export function goFileMode(mode: number): number {
  const type = mode & 0o170000;
  let out = mode & 0o777;
  if (type === 0o040000) out += GO_MODE.dir;
  else if (type === 0o120000) out += GO_MODE.symlink;
  else if (type === 0o060000) out += GO_MODE.device;
  else if (type === 0o020000) out += GO_MODE.device + GO_MODE.charDevice;
  else if (type === 0o010000) out += GO_MODE.namedPipe;
  else if (type === 0o140000) out += GO_MODE.socket;
  if (mode & 0o4000) out += GO_MODE.setuid;
  if (mode & 0o2000) out += GO_MODE.setgid;
  if (mode & 0o1000) out += GO_MODE.sticky;
  return out;
}

/** Go's os.FileMode -> st_mode (the remote client's reading of a path stat). */
export function statModeOfGoFileMode(goMode: number): number {
  const has = (bit: number) => Math.floor(goMode / bit) % 2 === 1;
  let mode = goMode % 0o1000;
  if (has(GO_MODE.dir)) mode += 0o040000;
  else if (has(GO_MODE.symlink)) mode += 0o120000;
  else if (has(GO_MODE.device)) mode += has(GO_MODE.charDevice) ? 0o020000 : 0o060000;
  else if (has(GO_MODE.namedPipe)) mode += 0o010000;
  else if (has(GO_MODE.socket)) mode += 0o140000;
  else mode += 0o100000;
  if (has(GO_MODE.setuid)) mode += 0o4000;
  if (has(GO_MODE.setgid)) mode += 0o2000;
  if (has(GO_MODE.sticky)) mode += 0o1000;
  return mode;
}

/** The header a HEAD or GET of a container's archive carries its path's stat in. */
export const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';

/** The X-Docker-Container-Path-Stat header: base64 of the stat as JSON. */
export function pathStatHeader(stat: ContainerPathStat): string {
  const json = JSON.stringify({ name: stat.name, size: stat.size, mode: goFileMode(stat.mode), mtime: stat.mtime, linkTarget: stat.linkTarget });
  return Buffer.from(json).toString('base64');
}

/** The stat in an X-Docker-Container-Path-Stat header; undefined when it is not one. */
export function pathStatFromHeader(header: string): ContainerPathStat | undefined {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || typeof parsed.name !== 'string' || typeof parsed.mode !== 'number') return undefined;
  return {
    name: parsed.name,
    size: typeof parsed.size === 'number' ? parsed.size : 0,
    mode: statModeOfGoFileMode(parsed.mode),
    mtime: typeof parsed.mtime === 'string' ? parsed.mtime : '',
    linkTarget: typeof parsed.linkTarget === 'string' ? parsed.linkTarget : '',
  };
}

// ------------------------------------------------------------------ stats

/** A sample with the host's CPU time it was read against (for Docker's CPU %). */
export interface StatsReading {
  sample?: ContainerSample;
  /** Host CPU time, all CPUs, nanoseconds (/proc/stat). */
  systemNanos: number;
  onlineCpus: number;
  /** When it was read. */
  read: string;
}

function cpuStats(reading: StatsReading | undefined): JsonObject {
  const s = reading?.sample;
  return {
    cpu_usage: { total_usage: s?.cpuNanos ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: reading && s ? reading.systemNanos : 0,
    online_cpus: reading && s ? reading.onlineCpus : 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** One stats object as Docker streams it; `previous` fills precpu_stats. */
export function dockerStats(id: string, name: string, current: StatsReading, previous: StatsReading | undefined): JsonObject {
  const s = current.sample;
  return {
    name: `/${name}`,
    id,
    read: current.read,
    preread: previous?.read ?? ZERO_TIME,
    pids_stats: s ? { current: s.pids } : {},
    blkio_stats: {
      io_service_bytes_recursive: s
        ? [
            { major: 0, minor: 0, op: 'read', value: s.blockRead },
            { major: 0, minor: 0, op: 'write', value: s.blockWrite },
          ]
        : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(current),
    precpu_stats: cpuStats(previous),
    memory_stats: s ? { usage: s.memUsage, stats: {}, limit: s.memLimit } : {},
    networks: s
      ? { eth0: { rx_bytes: s.netRx, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: s.netTx, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } }
      : {},
  };
}
