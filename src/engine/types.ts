/**
 * The engine interface: what the CLI and the API server call. Two
 * implementations: local (in-process) and remote (HTTP). Grouped by resource;
 * options and reports are plain data so they cross a socket unchanged.
 */
import type { Readable, Writable } from 'node:stream';

export interface Engine {
  containers: ContainersEngine;
  images: ImagesEngine;
  manifests: ManifestsEngine;
  networks: NetworksEngine;
  pods: PodsEngine;
  system: SystemEngine;
  volumes: VolumesEngine;
  secrets: SecretsEngine;
  /**
   * Remote engines only: a build run by the service on a context directory of
   * this machine (sent as a tar stream) and the Containerfile's text, its
   * output written to `output` as a local build prints it. A local build runs
   * the builder in this process instead.
   */
  remoteBuild?(
    context: { dir: string; containerfile: string },
    opts: RemoteBuildOptions,
    output: { stdout: Writable; stderr: Writable },
  ): Promise<{ id: string }>;
  close(): void;
}

export type { VolumesEngine, VolumeCreateOptions, VolumeInspectReport, VolumeRemoveReport, VolumeUsage } from './volumeTypes.js';
export type { SecretsEngine, SecretCreateOptions, SecretInfoReport, SecretRemoveReport } from './volumeTypes.js';
import type { VolumesEngine, SecretsEngine } from './volumeTypes.js';

/** What a remote build is asked for (Engine.remoteBuild). */
export interface RemoteBuildOptions {
  /** The Containerfile's name as the user gave it (in the context, or a path outside it). */
  containerfileName: string;
  /** Its path inside the context, when it is there (the ignore file beside it applies). */
  containerfileInContext?: string;
  ignoreFile?: string;
  tags: string[];
  target?: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  layers: boolean;
  squash: boolean;
  squashAll: boolean;
  pull: 'always' | 'missing' | 'never' | 'newer';
  format: 'oci' | 'docker';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  network?: string;
  jobs: number;
  quiet: boolean;
}


// ------------------------------------------------------------------ images

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  CreatedAt: string;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
  Names: string[];
  Digest: string;
  History: string[];
  Dangling: boolean;
  ReadOnly: boolean;
  Intermediate: boolean;
}

export interface ImageListOptions {
  all?: boolean;
  filters?: string[];
}

export interface ImageInspectReport {
  Id: string;
  Digest: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Config: Record<string, unknown>;
  Version: string;
  Author: string;
  Architecture: string;
  Os: string;
  Size: number;
  VirtualSize: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: string; Layers: string[] };
  Labels: Record<string, string> | null;
  Annotations: Record<string, string>;
  ManifestType: string;
  User: string;
  History: unknown[];
  NamesHistory: string[];
}

export interface ImageHistoryEntry {
  id: string;
  created: number;
  /** The timestamp as the image config has it (nanoseconds kept). */
  createdRaw: string;
  createdBy: string;
  size: number;
  comment: string;
  tags: string[];
}

export interface ImageRemoveReport {
  untagged: string[];
  deleted: string[];
  /** Per-name errors; the CLI prints them and exits non-zero. */
  errors: Array<{ name: string; error: Error }>;
}

export interface ImageLoadOptions {
  /** An archive stream, or `directory`: an oci-dir or docker-dir on this machine. */
  input?: Readable;
  directory?: string;
  progress?: (line: string) => void;
}

export interface ImageSaveOptions {
  format: 'docker-archive' | 'oci-archive' | 'oci-dir' | 'docker-dir';
  /** More names to record for the (single) image, as podman save without -m. */
  additionalTags?: string[];
  progress?: (line: string) => void;
  output: { path?: string; stream?: Writable };
}

export type ImageFilesTarget = { type: 'tar'; out: NodeJS.WritableStream } | { type: 'local'; dir: string };

export interface ImageImportOptions {
  input: Readable;
  reference?: string;
  changes?: string[];
  message?: string;
  os?: string;
  arch?: string;
  variant?: string;
}

