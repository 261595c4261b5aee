import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import type { Runtime } from '../runtime.js';
import type { SystemCheckOptions, SystemCheckReport, SystemDfReport, SystemEngine, SystemInfo, SystemPruneOptions, SystemPruneReport } from '../types.js';
import type { SystemMaintenance, SystemPeers } from './systemMaintenance.js';
import type { EventsQuery, EventRecord } from './events.js';
import { VERSION, API_VERSION, BUILT } from '../../version.js';
import { hostArchitecture } from '../../image/oci.js';
import { isRootless } from '../../util/rootless.js';
import { cgroupVersion } from '../../util/cgroups.js';
import { parseIdMap } from '../../rootless/subids.js';
import { configEnvironment, userRuntimeDir } from '../../config/paths.js';

export type ContainerCounts = { number: number; paused: number; running: number; stopped: number };

export class LocalSystem implements SystemEngine {
  constructor(
    private readonly runtime: Runtime,
    private readonly containerCounts: () => Promise<ContainerCounts> = async () => ({ number: 0, paused: 0, running: 0, stopped: 0 }),
    private readonly peers?: SystemPeers,
  ) {}

  private async maintenance(): Promise<SystemMaintenance> {
    if (!this.peers) throw new Error('system maintenance needs the other engine groups');
    const { SystemMaintenance } = await import('./systemMaintenance.js');
    return new SystemMaintenance(this.runtime, this.peers);
  }

  async df(): Promise<SystemDfReport> {
    return (await this.maintenance()).df();
  }

  async prune(opts: SystemPruneOptions): Promise<SystemPruneReport> {
    return (await this.maintenance()).prune(opts);
  }

  async reset(): Promise<void> {
    return (await this.maintenance()).reset();
  }

  async migrate(opts: { newRuntime?: string }): Promise<void> {
    return (await this.maintenance()).migrate(opts);
  }

  async unshare(command: string[]): Promise<number> {
    const { unshareCommand } = await import('../../rootless/unshare.js');
    const store = this.runtime.store.options;
    return unshareCommand(command, { CONTAINERS_GRAPHROOT: store.graphRoot, CONTAINERS_RUNROOT: store.runRoot });
  }

  async check(opts: SystemCheckOptions): Promise<SystemCheckReport> {
    return (await this.maintenance()).check(opts);
  }

  async events(query: EventsQuery, onEvent: (e: EventRecord) => void, signal?: AbortSignal): Promise<void> {
    const { streamEvents } = await import('./events.js');
    return streamEvents(this.runtime, query, onEvent, signal);
  }

