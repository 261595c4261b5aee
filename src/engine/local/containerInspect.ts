import type { ContainerRecord } from './containerRecord.js';
import type { NetworkStatus } from '../network/types.js';
import { rlimitType } from '../spec/hostSpec.js';
import { humanSizeWithPrecision } from '../../util/units.js';
import { inspectPortBindings, type ExposedPort } from '../network/ports.js';
import { networkMode } from './containerNetwork.js';
import { inspectMounts, volumeBinds } from './containerVolumes.js';

/** What `inspect` shows of a container, in podman 4.3's shape and key order. */
export interface InspectInput {
  record: ContainerRecord;
  imageDigest: string;
  graphRoot: string;
  driver: string;
  upperDir: string;
  workDir: string;
  mergedDir: string;
  lowerDirs: string[];
  userdata: string;
  bundle: string;
  conmonPidFile: string;
  ociSpec?: Record<string, unknown>;
  sizes?: { rootFsSize: number; rwSize: number };
  cgroupManager: string;
  /** containers.conf's pids_limit, the default when the spec sets none. */
  pidsLimit: number;
  /** The image's exposed ports, which inspect lists (unpublished ones as null). */
  imageExposed: ExposedPort[];
  defaultNetwork: string;
  /** State.Health (podman 4.3 shows it also as State.Healthcheck). */
  health?: { Status: string; FailingStreak: number; Log: unknown[] | null };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function containerInspect(input: InspectInput): Record<string, unknown> {
  const { config, state } = input.record;
  const spec = config.spec;
  const oci = input.ociSpec as
    | { process?: { capabilities?: { effective?: string[]; bounding?: string[] } }; linux?: { cgroupsPath?: string } }
    | undefined;
  const running = state.status === 'running' || state.status === 'paused';
  const network = spec.network ?? 'bridge';
  const exposed = [...input.imageExposed, ...(spec.expose ?? [])];
  const ports = inspectPortBindings(spec.portMappings ?? [], exposed);
  const defaultCaps = ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW'];
  return {
    Id: config.id,
    Created: config.created,
    Path: config.process.args[0] ?? '',
    Args: config.process.args.slice(1),
    State: {
      OciVersion: '1.0.2-dev',
      Status: state.status,
      Running: state.status === 'running',
      Paused: state.status === 'paused',
      Restarting: false,
      OOMKilled: state.oomKilled,
      Dead: false,
      Pid: running ? state.pid : 0,
      ConmonPid: running ? state.conmonPid : 0,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt || ZERO_TIME,
      FinishedAt: state.finishedAt || ZERO_TIME,
      Health: input.health ?? { Status: '', FailingStreak: 0, Log: null },
      Healthcheck: input.health ?? { Status: '', FailingStreak: 0, Log: null },
      CgroupPath: running ? (oci?.linux?.cgroupsPath ?? '') : '',
      CheckpointedAt: ZERO_TIME,
      RestoredAt: ZERO_TIME,
    },
    Image: config.imageId,
    ImageDigest: input.imageDigest,
    ImageName: config.imageName,
    Rootfs: '',
    Pod: spec.pod ?? '',
    ResolvConfPath: network === 'none' ? '' : `${input.userdata}/resolv.conf`,
    HostnamePath: `${input.userdata}/hostname`,
    HostsPath: `${input.userdata}/hosts`,
    StaticDir: input.userdata,
    OCIConfigPath: `${input.bundle}/config.json`,
    OCIRuntime: config.ociRuntime.name,
    ConmonPidFile: input.conmonPidFile,
    PidFile: `${input.bundle}/pidfile`,
    Name: config.name,
    RestartCount: state.restartCount,
    Driver: input.driver,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: spec.apparmorProfile ?? '',
    EffectiveCaps: oci?.process?.capabilities?.effective ?? null,
    BoundingCaps: oci?.process?.capabilities?.bounding ?? null,
    ExecIDs: [],
    GraphDriver: {
      Name: input.driver,
      Data: {
        LowerDir: input.lowerDirs.join(':'),
        ...(state.mountPoint ? { MergedDir: input.mergedDir } : {}),
        UpperDir: input.upperDir,
        WorkDir: input.workDir,
      },
    },
    ...(input.sizes ? { SizeRw: input.sizes.rwSize, SizeRootFs: input.sizes.rootFsSize } : {}),
    Mounts: inspectMounts(spec.mounts ?? [], input.graphRoot),
    Dependencies: [],
    NetworkSettings: networkSettings(input, ports),
    Namespace: '',
    IsInfra: spec.infra === true,
    IsService: false,
    Config: {
      Hostname: config.hostname,
      Domainname: '',
      User: config.process.user,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: config.process.terminal,
      OpenStdin: spec.stdin === true,
      StdinOnce: false,
      Env: config.process.env,
      Cmd: config.process.command.length ? config.process.command : null,
      Image: config.imageName,
      Volumes: null,
      WorkingDir: config.process.cwd,
      Entrypoint: config.process.entrypoint.join(' '),
      OnBuild: null,
      Labels: spec.labels && Object.keys(spec.labels).length ? spec.labels : null,
      Annotations: (input.ociSpec?.annotations as Record<string, string> | undefined) ?? spec.annotations ?? {},
      StopSignal: config.stopSignal,
      // Go's omitempty: a zero StartPeriod is left out.
      ...(spec.healthcheck ? { Healthcheck: Object.fromEntries(Object.entries(spec.healthcheck).filter(([k, v]) => !(k === 'StartPeriod' && !v))) } : {}),
      HealthcheckOnFailureAction: spec.healthOnFailure ?? 'none',
      CreateCommand: spec.createCommand ?? [],
      Umask: '0022',
      Timeout: 0,
      StopTimeout: config.stopTimeout,
      Passwd: true,
      sdNotifyMode: 'container',
    },
    HostConfig: {
      Binds: [
        ...(spec.mounts ?? []).filter((m) => m.type === 'bind').map((m) => `${m.source}:${m.destination}:${m.options.join(',')}`),
        ...volumeBinds(spec.mounts ?? []),
      ],
      CgroupManager: input.cgroupManager,
      CgroupMode: 'host',
      ContainerIDFile: '',
      LogConfig: {
        Type: config.logDriver,
        Config: null,
        Path: config.logDriver === 'k8s-file' ? config.logPath : '',
        Tag: spec.logTag ?? '',
        Size: spec.logSizeMax && spec.logSizeMax > 0 ? humanSizeWithPrecision(spec.logSizeMax, 4) : '0B',
      },
      NetworkMode: network,
      PortBindings: Object.fromEntries(Object.entries(ports).filter(([, v]) => v !== null)),
      RestartPolicy: { Name: spec.restartPolicy && spec.restartPolicy !== 'no' ? spec.restartPolicy : '', MaximumRetryCount: spec.restartRetries ?? 0 },
      AutoRemove: spec.remove === true,
      VolumeDriver: '',
      VolumesFrom: null,
      CapAdd: spec.capAdd ?? [],
      CapDrop: [...new Set([...defaultCaps, ...(spec.capDrop ?? [])])],
      Dns: spec.dns ?? [],
      DnsOptions: spec.dnsOptions ?? [],
      DnsSearch: spec.dnsSearch ?? [],
      ExtraHosts: spec.addHosts ?? [],
      GroupAdd: spec.groupAdd ?? [],
      IpcMode: 'shareable',
      Cgroup: '',
      Cgroups: spec.cgroups === 'disabled' ? 'disabled' : 'default',
      Links: null,
      OomScoreAdj: 0,
      PidMode: 'private',
      Privileged: spec.privileged === true,
      PublishAllPorts: spec.publishAll === true,
      ReadonlyRootfs: spec.readOnly === true,
      SecurityOpt: [],
      Tmpfs: Object.fromEntries((spec.mounts ?? []).filter((m) => m.type === 'tmpfs').map((m) => [m.destination, m.options.join(',')])),
      UTSMode: 'private',
      UsernsMode: spec.userns && spec.userns !== 'host' ? spec.userns : spec.idMappings ? 'private' : '',
      ShmSize: spec.shmSize ?? 65536000,
      Runtime: 'oci',
      ConsoleSize: [0, 0],
      Isolation: '',
      CpuShares: spec.resources?.cpuShares ?? 0,
      Memory: spec.resources?.memory ?? 0,
      NanoCpus: spec.resources?.cpus !== undefined ? Math.round(spec.resources.cpus * 1e9) : 0,
      CgroupParent: spec.cgroupParent ?? '',
      BlkioWeight: 0,
      BlkioWeightDevice: null,
      BlkioDeviceReadBps: null,
      BlkioDeviceWriteBps: null,
      BlkioDeviceReadIOps: null,
      BlkioDeviceWriteIOps: null,
      CpuPeriod: spec.resources?.cpus !== undefined ? 100000 : 0,
      CpuQuota: spec.resources?.cpus !== undefined ? Math.round(spec.resources.cpus * 100000) : 0,
      CpuRealtimePeriod: 0,
      CpuRealtimeRuntime: 0,
      CpusetCpus: spec.resources?.cpusetCpus ?? '',
      CpusetMems: '',
      Devices: (spec.devices ?? []).map((d) => ({ PathOnHost: d.source, PathInContainer: d.destination, CgroupPermissions: '' })),
      DiskQuota: 0,
      KernelMemory: 0,
      MemoryReservation: spec.resources?.memoryReservation ?? 0,
      MemorySwap: spec.resources?.memorySwap ?? (spec.resources?.memory !== undefined ? 2 * spec.resources.memory : 0),
      MemorySwappiness: 0,
      OomKillDisable: false,
      PidsLimit: spec.resources?.pidsLimit ?? input.pidsLimit,
      Ulimits: (spec.ulimits ?? []).map((u) => ({ Name: rlimitType(u.name) ?? u.name, Soft: u.soft, Hard: u.hard })),
      CpuCount: 0,
      CpuPercent: 0,
      IOMaximumIOps: 0,
      IOMaximumBandwidth: 0,
      CgroupConf: null,
    },
  };
}


interface EndpointFields {
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
}

/** One network's addresses from netavark's status: IPv4 and IPv6 apart, as Podman splits them. */
function endpoint(status: NetworkStatus | undefined): EndpointFields {
  const fields: EndpointFields = {
    EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '',
  };
  const iface = status ? Object.values(status.interfaces)[0] : undefined;
  if (!iface) return fields;
  fields.MacAddress = iface.mac_address;
  for (const subnet of iface.subnets ?? []) {
    const [ip = '', prefix = '0'] = subnet.ipnet.split('/');
    if (ip.includes(':')) {
      if (fields.GlobalIPv6Address) continue;
      fields.GlobalIPv6Address = ip;
      fields.GlobalIPv6PrefixLen = Number(prefix);
      fields.IPv6Gateway = subnet.gateway ?? '';
    } else if (!fields.IPAddress) {
      fields.IPAddress = ip;
      fields.IPPrefixLen = Number(prefix);
      fields.Gateway = subnet.gateway ?? '';
    }
  }
  return fields;
}

/** Podman 4.3's NetworkSettings: the basic fields filled only for a container alone on the default network. */
function networkSettings(input: InspectInput, ports: Record<string, unknown>): Record<string, unknown> {
  const { config, state } = input.record;
  const running = state.status === 'running' || state.status === 'paused';
  const status = running ? state.networkStatus : undefined;
  const names = networkMode(config.spec.network).kind === 'bridge' ? Object.keys(config.spec.networks ?? {}) : [];
  const alone = names.length === 1 && names[0] === input.defaultNetwork;
  const basic = alone ? endpoint(status?.[names[0]!]) : endpoint(undefined);
  const settings: Record<string, unknown> = {
    ...basic,
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: ports,
    SandboxKey: running ? (state.netns ?? '') : '',
  };
  if (names.length > 0) {
    settings.Networks = Object.fromEntries(
      names.map((name) => {
        const wish = config.spec.networks?.[name] ?? {};
        return [
          name,
          {
            ...endpoint(status?.[name]),
            NetworkID: name,
            DriverOpts: null,
            IPAMConfig: null,
            Links: null,
            Aliases: [...(wish.aliases ?? []), config.id.slice(0, 12)],
          },
        ];
      }),
    );
  }
  return settings;
}