export interface ImageTreeNode {
  id: string;
  size: number;
  tags: string[];
}

export interface ImageTreeReport {
  image: ImageSummary;
  /** Layers bottom first, with the images whose top layer each one is. */
  layers: Array<{ id: string; size: number; images: Array<{ id: string; tags: string[] }> }>;
}

export interface RegistryAccessOptions {
  /** --tls-verify; undefined: registries.conf decides (insecure registries skip it). */
  tlsVerify?: boolean;
  certDir?: string;
  authFile?: string;
  /**
   * --creds USER[:PASS]; `identityToken` (Docker's identitytoken, an OAuth2 refresh token) is
   * exchanged for the registry's bearer tokens in place of the password.
   */
  credentials?: { username: string; password: string; identityToken?: string };
}

export interface ImagePullOptions extends RegistryAccessOptions {
  /** os/arch[/variant] from a manifest list; default the host's. */
  platform?: { os?: string; arch?: string; variant?: string };
  allTags?: boolean;
  policy?: 'always' | 'missing' | 'never' | 'newer';
  /** Progress lines for a terminal (`Copying blob sha256:... done`); absent with -q or when piped. */
  progress?: (line: string) => void;
  /** Bytes copied of a blob, named by the short digest its progress lines use (for bars). */
  blobProgress?: (blob: string, done: number, total: number) => void;
  /** Picks one of several registries for a short name (Podman's terminal prompt). */
  chooseShortName?: (name: string, candidates: string[]) => Promise<string>;
}

export interface ImagePushOptions extends RegistryAccessOptions {
  format?: 'oci' | 'v2s2';
  compressionFormat?: 'gzip' | 'zstd';
  /** --compress: compress layers for dir: destinations (registries always get compressed blobs). */
  compress?: boolean;
  /** --digestfile: where to write the pushed manifest's digest. */
  digestFile?: string;
  removeSignatures?: boolean;
  progress?: (line: string) => void;
  /** Bytes read of a layer, named by the short digest its progress lines use (for bars). */
  blobProgress?: (blob: string, done: number, total: number) => void;
}

export interface ImageSearchResult {
  Index: string;
  Name: string;
  Description: string;
  Stars: number;
  Official: string;
  Automated: string;
  Tag: string;
}

