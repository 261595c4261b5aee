/**
 * The engine's system reports as Docker's `GET /info`, `GET /system/df` and
 * `GET /events` shape them.
 */
import { createHash } from 'node:crypto';
import type { ImageSummary, SystemDfReport, SystemInfo, VolumeInspectReport } from '../../engine/types.js';
import type { EventRecord } from '../../engine/eventTypes.js';
import { BadInputError } from '../../util/errors.js';
import { parseGoDuration } from '../../util/goDuration.js';
import { familiarReference, imageSummary } from './images.js';

type Obj = Record<string, unknown>;

const obj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export interface InfoExtras {
  /** `uname -m`, which Docker reports as Architecture. */
  machine: string;
  serverVersion: string;
  /** RFC 3339 with nanoseconds. */
  systemTime: string;
  /** PRETTY_NAME of os-release, when there is one. */
  operatingSystem?: string;
  proxies: { http: string; https: string; no: string };
}

/** A stable id for this engine's storage, in the UUID form Docker's engine id has. */
export function engineId(graphRoot: string): string {
  const h = createHash('sha256').update(`tspod:${graphRoot}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `GET /info`. */
export function dockerInfo(info: SystemInfo, extras: InfoExtras): Obj {
  const host = obj(info.host);
  const store = obj(info.store);
  const counts = obj(store.containerStore);
  const distribution = obj(host.distribution);
  const security = obj(host.security);
  const runtime = obj(host.ociRuntime);
  const runtimeName = str(runtime.name) || 'runc';
  const plugins = obj(info.plugins);
  const graphStatus = obj(store.graphStatus);
  const rootless = security.rootless === true;
  const cgroupVersion = str(host.cgroupVersion).replace(/^v/, '') || '1';
  const securityOptions = ['name=seccomp,profile=default'];
  if (rootless) securityOptions.push('name=rootless');
  if (cgroupVersion === '2') securityOptions.push('name=cgroupns');
  return {
    ID: engineId(str(store.graphRoot)),
    Containers: num(counts.number),
    ContainersRunning: num(counts.running),
    ContainersPaused: num(counts.paused),
    ContainersStopped: num(counts.stopped),
    Images: num(obj(store.imageStore).number),
    Driver: str(store.graphDriverName),
    DriverStatus: Object.entries(graphStatus).map(([k, v]) => [k, str(v)]),
    Plugins: {
      Volume: Array.isArray(plugins.volume) ? plugins.volume : ['local'],
      Network: Array.isArray(plugins.network) ? plugins.network : ['bridge'],
      Authorization: null,
      Log: Array.isArray(plugins.log) ? plugins.log : ['k8s-file'],
    },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    BridgeNfIptables: true,
    BridgeNfIp6tables: true,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: extras.systemTime,
    LoggingDriver: str(host.logDriver) || 'k8s-file',
    CgroupDriver: str(host.cgroupManager) === 'systemd' ? 'systemd' : 'cgroupfs',
    CgroupVersion: cgroupVersion,
    NEventsListener: 0,
    KernelVersion: str(host.kernel),
    OperatingSystem: extras.operatingSystem || [str(distribution.distribution), str(distribution.version)].filter(Boolean).join(' '),
    OSVersion: str(distribution.version),
    OSType: 'linux',
    Architecture: extras.machine,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
      Mirrors: [],
    },
    NCPU: num(host.cpus),
    MemTotal: num(host.memTotal),
    GenericResources: null,
    DockerRootDir: str(store.graphRoot),
    HttpProxy: extras.proxies.http,
    HttpsProxy: extras.proxies.https,
    NoProxy: extras.proxies.no,
    Name: str(host.hostname),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: extras.serverVersion,
    Runtimes: { [runtimeName]: { path: str(runtime.path) || runtimeName } },
    DefaultRuntime: runtimeName,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: 'catatonit',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: '' },
    InitCommit: { ID: '' },
    SecurityOptions: securityOptions,
    Warnings: [],
  };
}

/**
 * `GET /system/df`. Images come from the image list (for their names and labels) with the
 * counts df computed; containers (the rows dockerSummary made) and volumes in the shapes of their lists.
 */
export function dockerDiskUsage(df: SystemDfReport, images: ImageSummary[], containers: Obj[], volumes: VolumeInspectReport[], apiVersion: string | undefined): Obj {
  const dfImages = new Map(df.images.map((i) => [i.id, i]));
  const dfContainers = new Map(df.containers.map((c) => [c.id, c]));
  const details = new Map(volumes.map((v) => [v.Name, v]));
  return {
    LayersSize: df.imagesSize,
    Images: images
      .filter((s) => dfImages.has(s.Id))
      .map((s) => {
        const usage = dfImages.get(s.Id)!;
        return { ...imageSummary(s, apiVersion), SharedSize: usage.sharedSize, Containers: usage.containers };
      }),
    // The rows of the container list, with the writable layer's size df measured.
    Containers: containers.map((row) => {
      const usage = dfContainers.get(String(row.Id));
      return { ...row, SizeRw: usage?.size ?? 0, SizeRootFs: (row.SizeRootFs as number | undefined) ?? 0 };
    }),
    Volumes: df.volumes.map((v) => {
      const d = details.get(v.name);
      return {
        Name: v.name,
        Driver: d?.Driver ?? 'local',
        Mountpoint: d?.Mountpoint ?? '',
        CreatedAt: d?.CreatedAt ?? '',
        Labels: d?.Labels ?? {},
        Scope: d?.Scope ?? 'local',
        Options: d?.Options ?? {},
        UsageData: { Size: v.size, RefCount: v.links },
      };
    }),
    BuildCache: [],
  };
}

// ------------------------------------------------------------------ events

/** Where the engine's (Podman's) action names differ from Docker's. */
const DOCKER_ACTIONS: Partial<Record<EventRecord['Type'], Record<string, string>>> = {
  container: { died: 'die', remove: 'destroy' },
  image: { remove: 'delete', loadfromarchive: 'load' },
};

/**
 * One `GET /events` line. Docker's fields in its order; container events also
 * carry the old `status`, `id` and `from`. `timeNano` keeps all its digits
 * (beyond what a JSON number parsed as a double holds), so the line is built as text.
 */
export function dockerEventLine(e: EventRecord): string {
  const action = DOCKER_ACTIONS[e.Type]?.[e.Status] ?? e.Status;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.Attributes ?? {})) {
    if (k === 'podId') continue;
    attributes[k === 'containerExitCode' ? 'exitCode' : k] = v;
  }
  const event: Obj = {};
  let actorId = e.ID || e.Name;
  if (e.Type === 'container') {
    if (e.Image) attributes.image = familiarReference(e.Image);
    if (e.Name) attributes.name = e.Name;
    Object.assign(event, { status: action, id: e.ID, from: attributes.image ?? '' });
  } else {
    if (e.Type === 'image' && /^[a-f0-9]{64}$/.test(e.ID)) actorId = `sha256:${e.ID}`;
    if (e.Name) attributes.name = e.Type === 'image' ? familiarReference(e.Name.replace(/^docker:\/\//, '')) : e.Name;
  }
  const nanos = /^\d+$/.test(e.TimeNano) ? e.TimeNano : '0';
  const seconds = nanos.length > 9 ? nanos.slice(0, -9) : '0';
  Object.assign(event, { Type: e.Type, Action: action, Actor: { ID: actorId, Attributes: attributes }, scope: 'local', time: Number(seconds), timeNano: 0 });
  const text = JSON.stringify(event);
  return `${text.slice(0, text.length - '0}'.length)}${nanos}}`;
}

/**
 * Docker's `since`/`until` query values: Unix seconds with an optional
 * fraction (`1700000000.123456789`), an RFC 3339 date, or a Go duration before now (`10m`).
 */
export function eventTime(name: string, value: string, nowMs: number = Date.now()): bigint {
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0') || '0');
  const nanos = parseGoDuration(value);
  if (nanos !== null) return BigInt(Math.round(nowMs - nanos / 1e6)) * 1_000_000n;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new BadInputError(`query parameter ${name}: "${value}" is not a Unix timestamp, an RFC 3339 date or a duration`);
  return BigInt(ms) * 1_000_000n;
}

const EVENT_FILTER_KEYS = new Set(['container', 'event', 'image', 'label', 'type', 'volume', 'network', 'pod']);

/**
 * Docker's event filters as the engine's, checked before the stream starts:
 * `scope=local` holds for every event here and is dropped; Docker's `destroy` is the engine's `remove`.
 */
export function eventFilters(filters: string[]): string[] {
  const out: string[] = [];
  for (const f of filters) {
    const key = f.slice(0, Math.max(0, f.indexOf('=')));
    if (key === 'scope') {
      if (f !== 'scope=local') throw new BadInputError(`filter "${f}": only scope=local events exist here`);
      continue;
    }
    if (!EVENT_FILTER_KEYS.has(key)) throw new BadInputError(`invalid filter "${f}": use container, event, image, label, type, volume or network`);
    out.push(f === 'event=destroy' ? 'event=remove' : f);
  }
  return out;
}
