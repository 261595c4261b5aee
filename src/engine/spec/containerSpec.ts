/**
 * The one container spec (podman's SpecGenerator): what a user asked for, from
 * CLI flags, an API body or a Kubernetes pod. The engine turns it into a
 * container record and, at start, into an OCI runtime config.json.
 */
import type { PortMapping } from '../network/types.js';
import type { IdRangeMap } from '../../storage/tar/apply.js';
import type { IdMaps } from '../../storage/store.js';

export interface MountSpec {
  type: 'bind' | 'tmpfs' | 'volume';
  /** Host path for bind mounts; the volume's name for volumes (absent: a new anonymous volume). */
  source?: string;
  destination: string;
  /** mount(8)-style options: ro, rw, nosuid, nodev, noexec, size=..., mode=..., rbind, private... */
  options: string[];
}

/** `--secret NAME[,type=mount|env,target=...,uid=,gid=,mode=]`. */
export interface SecretUse {
  /** The secret's name as given (resolved to its id at create). */
  name: string;
  id?: string;
  type: 'mount' | 'env';
  /** mount: the path in the container (relative: under /run/secrets); env: the variable's name. */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

/** A container's wishes on one network (--network NAME:ip=...,mac=...,alias=..., --ip, --mac-address, --network-alias). */
export interface NetworkAttachment {
  ips?: string[];
  mac?: string;
  aliases?: string[];
  interfaceName?: string;
}

/** `--device HOST[:CONTAINER][:PERMISSIONS]`: a host device node (or every node under a host folder). */
export interface DeviceSpec {
  source: string;
  destination: string;
  /** The device cgroup access: some of r, w, m. */
  permissions: string;
}

export interface UlimitSpec {
  /** Without the RLIMIT_ prefix, lower case: nofile, nproc, core... */
  name: string;
  soft: number;
  hard: number;
}

export interface ResourceSpec {
  /** Bytes. */
  memory?: number;
  memoryReservation?: number;
  /** Bytes of memory+swap, -1 unlimited. */
  memorySwap?: number;
  /** Number of CPUs (fractional), mapped to CFS quota/period. */
  cpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
}

/** Docker/OCI image config's Healthcheck (durations in nanoseconds); Test ['NONE'] disables it. */
export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export type HealthOnFailure = 'none' | 'kill' | 'restart' | 'stop';

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface ContainerSpec {
  /** The image as the user named it. */
  image: string;
  name?: string;
  /** Replaces the image's CMD. */
  command?: string[];
  /** Replaces the image's ENTRYPOINT; [] clears it. */
  entrypoint?: string[];
  /** Added to (and overriding) the image's environment. */
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
  groupAdd?: string[];
  /** --userns: host (the engine's own namespace), keep-id[:uid=,gid=,size=], nomap or auto[:size=...]. */
  userns?: string;
  /** --uidmap/--gidmap (CONTAINER:HOST:SIZE, host ids as this engine sees them). */
  uidMap?: IdRangeMap[];
  gidMap?: IdRangeMap[];
  /** Settled at create: the maps of the container's own user namespace; absent when it has none. */
  idMappings?: IdMaps;
  hostname?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  stopSignal?: string;
  /** Seconds before stop sends SIGKILL. */
  stopTimeout?: number;
  terminal?: boolean;
  stdin?: boolean;
  /** Remove the container when it exits (--rm). */
  remove?: boolean;
  restartPolicy?: RestartPolicyName;
  restartRetries?: number;
  /** --health-*: the flags' healthcheck, merged at create with the image's (absent: the image's). */
  healthcheck?: HealthConfig;
  /** --no-healthcheck: none at all, not even the image's. */
  noHealthcheck?: boolean;
  healthOnFailure?: HealthOnFailure;
  logDriver?: 'k8s-file' | 'none' | 'passthrough';
  logPath?: string;
  /** --log-opt max-size: bytes after which conmon rotates the log. */
  logSizeMax?: number;
  /** --log-opt tag. */
  logTag?: string;
  mounts?: MountSpec[];
  /** --volumes-from CTR[:ro|rw]: that container's volumes and binds, at the same places. */
  volumesFrom?: string[];
  /** --secret: secrets given as a file (type mount) or an environment variable (type env). */
  secrets?: SecretUse[];
  readOnly?: boolean;
  /** With --read-only, whether /run, /tmp, /var/tmp get tmpfs (default true). */
  readOnlyTmpfs?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** `unconfined`, or the path of a seccomp profile. */
  seccompProfile?: string;
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  /** Extra paths to mask / unmask (`--security-opt mask=... unmask=...`). */
  mask?: string[];
  unmask?: string[];
  init?: boolean;
  initPath?: string;
  /**
   * The network mode: bridge (the default), none, host, private, container:ID
   * or ns:PATH. With bridge, `networks` says which networks (default: the
   * default network from containers.conf).
   */
  network?: string;
  networks?: Record<string, NetworkAttachment>;
  /** -p mappings as given (host_port 0: a random one, chosen at create). */
  portMappings?: PortMapping[];
  /** -P: publish every exposed port (the image's and --expose) on a random host port. */
  publishAll?: boolean;
  /** --expose: ports to add to the image's exposed ports. */
  expose?: Array<{ port: number; protocol: string; range: number }>;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host `name:ip` entries, written first into /etc/hosts. */
  addHosts?: string[];
  /** --no-hosts: no /etc/hosts from tspod; the image's stays. */
  noHosts?: boolean;
  resources?: ResourceSpec;
  ulimits?: UlimitSpec[];
  shmSize?: number;
  /** --device: host devices made available in the container. */
  devices?: DeviceSpec[];
  /** --sysctl: namespaced kernel parameters (net.*, fs.mqueue.*, the IPC ones of kernel.*). */
  sysctls?: Record<string, string>;
  cgroups?: 'enabled' | 'disabled' | 'no-conmon' | 'split';
  cgroupParent?: string;
  /** An OCI runtime name or path (runc, crun, /usr/bin/runc). */
  runtime?: string;
  pull?: 'always' | 'missing' | 'never' | 'newer';
  /** The pod to join: a name or id, or `new:NAME` to create it first (--pod). */
  pod?: string;
  /** Set by the engine on a pod's infra container. */
  infra?: boolean;
  /** The command line that created it, as podman records for inspect's Config.CreateCommand. */
  createCommand?: string[];
  /** --conmon-pidfile: an extra copy of conmon's PID (systemd units' PIDFile=). */
  conmonPidFile?: string;
}