export interface ImagesEngine {
  /** Pulls `reference` (a name, docker://..., or by digest); resolves with the pulled image ids. */
  pull(reference: string, opts: ImagePullOptions): Promise<{ ids: string[] }>;
  /** Pushes a local image to a registry (docker://, or a bare name) or to oci:, oci-archive:, docker-archive:, dir:. */
  push(source: string, destination: string | undefined, opts: ImagePushOptions): Promise<{ digest: string; /** The manifest's size, for registries. */ size?: number }>;
  search(term: string, opts: RegistryAccessOptions & { limit?: number; listTags?: boolean; filters?: string[] }): Promise<ImageSearchResult[]>;
  /**
   * Checks credentials against a registry (`key` is HOST[:PORT][/REPOSITORY]); stores nothing.
   * Refused credentials are an InvalidCredentialsError.
   */
  checkLogin(key: string, opts: RegistryAccessOptions & { credentials: { username: string; password: string } }): Promise<void>;
  list(opts: ImageListOptions): Promise<ImageSummary[]>;
  inspect(names: string[]): Promise<Array<ImageInspectReport | Error>>;
  history(name: string): Promise<ImageHistoryEntry[]>;
  exists(name: string): Promise<boolean>;
  tag(name: string, newNames: string[]): Promise<void>;
  untag(name: string, names: string[]): Promise<void>;
  remove(names: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<ImageRemoveReport>;
  prune(opts: { all?: boolean; filters?: string[] }): Promise<Array<{ id: string; size: number }>>;
  load(opts: ImageLoadOptions): Promise<{ names: string[] }>;
  save(names: string[], opts: ImageSaveOptions): Promise<void>;
  import(opts: ImageImportOptions): Promise<{ id: string }>;
  tree(name: string): Promise<ImageTreeReport>;
  /** image mount: read-only root filesystems; no names and no all: the mounted ones. */
  mount(names: string[], opts?: { all?: boolean }): Promise<Array<{ name: string; id?: string; names?: string[]; path?: string; error?: Error }>>;
  unmount(names: string[], opts?: { all?: boolean; force?: boolean }): Promise<Array<{ name: string; id?: string; error?: Error }>>;
  /** build --output: the image's files as a tar stream, or written into a directory of this machine. */
  exportFiles(name: string, target: ImageFilesTarget): Promise<void>;
  /** image diff: what the image's top layer changes over the layers below it. */
  diff(name: string): Promise<FileChange[]>;
  /** Build: the base's layers under a new config and one more (empty-layer) history entry. */
  derive(base: string | null, opts: ImageDeriveOptions): Promise<{ id: string }>;
  /**
   * Build cache: an image made from `parent` (null: scratch) by one step whose
   * history says `createdBy`, with the parent's whole history before it.
   */
  findBuildStep(parent: string | null, createdBy: string): Promise<string | undefined>;
}

// ------------------------------------------------------------------ manifest lists

export interface ManifestAddOptions extends RegistryAccessOptions {
  /** Add every instance when the image is itself a list. */
  all?: boolean;
  arch?: string;
  os?: string;
  variant?: string;
  osVersion?: string;
  features?: string[];
  /** KEY=VALUE. */
  annotations?: string[];
}

export interface ManifestAnnotateOptions {
  arch?: string;
  os?: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
  features?: string[];
  /** KEY=VALUE. */
  annotations?: string[];
}

export interface ManifestPushOptions extends RegistryAccessOptions {
  /** Push the list's local instances first (default true, as in Podman). */
  all?: boolean;
  format?: 'oci' | 'v2s2';
  compressionFormat?: 'gzip' | 'zstd';
  digestFile?: string;
  /** Remove the local list after a successful push. */
  rm?: boolean;
  removeSignatures?: boolean;
  progress?: (line: string) => void;
}

export interface ManifestsEngine {
  /** Creates a list (or with `amend` reuses one of that name) and adds images; resolves with its id. */
  create(name: string, images: string[], opts: RegistryAccessOptions & { all?: boolean; amend?: boolean }): Promise<string>;
  /** Adds local images or docker:// references; resolves with the list id. */
  add(list: string, images: string[], opts: ManifestAddOptions): Promise<string>;
  annotate(list: string, digest: string, opts: ManifestAnnotateOptions): Promise<string>;
  /** The list as Podman shows it (4-space indented JSON); a name that is no local list is read from its registry. */
  inspect(name: string, opts: RegistryAccessOptions): Promise<{ json: string; warning?: string }>;
  /** Removes an instance; resolves with the list id. */
  removeInstance(list: string, digest: string): Promise<string>;
  /** Removes lists (never images). */
  rm(names: string[]): Promise<ImageRemoveReport>;
  exists(name: string): Promise<boolean>;
  /** Pushes the instances, then the list; resolves with the list's digest. */
  push(list: string, destination: string | undefined, opts: ManifestPushOptions): Promise<{ digest: string }>;
}

// ------------------------------------------------------------------ system

export interface SystemInfo {
  host: Record<string, unknown>;
  store: Record<string, unknown>;
  registries: Record<string, unknown>;
  plugins: Record<string, unknown>;
  version: Record<string, unknown>;
}

export interface SystemDfReport {
  images: Array<{ id: string; repository: string; tag: string; created: number; size: number; sharedSize: number; uniqueSize: number; containers: number }>;
  /** Bytes of all image layers, each counted once. */
  imagesSize: number;
  /** Bytes of the layers that no image used by a container needs. */
  imagesReclaimable: number;
  containers: Array<{ id: string; image: string; command: string; localVolumes: number; size: number; created: number; status: string; names: string; running: boolean }>;
  volumes: Array<{ name: string; links: number; size: number }>;
}

export interface SystemPruneOptions {
  all?: boolean;
  volumes?: boolean;
  filters?: string[];
}

export interface SystemPruneReport {
  pods: string[];
  containers: string[];
  volumes: string[];
  networks: string[];
  images: string[];
  reclaimed: number;
  errors: string[];
}

export interface SystemCheckOptions {
  /** Skip the slow checks (layer contents). */
  quick?: boolean;
  repair?: boolean;
  /** With repair: also remove containers whose storage is damaged. */
  force?: boolean;
}

export interface SystemCheckReport {
  /** What was found, one line each (e.g. `layer abc: directory missing`). */
  problems: Array<{ what: string; repaired: boolean }>;
}

export interface SystemEngine {
  info(): Promise<SystemInfo>;
  df(): Promise<SystemDfReport>;
  prune(opts: SystemPruneOptions): Promise<SystemPruneReport>;
  /** Removes every container, pod, image, network, volume and secret tspod made, then its storage. */
  reset(): Promise<void>;
  /** Containers get `runtime` as their OCI runtime (system migrate --new-runtime). */
  migrate(opts: { newRuntime?: string }): Promise<void>;
  /** Runs a command in the rootless user namespace with CONTAINERS_GRAPHROOT/RUNROOT set; resolves with its exit code. */
  unshare(command: string[]): Promise<number>;
  check(opts: SystemCheckOptions): Promise<SystemCheckReport>;
  /** Stored and (when query.stream) new events, oldest first; see engine/local/events.ts. */
  events(query: import('./eventTypes.js').EventsQuery, onEvent: (e: import('./eventTypes.js').EventRecord) => void, signal?: AbortSignal): Promise<void>;
}

// -------------------------------------------------------------- containers

export type ContainerStatus = 'created' | 'initialized' | 'running' | 'paused' | 'stopped' | 'exited' | 'removing';

/** One row of `ps`, shaped like podman's `ps --format json` entries. */
export interface ContainerSummary {
  AutoRemove: boolean;
  Command: string[] | null;
  /** Unix seconds. */
  Created: number;
  /** Created as podman prints it: Go's time.Time String(). */
  CreatedAt: string;
  Exited: boolean;
  /** Unix seconds, 0 while it never exited. */
  ExitedAt: number;
  ExitCode: number;
  Id: string;
  Image: string;
  ImageID: string;
  IsInfra: boolean;
  Labels: Record<string, string> | null;
  Mounts: string[];
  Names: string[];
  Namespaces: Record<string, string>;
  Networks: string[];
  Pid: number;
  /** The pod's full id, '' outside a pod. */
  Pod: string;
  PodName: string;
  Ports: Array<{ host_ip: string; container_port: number; host_port: number; range: number; protocol: string }> | null;
  /** With `ps --size` only. */
  Size: { rootFsSize: number; rwSize: number } | null;
  /** Unix seconds, 0 while it never started. */
  StartedAt: number;
  /** podman's State: created, running, paused, exited, stopped, configured... */
  State: string;
  /** The human status column: `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`. */
  Status: string;
}

export interface ContainerListOptions {
  all?: boolean;
  /** `key=value` filters as the CLI takes them. */
  filters?: string[];
  /** Only the last N created (podman's -n / --last); -l is 1. */
  last?: number;
  size?: boolean;
  /** Also the build's working containers (ps --external), hidden otherwise as Podman hides Buildah's. */
  external?: boolean;
}

/** The label that marks a build's working container. */
export const BUILD_CONTAINER_LABEL = 'io.tspod.build.working-container';

/** The caller's end of an attached container: the CLI's stdio, or an API connection. */
export interface AttachStreams {
  /** Present with -i: forwarded to the container's stdin; its end closes the container's stdin. */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  /** A key sequence (`ctrl-p,ctrl-q`) that detaches instead of being sent; '' disables it. */
  detachKeys?: string;
  /** With a terminal: its size now, and a way to hear of changes. */
  terminal?: { size(): { rows: number; columns: number } | undefined; onResize(listener: () => void): void };
  /** Forward SIGINT/SIGTERM/... received by this process to the container (--sig-proxy). */
  sigProxy?: boolean;
  /**
   * startAttached: called once the container is running (an API start request answers then);
   * exec: called once the process runs, with its pid on the host (exec inspect's Pid).
   */
  onStarted?: (pid?: number) => void;
}

export interface AttachResult {
  /** The container's exit code; undefined when the caller detached. */
  exitCode?: number;
  detached: boolean;
}

/** One container's outcome in a multi-container command (stop a b c). */
export interface ContainerActionReport {
  /** The name or id as the user gave it. */
  name: string;
  id?: string;
  error?: Error;
}

export interface CheckpointOptions {
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  /** Write the checkpoint, the config and the writable layer to this tar file. */
  export?: string;
  /** Keep the checkpoint image after a restore. */
  keep?: boolean;
}

export interface RestoreOptions {
  tcpEstablished?: boolean;
  fileLocks?: boolean;
  keep?: boolean;
}

export interface ContainerRemoveOptions {
  force?: boolean;
  all?: boolean;
  ignore?: boolean;
  volumes?: boolean;
  depend?: boolean;
  /** Seconds to wait for the stop signal before SIGKILL (rm -f of a running container). */
  timeout?: number;
}

export interface ContainerLogsOptions {
  follow?: boolean;
  tail?: number;
  since?: Date;
  until?: Date;
  timestamps?: boolean;
  /** Prefix each line with the container's name (several containers, --names). */
  names?: boolean;
  /** Ends a follow early (the API's client went away). */
  signal?: AbortSignal;
}

export interface ExecOptions {
  command: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  tty?: boolean;
  interactive?: boolean;
  detach?: boolean;
  privileged?: boolean;
}

export interface ContainerCopyOptions {
  /** --archive (default true): keep owners; false: files belong to the destination's root/user. */
  archive?: boolean;
  /** --overwrite: replace a directory by a non-directory and vice versa. */
  overwrite?: boolean;
}

export interface ContainerCommitOptions {
  reference?: string;
  changes?: string[];
  message?: string;
  author?: string;
  pause?: boolean;
  format?: 'oci' | 'docker';
  squash?: boolean;
  /** Build --squash-all: the container's whole root filesystem as the image's only layer. */
  squashAll?: boolean;
  /** Build --annotation: the OCI manifest's annotations. */
  annotations?: Record<string, string>;
  /** Build --squash: the layers above this image (''  for scratch) and the changes, as one layer. */
  squashSince?: string;
  includeVolumes?: boolean;
  /** Build steps: the image's `config` exactly (not the container's settings; no changes applied). */
  imageConfig?: import('../image/oci.js').ContainerConfig;
  /** Build steps: the new history entry's created_by (the cache key of the step). */
  createdBy?: string;
}

/** A build step that only changes the config: a new image of the base's layers (null: scratch). */
export interface ImageDeriveOptions {
  config: import('../image/oci.js').ContainerConfig;
  /** The new history entry's created_by; absent: no entry (a build's empty scratch base). */
  createdBy?: string;
  /** The config's created time (default now); a fixed one gives the same image id every time. */
  created?: string;
  author?: string;
  format?: 'oci' | 'docker';
  annotations?: Record<string, string>;
  /** For scratch: the platform of the new image (default: this host's). */
  os?: string;
  architecture?: string;
  variant?: string;
}

export interface ContainerPathStat {
  /** The last component of the path as given. */
  name: string;
  size: number;
  /** st_mode: file type and permission bits. */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  /** For a symlink: the container path it leads to, resolved inside the container; else ''. */
  linkTarget: string;
}

/** A path the container changed: A added, C changed, D deleted. */
export interface FileChange {
  path: string;
  kind: 'A' | 'C' | 'D';
}

export interface ContainersEngine {
  create(spec: import('./spec/containerSpec.js').ContainerSpec): Promise<{ id: string; name: string; warnings: string[] }>;
  start(names: string[], opts?: { all?: boolean; filters?: string[] }): Promise<ContainerActionReport[]>;
  /**
   * Starts a container attached to the streams and waits for it (run without -d, start -a);
   * `streams.onStarted` is called once it runs (the API answers its start request then).
   */
  startAttached(nameOrId: string, streams: AttachStreams): Promise<AttachResult>;
  attach(nameOrId: string, streams: AttachStreams): Promise<AttachResult>;
  init(names: string[], opts?: { all?: boolean }): Promise<ContainerActionReport[]>;
  /** `signal` replaces the container's stop signal for this stop (Docker's `stop -s`). */
  stop(names: string[], opts?: { timeout?: number; all?: boolean; ignore?: boolean; signal?: string }): Promise<ContainerActionReport[]>;
  restart(names: string[], opts?: { timeout?: number; all?: boolean; running?: boolean; signal?: string }): Promise<ContainerActionReport[]>;
  kill(names: string[], opts?: { signal?: string; all?: boolean }): Promise<ContainerActionReport[]>;
  pause(names: string[], opts?: { all?: boolean }): Promise<ContainerActionReport[]>;
  unpause(names: string[], opts?: { all?: boolean }): Promise<ContainerActionReport[]>;
  remove(names: string[], opts?: ContainerRemoveOptions): Promise<ContainerActionReport[]>;
  list(opts: ContainerListOptions): Promise<ContainerSummary[]>;
  inspect(names: string[], opts?: { size?: boolean }): Promise<Array<Record<string, unknown> | Error>>;
  logs(names: string[], opts: ContainerLogsOptions, out: { stdout: Writable; stderr: Writable }): Promise<void>;
  /** Resolves per container when one of the conditions holds (default: stopped/exited), with its exit code. */
  wait(names: string[], opts?: { conditions?: string[]; ignore?: boolean; signal?: AbortSignal }): Promise<Array<ContainerActionReport & { exitCode?: number }>>;
  exec(nameOrId: string, opts: ExecOptions, streams: AttachStreams): Promise<number>;
  top(nameOrId: string, descriptors: string[]): Promise<string[][]>;
  /** A counter sample of each running container named (or all with `all`, the newest with `latest`); not running: an error unless `all`. */
  stats(names: string[], opts?: { all?: boolean; latest?: boolean }): Promise<import('./statsTypes.js').ContainerStatsReport[]>;
  rename(nameOrId: string, newName: string): Promise<void>;
  exists(nameOrId: string): Promise<boolean>;
  /** `healthcheck run`: runs the container's healthcheck once; 'unhealthy' when this check failed. */
  healthcheck(nameOrId: string): Promise<'starting' | 'healthy' | 'unhealthy'>;
  prune(opts?: { filters?: string[] }): Promise<Array<{ id: string; size: number; error?: Error }>>;
  /** conmon's exit command: record the exit, unmount, and honour --rm and restart policies. */
  cleanup(names: string[], opts?: { remove?: boolean }): Promise<ContainerActionReport[]>;
  checkpoint(names: string[], opts: CheckpointOptions & { all?: boolean }): Promise<ContainerActionReport[]>;
  /** With `import`: a new container from an exported checkpoint (names are then unused). */
  restore(names: string[], opts: RestoreOptions & { all?: boolean; import?: string; name?: string }): Promise<ContainerActionReport[]>;
  /** cp CTR:SRC DEST: to a host path, or as a tar archive on a stream (`-`). */
  copyFrom(nameOrId: string, path: string, destination: { hostPath: string } | { stream: NodeJS.WritableStream }, opts?: ContainerCopyOptions): Promise<void>;
  /** cp SRC CTR:DEST: from a host path, or a tar archive on a stream (`-`). */
  copyTo(nameOrId: string, path: string, source: { hostPath: string } | { stream: import('node:stream').Readable }, opts?: ContainerCopyOptions): Promise<void>;
  /** What is at a path in the container (the last component not followed), for the Docker API's archive routes. */
  stat(nameOrId: string, path: string): Promise<ContainerPathStat>;
  /** Resolves with the new image's id and its layers' diff ids (bottom first). */
  commit(nameOrId: string, opts: ContainerCommitOptions): Promise<{ id: string; layers: string[] }>;
  diff(nameOrId: string): Promise<FileChange[]>;
  /** export: the container's root filesystem as a tar archive. */
  export(nameOrId: string, out: NodeJS.WritableStream): Promise<void>;
  /** mount: the merged root filesystem paths; no names and no all: the mounted ones. */
  mount(names: string[], opts?: { all?: boolean }): Promise<Array<ContainerActionReport & { path?: string }>>;
  unmount(names: string[], opts?: { all?: boolean; force?: boolean }): Promise<ContainerActionReport[]>;
}

// ---------------------------------------------------------------- networks

export type { NetworkConfig, PortMapping } from './network/types.js';

export interface NetworkCreateOptions {
  name?: string;
  /** bridge (default) or macvlan. */
  driver?: string;
  /** --subnet, several allowed; each may pair with the --gateway and --ip-range at the same position. */
  subnets?: string[];
  gateways?: string[];
  ipRanges?: string[];
  internal?: boolean;
  disableDns?: boolean;
  ipv6?: boolean;
  labels?: Record<string, string>;
  /** -o driver options: mtu, vlan, parent (macvlan), isolate, ... */
  options?: Record<string, string>;
  /** --interface-name: the bridge name. */
  interfaceName?: string;
  /** --ignore: succeed when the network already exists. */
  ignore?: boolean;
  /** --ipam-driver: host-local (default) or none. */
  ipamDriver?: string;
}

export interface NetworkRemoveReport {
  name: string;
  error?: Error;
}

export interface NetworkConnectOptions {
  ips?: string[];
  mac?: string;
  aliases?: string[];
}

export interface NetworksEngine {
  create(opts: NetworkCreateOptions): Promise<import('./network/types.js').NetworkConfig>;
  list(opts?: { filters?: string[] }): Promise<Array<import('./network/types.js').NetworkConfig>>;
  inspect(names: string[]): Promise<Array<import('./network/types.js').NetworkConfig | Error>>;
  exists(name: string): Promise<boolean>;
  /** The network containers join when they name none (containers.conf default_network). */
  defaultName(): Promise<string>;
  /** -f removes the containers using it first (stopping them within timeout seconds). */
  remove(names: string[], opts?: { force?: boolean; timeout?: number }): Promise<NetworkRemoveReport[]>;
  /** Removes the networks no container uses (never the default one); returns their names. */
  prune(opts?: { filters?: string[] }): Promise<string[]>;
  connect(network: string, container: string, opts?: NetworkConnectOptions): Promise<void>;
  disconnect(network: string, container: string, opts?: { force?: boolean }): Promise<void>;
  /** Re-applies the firewall rules of running containers (after a firewall flush). */
  reload(containers: string[], opts?: { all?: boolean }): Promise<ContainerActionReport[]>;
}

// -------------------------------------------------------------------- pods

export interface PodCreateOptions {
  name?: string;
  labels?: Record<string, string>;
  /** The pod's hostname (shared through the UTS namespace); default: the pod's name. */
  hostname?: string;
  /** --infra (default true) / --no-infra. */
  infra?: boolean;
  infraImage?: string;
  infraCommand?: string[];
  infraName?: string;
  /** Namespaces the containers share with the infra container: ipc, net, uts (default), pid, cgroup, none. */
  share?: string[];
  /** --share-parent (default true): the pod's cgroup is its containers' parent. */
  shareParent?: boolean;
  cgroupParent?: string;
  /** The infra container's networking: --network, -p, --dns, --add-host... as a container spec's fields. */
  network?: Pick<
    import('./spec/containerSpec.js').ContainerSpec,
    'network' | 'networks' | 'portMappings' | 'publishAll' | 'expose' | 'dns' | 'dnsSearch' | 'dnsOptions' | 'addHosts' | 'noHosts'
  >;
  exitPolicy?: 'continue' | 'stop';
  createCommand?: string[];
  /** --infra-conmon-pidfile: where the infra's conmon PID is written when it starts. */
  infraConmonPidFile?: string;
}

/** One row of `pod ps --format json`, in Podman 4.3's shape. */
export interface PodSummary {
  Cgroup: string;
  Containers: Array<{ Id: string; Names: string; Status: string }>;
  Created: string;
  Id: string;
  InfraId: string;
  Name: string;
  Namespace: string;
  Networks: string[];
  /** Created, Running, Paused, Stopped, Exited, Degraded. */
  Status: string;
  Labels: Record<string, string>;
}

export interface PodActionReport {
  /** The name or id as the user gave it. */
  name: string;
  id?: string;
  error?: Error;
  /** Containers of the pod that failed the action (the pod's own error stays unset). */
  containerErrors?: Array<{ id: string; error: Error }>;
}

/** One container's line of `pod stats`. */
export interface PodStatsEntry {
  Pod: string;
  CID: string;
  Name: string;
  CPU: string;
  MemUsage: string;
  MemUsageBytes: string;
  Mem: string;
  NetIO: string;
  BlockIO: string;
  PIDS: string;
}

export interface PodsEngine {
  create(opts: PodCreateOptions): Promise<{ id: string; name: string }>;
  start(names: string[], opts?: { all?: boolean; latest?: boolean }): Promise<PodActionReport[]>;
  stop(names: string[], opts?: { all?: boolean; latest?: boolean; timeout?: number; ignore?: boolean }): Promise<PodActionReport[]>;
  restart(names: string[], opts?: { all?: boolean; latest?: boolean }): Promise<PodActionReport[]>;
  kill(names: string[], opts?: { all?: boolean; latest?: boolean; signal?: string }): Promise<PodActionReport[]>;
  pause(names: string[], opts?: { all?: boolean; latest?: boolean }): Promise<PodActionReport[]>;
  unpause(names: string[], opts?: { all?: boolean; latest?: boolean }): Promise<PodActionReport[]>;
  /** -f stops and removes the containers first; without it a pod with containers other than infra running is refused. */
  remove(names: string[], opts?: { all?: boolean; latest?: boolean; force?: boolean; ignore?: boolean; timeout?: number }): Promise<PodActionReport[]>;
  list(opts?: { filters?: string[] }): Promise<PodSummary[]>;
  /** Podman 4.3's `pod inspect` document per pod. */
  inspect(names: string[], opts?: { latest?: boolean }): Promise<Array<Record<string, unknown> | Error>>;
  exists(name: string): Promise<boolean>;
  /** Removes every pod whose containers are all stopped (or that has none); returns their ids. */
  prune(): Promise<PodActionReport[]>;
  /** `top` over every container of the pod: rows with the descriptors' headers first. */
  top(name: string, descriptors: string[], opts?: { latest?: boolean }): Promise<string[][]>;
  stats(names: string[], opts?: { all?: boolean; latest?: boolean }): Promise<PodStatsEntry[]>;
  /** The logs of the pod's containers (or the one named by `container`), each line prefixed with its container's name with --names. */
  logs(name: string, opts: ContainerLogsOptions & { container?: string }, out: { stdout: Writable; stderr: Writable }): Promise<void>;
}
