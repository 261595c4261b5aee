/**
 * generate kube: Kubernetes YAML (Pod, Deployment, DaemonSet, Job, Service,
 * PersistentVolumeClaim) from pods, containers and volumes, read through the
 * engine's inspect documents so it works the same locally and remotely.
 */
import { statSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import type { Container, ContainerPort, EnvVar, PersistentVolumeClaim, Pod, PodSpec, ResourceRequirements, SecurityContext, Service, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Engine } from '../engine/types.js';
import { DEFAULT_CAPABILITIES } from '../config/containersConf.js';
import { InvalidArgumentError, TspodError } from '../util/errors.js';
import { kubeYamlText } from './yamlOutput.js';
import { INFRA_NAME_ANNOTATION } from './names.js';

export type KubeKind = 'pod' | 'deployment' | 'daemonset' | 'job';
export const KUBE_KINDS: readonly KubeKind[] = ['pod', 'deployment', 'daemonset', 'job'];

export interface GenerateKubeOptions {
  service?: boolean;
  type?: KubeKind;
  /** Deployment replicas; written only above 1, as Kubernetes defaults to 1. */
  replicas?: number;
  /** Keep Podman's reserved annotations (io.podman.annotations.*), which Kubernetes refuses. */
  podmanOnly?: boolean;
  version: string;
  now: Date;
}

/** An inspect document from the engine. */
type Doc = Record<string, unknown>;
type Obj = Record<string, unknown>;
type Workload = Pod | Deployment | DaemonSet | Job;
/** kubernetes-types marks every field readonly; these objects are built up here. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The env every container gets without asking, which the YAML leaves out. */
const DEFAULT_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  TERM: 'xterm',
  container: 'podman',
  HOME: '/root',
};

const RESERVED_ANNOTATION_PREFIXES = ['io.podman.annotations.', 'io.kubernetes.cri-o.', 'io.container.manager', 'org.opencontainers.image.stopSignal'];

export async function generateKube(engine: Engine, names: string[], opts: GenerateKubeOptions): Promise<string> {
  if (names.length === 0) throw new InvalidArgumentError('generate kube needs at least one container, pod or volume: give its name or ID');
  const type = opts.type ?? 'pod';
  if ((opts.replicas ?? 1) !== 1 && type !== 'deployment') {
    throw new InvalidArgumentError('--replicas can only be set when --type is set to deployment');
  }
  const pods: Doc[] = [];
  const ctrs: Doc[] = [];
  const vols: Doc[] = [];
  for (const name of names) {
    const [ctr] = await engine.containers.inspect([name]);
    if (ctr && !(ctr instanceof Error)) {
      if (ctr.IsInfra) throw new InvalidArgumentError(`${name} is the infra container of a pod: generate kube for its pod instead`);
      ctrs.push(ctr);
      continue;
    }
    const [pod] = await engine.pods.inspect([name]);
    if (pod && !(pod instanceof Error)) {
      pods.push(pod);
      continue;
    }
    const [vol] = await engine.volumes.inspect([name]);
    if (vol && !(vol instanceof Error)) {
      vols.push(vol as unknown as Doc);
      continue;
    }
    throw new TspodError(`name or ID "${name}" not found: give an existing container, pod or volume`);
  }

  const created = opts.now.toISOString().replace(/\.\d+Z$/, 'Z');
  const notes: string[] = [];
  const head: Array<PersistentVolumeClaim | Service> = [];
  const body: Workload[] = [];
  for (const vol of vols) head.push(pvcFromVolume(vol, created));
  const images = new ImageCache(engine);
  for (const podDoc of pods) {
    const { pod, ports, sharesDefault } = await podFromPod(engine, images, podDoc, created, opts);
    if (!sharesDefault) notes.push(SHARING_NOTE);
    body.push(ofType(pod, type, opts));
    if (opts.service) head.push(serviceFor(pod, ports));
  }
  if (ctrs.length > 0) {
    const pod = await podFromContainers(images, ctrs, created, opts);
    if (pod.spec?.volumes?.length) notes.push(SELINUX_NOTE);
    body.push(ofType(pod, type, opts));
    if (opts.service) head.push(serviceFor(pod, containerPortsOf(pod)));
  }
  const header = `# Save the output of this file and use kubectl create -f to import\n# it into Kubernetes.\n#\n# Created with tspod-${opts.version}\n`;
  return header + [...new Set(notes)].join('') + [...head, ...body].map((o) => kubeYamlText(o as unknown as Obj)).join('---\n');
}

