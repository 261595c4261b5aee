import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Runtime } from '../runtime.js';
import type { SystemCheckOptions, SystemCheckReport, SystemDfReport, SystemEngine, SystemInfo, SystemPruneOptions, SystemPruneReport } from '../types.js';
import type { SystemMaintenance, SystemPeers } from './systemMaintenance.js';
import { VERSION, API_VERSION, BUILT } from '../../version.js';
import { hostArchitecture } from '../../image/oci.js';

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

  async check(opts: SystemCheckOptions): Promise<SystemCheckReport> {
    return (await this.maintenance()).check(opts);
  }

  async info(): Promise<SystemInfo> {
    const store = this.runtime.store;
    const imageCount = store.exists() ? (store.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n : 0;
    const runtimeName = this.runtime.ociRuntime;
    return {
      host: {
        arch: hostArchitecture(),
        cgroupManager: this.runtime.cgroupManager,
        eventLogger: this.runtime.containersConf.engine.eventsLogger,
        cgroupVersion: cgroupVersion(),
        databaseBackend: 'sqlite',
        logDriver: 'k8s-file',
        networkBackend: 'netavark',
        security: {
          rootless: process.getuid?.() !== 0,
          seccompEnabled: true,
          seccompProfilePath: '/usr/share/containers/seccomp.json',
          selinuxEnabled: false,
          apparmorEnabled: false,
        },
        conmon: programInfo('conmon', 'conmon'),
        cpus: os.cpus().length,
        distribution: distribution(),
        hostname: os.hostname(),
        kernel: os.release(),
        memFree: os.freemem(),
        memTotal: os.totalmem(),
        ociRuntime: { name: runtimeName, ...programInfo(runtimeName, runtimeName) },
        os: 'linux',
        rootless: process.getuid?.() !== 0,
        uptime: `${Math.floor(os.uptime())}s`,
      },
      store: {
        configFile: process.env.CONTAINERS_STORAGE_CONF ?? '/etc/containers/storage.conf',
        graphDriverName: store.driver,
        graphRoot: store.options.graphRoot,
        runRoot: store.options.runRoot,
        imageStore: { number: imageCount },
        containerStore: await this.containerCounts(),
      },
      registries: { search: this.runtime.registriesConf.unqualifiedSearchRegistries },
      plugins: { log: ['k8s-file', 'none', 'passthrough'], network: ['bridge', 'macvlan'], volume: ['local'] },
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
  }
}

function cgroupVersion(): string {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    return / \/sys\/fs\/cgroup cgroup2 /.test(mounts) ? 'v2' : 'v1';
  } catch {
    return 'unknown';
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