  async info(): Promise<SystemInfo> {
    const store = this.runtime.store;
    const imageCount = store.exists() ? (store.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n : 0;
    const runtimeName = this.runtime.ociRuntime;
    const info = {
      host: {
        arch: hostArchitecture(),
        cgroupManager: this.runtime.cgroupManager,
        eventLogger: this.runtime.containersConf.engine.eventsLogger,
        cgroupVersion: cgroupVersion(),
        cgroupControllers: cgroupControllers(),
        cpuUtilization: cpuUtilization(),
        databaseBackend: 'sqlite',
        logDriver: 'k8s-file',
        networkBackend: 'netavark',
        security: {
          rootless: isRootless(),
          seccompEnabled: true,
          seccompProfilePath: '/usr/share/containers/seccomp.json',
          selinuxEnabled: false,
          apparmorEnabled: false,
          capabilities: this.runtime.containersConf.containers.defaultCapabilities.map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`)).join(','),
        },
        idMappings: isRootless() ? { gidmap: namespaceMap('gid'), uidmap: namespaceMap('uid') } : { gidmap: null, uidmap: null },
        linkmode: 'dynamic',
        remoteSocket: { path: isRootless() ? join(userRuntimeDir(configEnvironment()), 'tspod', 'tspod.sock') : '/run/tspod/tspod.sock' },
        serviceIsRemote: false,
        slirp4netns: (({ path, package: pkg, version }) => ({ executable: path, package: pkg, version }))(programInfo('slirp4netns', 'slirp4netns')),
        ...swap(),
        conmon: programInfo('conmon', 'conmon'),
        cpus: os.cpus().length,
        distribution: distribution(),
        hostname: os.hostname(),
        kernel: os.release(),
        memFree: os.freemem(),
        memTotal: os.totalmem(),
        ociRuntime: { name: runtimeName, ...programInfo(runtimeName, runtimeName) },
        os: 'linux',
        rootless: isRootless(),
        uptime: goUptime(os.uptime()),
      },
      store: {
        configFile: process.env.CONTAINERS_STORAGE_CONF ?? '/etc/containers/storage.conf',
        graphDriverName: store.driver,
        graphRoot: store.options.graphRoot,
        runRoot: store.options.runRoot,
        graphOptions: {},
        ...graphRootUsage(store.options.graphRoot),
        graphStatus: { 'Backing Filesystem': backingFilesystem(store.options.graphRoot), 'Native Overlay Diff': 'true', 'Supports d_type': 'true', 'Using metacopy': 'false' },
        imageCopyTmpDir: process.env.TMPDIR ?? '/var/tmp',
        volumePath: join(store.options.graphRoot, 'volumes'),
        imageStore: { number: imageCount },
        containerStore: await this.containerCounts(),
      },
      registries: { search: this.runtime.registriesConf.unqualifiedSearchRegistries },
      plugins: { volume: ['local'], network: ['bridge', 'macvlan'], log: ['k8s-file', 'none', 'passthrough'], authorization: null },
      version: {
        APIVersion: API_VERSION,
        Version: VERSION,
        GoVersion: `node ${process.version}`,
        Built: BUILT,
        BuiltTime: new Date(BUILT * 1000).toString(),
        OsArch: `linux/${hostArchitecture()}`,
        Os: 'linux',
      },
    };
    // Podman's Go structs list these fields alphabetically.
    return { ...info, host: sortKeys(info.host), store: sortKeys(info.store) };
  }
}

/** The rootless namespace's map as Podman's info lists it. */
function namespaceMap(kind: 'uid' | 'gid'): Array<{ container_id: number; host_id: number; size: number }> {
  try {
    return parseIdMap(readFileSync(`/proc/self/${kind}_map`, 'utf8')).map((m) => ({ container_id: m.inside, host_id: m.outside, size: m.count }));
  } catch {
    return [];
  }
}

function distribution(): Record<string, string> {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)`, 'm').exec(text)?.[1] ?? '';
    return { distribution: get('ID'), version: get('VERSION_ID'), codename: get('VERSION_CODENAME') };
  } catch {
    return {};
  }
}

function programInfo(program: string, debianPackage: string): Record<string, string> {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/libexec/podman', '/usr/local/bin']) {
    const path = `${dir}/${program}`;
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0] ?? '';
      return { path, package: debianPackage, version };
    } catch {
      // try the next place
    }
  }
  return { path: '', package: debianPackage, version: 'not installed' };
}

function cgroupControllers(): string[] {
  try {
    if (cgroupVersion() === 'v2') return readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(/\s+/).filter(Boolean);
    // v1: the enabled hierarchies that are mounted, in /proc/cgroups order.
    const mounted = readFileSync('/proc/self/mounts', 'utf8');
    return readFileSync('/proc/cgroups', 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t'))
      .filter((f) => f[3] === '1' && new RegExp(`cgroup [^ ]*\\b${f[0]}\\b`).test(mounted))
      .map((f) => f[0]!);
  } catch {
    return [];
  }
}

/** Since boot, from /proc/stat, as podman reports it. */
function cpuUtilization(): { userPercent: number; systemPercent: number; idlePercent: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0) || 1;
    const pct = (n: number) => Math.round((n / total) * 10000) / 100;
    return { userPercent: pct((fields[0] ?? 0) + (fields[1] ?? 0)), systemPercent: pct(fields[2] ?? 0), idlePercent: pct(fields[3] ?? 0) };
  } catch {
    return { userPercent: 0, systemPercent: 0, idlePercent: 0 };
  }
}

function swap(): { swapFree: number; swapTotal: number } {
  try {
    const text = readFileSync('/proc/meminfo', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { swapFree: kb('SwapFree'), swapTotal: kb('SwapTotal') };
  } catch {
    return { swapFree: 0, swapTotal: 0 };
  }
}

/** podman's uptime text: `7h 48m 18.00s (Approximately 0.29 days)`. */
function goUptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = (seconds % 60).toFixed(2);
  return `${h}h ${m}m ${s}s (Approximately ${(seconds / 86400).toFixed(2)} days)`;
}

function graphRootUsage(graphRoot: string): { graphRootAllocated?: number; graphRootUsed?: number } {
  try {
    const st = statfsSync(existingParent(graphRoot));
    return { graphRootAllocated: st.blocks * st.bsize, graphRootUsed: (st.blocks - st.bfree) * st.bsize };
  } catch {
    return {};
  }
}

function existingParent(path: string): string {
  let p = path;
  for (;;) {
    try {
      statfsSync(p);
      return p;
    } catch {
      const parent = join(p, '..');
      if (parent === p) return '/';
      p = parent;
    }
  }
}

const FS_NAMES: Record<number, string> = { 0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };

function backingFilesystem(graphRoot: string): string {
  try {
    return FS_NAMES[statfsSync(existingParent(graphRoot)).type] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function sortKeys<T>(value: T): T {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }))
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  ) as T;
}