const SHARING_NOTE = `
# NOTE: The namespace sharing for a pod has been modified by the user and is not the same as the
# default settings for kubernetes. This can lead to unexpected behavior when running the generated
# kube yaml in a kubernetes cluster.
`;

const SELINUX_NOTE = `
# NOTE: If you generated this yaml from an unprivileged and rootless tspod container on an SELinux
# enabled system, check the tspod generate kube man page for steps to follow to ensure that your pod/container
# has the right permissions to access the volumes added.
`;

class ImageCache {
  private readonly docs = new Map<string, Doc | undefined>();
  constructor(private readonly engine: Engine) {}
  async config(ref: string): Promise<Obj> {
    if (!this.docs.has(ref)) {
      const [doc] = await this.engine.images.inspect([ref]);
      this.docs.set(ref, doc instanceof Error || !doc ? undefined : (doc as unknown as Doc));
    }
    return ((this.docs.get(ref)?.Config ?? {}) as Obj) ?? {};
  }
}

/** Kubernetes object names: no underscores. */
const kubeName = (name: string) => name.replaceAll('_', '');

function pvcFromVolume(vol: Doc, created: string): PersistentVolumeClaim {
  const annotations: Record<string, string> = { 'volume.podman.io/driver': String(vol.Driver ?? 'local') };
  const options = (vol.Options ?? {}) as Record<string, string>;
  const keys: Record<string, string> = { o: 'mount-options', device: 'device', type: 'type', UID: 'uid', GID: 'gid', uid: 'uid', gid: 'gid' };
  for (const [k, v] of Object.entries(options)) if (keys[k]) annotations[`volume.podman.io/${keys[k]}`] = v;
  const labels = vol.Labels as Record<string, string> | undefined;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { annotations, creationTimestamp: created, ...(labels && Object.keys(labels).length ? { labels } : {}), name: String(vol.Name) },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

/** `80/tcp: [{HostPort: "8080"}]` -> containerPort/hostPort entries (hostPort left out for --service, as Podman). */
function containerPortsFromBindings(bindings: Record<string, PortBinding[] | null> | undefined, withHostPort: boolean): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    for (const b of list ?? [{}]) {
      const entry: Mutable<ContainerPort> = { containerPort: Number(port) };
      if (b.HostIp) entry.hostIP = b.HostIp;
      if (withHostPort && b.HostPort) entry.hostPort = Number(b.HostPort);
      if (proto !== 'tcp') entry.protocol = proto.toUpperCase();
      out.push(entry);
    }
  }
  return out;
}

