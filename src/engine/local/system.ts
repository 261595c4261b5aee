import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Runtime } from '../runtime.js';
import type { SystemEngine, SystemInfo } from '../types.js';
import type { EventsQuery, EventRecord } from './events.js';
import { VERSION, API_VERSION, BUILT } from '../../version.js';
import { hostArchitecture } from '../../image/oci.js';

export type ContainerCounts = { number: number; paused: number; running: number; stopped: number };

export class LocalSystem implements SystemEngine {
  constructor(
    private readonly runtime: Runtime,
    private readonly containerCounts: () => Promise<ContainerCounts> = async () => ({ number: 0, paused: 0, running: 0, stopped: 0 }),
  ) {}

  async events(query: EventsQuery, onEvent: (e: EventRecord) => void, signal?: AbortSignal): Promise<void> {
    const { streamEvents } = await import('./events.js');
    return streamEvents(this.runtime, query, onEvent, signal);
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