async function podFromPod(engine: Engine, images: ImageCache, podDoc: Doc, created: string, opts: GenerateKubeOptions): Promise<{ pod: Pod; ports: ContainerPort[]; sharesDefault: boolean }> {
  const infraId = podDoc.InfraContainerID as string | undefined;
  const members = ((podDoc.Containers as Array<{ Id: string }> | undefined) ?? []).map((c) => c.Id);
  if (members.length === 0) throw new InvalidArgumentError(`pod ${String(podDoc.Name)} has no containers: add one before generating kube YAML`);
  if (members.length === 1 && infraId) throw new InvalidArgumentError(`pod ${String(podDoc.Name)} only has an infra container: add one before generating kube YAML`);
  const docs = (await engine.containers.inspect(members)).map((d) => {
    if (d instanceof Error) throw d;
    return d;
  });
  docs.sort((a, b) => String(a.Created).localeCompare(String(b.Created)));
  const infraConfig = (podDoc.InfraConfig ?? {}) as Obj;
  const shared = (podDoc.SharedNamespaces as string[] | undefined) ?? [];
  const sharesNet = shared.includes('net');
  const ports = containerPortsFromBindings(infraConfig.PortBindings as Record<string, PortBinding[]>, !opts.service);
  const podName = kubeName(String(podDoc.Name));
  const annotations: Record<string, string> = {};
  const containers: Container[] = [];
  const volumes = new Map<string, Volume>();
  let restart: string | undefined;
  let stopTimeout: number | undefined;
  let hostname: string | undefined;
  let firstWithPorts = true;
  for (const doc of docs) {
    if (doc.IsInfra) {
      const infraName = String(doc.Name);
      if (infraId && infraName !== `${String(podDoc.Id).slice(0, 12)}-infra`) annotations[INFRA_NAME_ANNOTATION] = infraName;
      continue;
    }
    Object.assign(annotations, containerAnnotations(doc, opts.podmanOnly));
    const { container, volumes: vols } = await containerFromDoc(images, doc, !opts.service);
    if (sharesNet) {
      delete container.ports;
      if (firstWithPorts && ports.length > 0) {
        container.ports = ports;
        firstWithPorts = false;
      }
    }
    for (const v of vols) volumes.set(v.name, v);
    containers.push(container);
    restart ??= restartPolicyOf(doc);
    stopTimeout ??= nonDefaultStopTimeout(doc);
    const h = String((doc.Config as Obj | undefined)?.Hostname ?? '');
    if (hostname === undefined && h && !String(doc.Id).startsWith(h) && h !== podDoc.Name) hostname = h;
  }
  const labels = { ...((podDoc.Labels ?? {}) as Record<string, string>), app: podName };
  const spec: Mutable<PodSpec> = { containers };
  if (hostname) spec.hostname = hostname;
  if (infraConfig.HostNetwork === true) spec.hostNetwork = true;
  if (restart) spec.restartPolicy = restart;
  if (shared.includes('pid')) spec.shareProcessNamespace = true;
  if (stopTimeout !== undefined) spec.terminationGracePeriodSeconds = stopTimeout;
  if (volumes.size > 0) spec.volumes = [...volumes.values()];
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(Object.keys(annotations).length ? { annotations } : {}), creationTimestamp: created, labels, name: podName },
    spec,
  };
  const sharesDefault = ['ipc', 'net', 'uts'].every((ns) => shared.includes(ns)) || !infraId;
  return { pod, ports, sharesDefault };
}

async function podFromContainers(images: ImageCache, docs: Doc[], created: string, opts: GenerateKubeOptions): Promise<Pod> {
  const names = docs.map((d) => kubeName(String(d.Name)));
  let podName = names[0]!;
  if (names.includes(podName)) podName += '-pod';
  const annotations: Record<string, string> = {};
  const containers: Container[] = [];
  const volumes: Volume[] = [];
  let restart: string | undefined;
  let stopTimeout: number | undefined;
  let hostname: string | undefined;
  let hostNetwork = true;
  for (const doc of docs) {
    Object.assign(annotations, containerAnnotations(doc, opts.podmanOnly));
    const { container, volumes: vols } = await containerFromDoc(images, doc, !opts.service);
    containers.push(container);
    volumes.push(...vols);
    restart ??= restartPolicyOf(doc);
    stopTimeout ??= nonDefaultStopTimeout(doc);
    const h = String((doc.Config as Obj | undefined)?.Hostname ?? '');
    if (hostname === undefined && h && !String(doc.Id).startsWith(h)) hostname = h;
    if ((doc.HostConfig as Obj | undefined)?.NetworkMode !== 'host') hostNetwork = false;
  }
  const spec: Mutable<PodSpec> = { containers };
  if (hostname) spec.hostname = hostname;
  if (hostNetwork) spec.hostNetwork = true;
  if (restart) spec.restartPolicy = restart;
  if (stopTimeout !== undefined) spec.terminationGracePeriodSeconds = stopTimeout;
  if (volumes.length > 0) spec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(Object.keys(annotations).length ? { annotations } : {}), creationTimestamp: created, labels: { app: podName }, name: podName },
    spec,
  };
}

function restartPolicyOf(doc: Doc): string | undefined {
  const name = String(((doc.HostConfig as Obj | undefined)?.RestartPolicy as Obj | undefined)?.Name ?? '');
  return ({ no: 'Never', always: 'Always', 'on-failure': 'OnFailure', 'unless-stopped': 'Always' } as Record<string, string>)[name];
}

function nonDefaultStopTimeout(doc: Doc): number | undefined {
  const t = Number((doc.Config as Obj | undefined)?.StopTimeout ?? 10);
  return t === 10 ? undefined : t;
}

function containerAnnotations(doc: Doc, podmanOnly = false): Record<string, string> {
  const out: Record<string, string> = {};
  const name = kubeName(String(doc.Name));
  for (const [k, v] of Object.entries(((doc.Config as Obj | undefined)?.Annotations ?? {}) as Record<string, string>)) {
    if (!podmanOnly && RESERVED_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) continue;
    out[`${k}/${name}`] = v;
  }
  return out;
}

/** Kubernetes volume names from paths: /mnt/data/ -> mnt-data. */
export function kubeVolumeName(source: string): string {
  if (source === '/') return 'root';
  return source.replace(/^\/+|\/+$/g, '').replaceAll('/', '-').replaceAll('.', '-').replaceAll('_', '-').toLowerCase();
}

function hostPathType(path: string): string {
  try {
    return statSync(path).isDirectory() ? 'Directory' : 'File';
  } catch {
    return 'DirectoryOrCreate';
  }
}

async function containerFromDoc(images: ImageCache, doc: Doc, withHostPort: boolean): Promise<{ container: Mutable<Container>; volumes: Volume[] }> {
  const config = (doc.Config ?? {}) as Obj;
  const host = (doc.HostConfig ?? {}) as Obj;
  const imageRef = String(doc.ImageName ?? config.Image ?? '');
  const image = await images.config(imageRef);
  const container: Mutable<Container> = { name: kubeName(String(doc.Name)) };

  const argv = [String(doc.Path ?? ''), ...((doc.Args as string[] | null) ?? [])].filter((a, i) => i > 0 || a !== '');
  const cmd = (config.Cmd as string[] | null) ?? [];
  const entrypoint = argv.length >= cmd.length && same(argv.slice(argv.length - cmd.length), cmd) ? argv.slice(0, argv.length - cmd.length) : argv;
  let command: string[] | undefined;
  let args: string[] | undefined;
  if (entrypoint.length > 0) {
    command = entrypoint;
    if (cmd.length > 0) args = cmd;
  } else {
    command = cmd;
  }
  if (command && (same(command, (image.Cmd as string[] | null) ?? undefined) || same(command, (image.Entrypoint as string[] | null) ?? undefined))) command = undefined;
  if (args?.length) container.args = args;
  if (command?.length) container.command = command;

  const imageEnv = new Map(((image.Env as string[] | null) ?? []).map((e) => splitEnv(e)));
  const env: EnvVar[] = [];
  for (const entry of (config.Env as string[] | null) ?? []) {
    const [k, v] = splitEnv(entry);
    if (k === 'HOSTNAME' || DEFAULT_ENV[k] === v || imageEnv.get(k) === v) continue;
    env.push({ name: k, value: v });
  }
  if (env.length) container.env = env;
  container.image = imageRef;

  const ports = containerPortsFromBindings(host.PortBindings as Record<string, PortBinding[]>, withHostPort);
  if (ports.length) container.ports = ports;

  const resources = resourcesOf(host);
  if (resources) container.resources = resources;
  const security = securityContextOf(doc);
  if (security) container.securityContext = security;
  if (config.OpenStdin === true) container.stdin = true;
  if (config.Tty === true) container.tty = true;

  const mounts: VolumeMount[] = [];
  const volumes: Volume[] = [];
  let index = 0;
  // Host paths and tmpfs first, then named volumes, as Podman lists them.
  const allMounts = (doc.Mounts as Obj[] | null) ?? [];
  for (const m of [...allMounts.filter((x) => x.Type !== 'volume'), ...allMounts.filter((x) => x.Type === 'volume')]) {
    const readOnly = m.RW === false;
    if (m.Type === 'volume') {
      const name = String(m.Name);
      const volName = `${kubeVolumeName(name)}-pvc`;
      mounts.push({ mountPath: String(m.Destination), name: volName, ...(readOnly ? { readOnly: true } : {}) });
      volumes.push({ name: volName, persistentVolumeClaim: { claimName: name, ...(readOnly ? { readOnly: true } : {}) } });
    } else if (m.Type === 'bind') {
      const source = String(m.Source);
      const volName = `${kubeVolumeName(source)}-host-${index++}`;
      mounts.push({ mountPath: String(m.Destination), name: volName, ...(readOnly ? { readOnly: true } : {}) });
      volumes.push({ hostPath: { path: source, type: hostPathType(source) }, name: volName });
    } else if (m.Type === 'tmpfs') {
      const volName = `tmp-${index++}`;
      mounts.push({ mountPath: String(m.Destination), name: volName });
      volumes.push({ emptyDir: { medium: 'Memory' }, name: volName });
    }
  }
  // tmpfs mounts (--tmpfs) are listed apart from Mounts in inspect.
  for (const dest of Object.keys((host.Tmpfs ?? {}) as Obj)) {
    const volName = `tmp-${index++}`;
    mounts.push({ mountPath: dest, name: volName });
    volumes.push({ emptyDir: { medium: 'Memory' }, name: volName });
  }
  if (mounts.length) container.volumeMounts = mounts;

  const workingDir = String(config.WorkingDir ?? '');
  if (workingDir && workingDir !== '/' && workingDir !== (image.WorkingDir ?? '')) container.workingDir = workingDir;
  return { container, volumes };
}

function same(a: string[] | undefined, b: string[] | undefined): boolean {
  if (!a || !b) return false;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function splitEnv(entry: string): [string, string] {
  const i = entry.indexOf('=');
  return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
}

/** Bytes as a Kubernetes quantity: Mi/Gi/Ki when exact, else plain bytes. */
export function bytesQuantity(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

function resourcesOf(host: Obj): ResourceRequirements | undefined {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  const memory = Number(host.Memory ?? 0);
  if (memory > 0) limits.memory = bytesQuantity(memory);
  const reservation = Number(host.MemoryReservation ?? 0);
  if (reservation > 0) requests.memory = bytesQuantity(reservation);
  const quota = Number(host.CpuQuota ?? 0);
  const period = Number(host.CpuPeriod ?? 0);
  const milli = quota > 0 && period > 0 ? Math.floor((1000 * quota) / period) : Math.floor(Number(host.NanoCpus ?? 0) / 1e6);
  if (milli >= 1) limits.cpu = milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  const out: Mutable<ResourceRequirements> = {};
  if (Object.keys(limits).length) out.limits = limits;
  if (Object.keys(requests).length) out.requests = requests;
  return Object.keys(out).length ? out : undefined;
}

const DOCKER_DEFAULT_DROPPED = new Set(['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW']);
const withCapPrefix = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);

function securityContextOf(doc: Doc): SecurityContext | undefined {
  const host = (doc.HostConfig ?? {}) as Obj;
  const config = (doc.Config ?? {}) as Obj;
  const sc: Mutable<SecurityContext> = {};
  const privileged = host.Privileged === true;
  if (privileged) {
    sc.privileged = true;
  } else {
    const defaults = new Set(DEFAULT_CAPABILITIES.map(withCapPrefix));
    const add = [...new Set(((host.CapAdd as string[] | null) ?? []).map(withCapPrefix))].filter((c) => !defaults.has(c));
    const drop = [...new Set(((host.CapDrop as string[] | null) ?? []).map(withCapPrefix))].filter((c) => !DOCKER_DEFAULT_DROPPED.has(c));
    if (add.length || drop.length) sc.capabilities = { ...(add.length ? { add } : {}), ...(drop.length ? { drop } : {}) };
  }
  if (host.ReadonlyRootfs === true) sc.readOnlyRootFilesystem = true;
  if (((host.SecurityOpt as string[] | null) ?? []).some((o) => o.startsWith('no-new-privileges'))) sc.allowPrivilegeEscalation = false;
  const user = String(config.User ?? '');
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (m) {
    sc.runAsUser = Number(m[1]);
    if (m[2] !== undefined) sc.runAsGroup = Number(m[2]);
  }
  return Object.keys(sc).length ? sc : undefined;
}

function containerPortsOf(pod: Pod): ContainerPort[] {
  return (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
}

/** A NodePort Service for the pod's ports, each on a random free node port (30000-32767), as Podman. */
function serviceFor(pod: Pod, ports: ContainerPort[]): Service {
  const meta = pod.metadata ?? {};
  const used = new Set<number>();
  const servicePorts = ports.map((p) => {
    let nodePort: number;
    do nodePort = randomInt(30000, 32768);
    while (used.has(nodePort));
    used.add(nodePort);
    const port = p.containerPort;
    return { name: String(port), nodePort, port, ...(p.protocol ? { protocol: p.protocol } : {}), targetPort: port };
  });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { creationTimestamp: meta.creationTimestamp, labels: meta.labels, name: meta.name },
    spec: { ports: servicePorts, selector: { app: meta.labels?.app ?? '' }, type: 'NodePort' },
  };
}

/** Wraps a Pod in the workload kind asked for, with Podman's names and checks. */
function ofType(pod: Pod, type: KubeKind, opts: GenerateKubeOptions): Workload {
  if (type === 'pod') return pod;
  const meta = pod.metadata ?? {};
  const spec: Mutable<PodSpec> = { ...pod.spec!, containers: pod.spec?.containers ?? [] };
  const name = meta.name ?? '';
  const labels = meta.labels ?? {};
  const template = { metadata: meta, spec };
  const restart = spec.restartPolicy;
  const outerMeta = { creationTimestamp: meta.creationTimestamp, labels, name: '' };
  if (type === 'deployment' || type === 'daemonset') {
    if (restart && restart !== 'Always') {
      throw new InvalidArgumentError(`k8s ${type === 'deployment' ? 'Deployments' : 'DaemonSets'} can only have restartPolicy set to Always: the containers have ${restart}`);
    }
    if (type === 'daemonset' && (opts.replicas ?? 1) > 1) throw new InvalidArgumentError("k8s DaemonSets don't allow setting replicas");
    const selector = { matchLabels: { app: labels.app ?? name } };
    if (type === 'daemonset') return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { ...outerMeta, name: `${name}-daemonset` }, spec: { selector, template } };
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { ...outerMeta, name: `${name}-deployment` },
      spec: { ...((opts.replicas ?? 1) > 1 ? { replicas: opts.replicas } : {}), selector, template },
    };
  }
  if (restart === 'Always') {
    throw new InvalidArgumentError('k8s Jobs can not have restartPolicy set to Always; only Never and OnFailure policies allowed');
  }
  spec.restartPolicy = 'Never';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...outerMeta, name: `${name}-job` },
    spec: { completions: 1, parallelism: 1, template },
  };
}
