/**
 * play kube: Kubernetes YAML -> pods, containers, volumes and secrets, made
 * through the engine interface as `pod create` and `run --pod` make them.
 *
 * Two phases: every document is read and checked first (a bad field is one
 * error line naming its document and path, before anything exists); then the
 * objects are created, and what this play created is removed again if a later
 * step fails.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import type { Engine, PodCreateOptions, RegistryAccessOptions } from '../engine/types.js';
import type { PortMapping } from '../engine/network/types.js';
import type { ContainerSpec, MountSpec, ResourceSpec } from '../engine/spec/containerSpec.js';
import { ConflictError, TspodError, errorMessage } from '../util/errors.js';
import { Field, KubeYamlError, parseKubeDocuments, type KubeDocument } from './yamlInput.js';
import { buildContextFor, buildImageForKube } from './build.js';
import { kubeYamlText } from './yamlOutput.js';
import { INFRA_NAME_ANNOTATION, KUBE_POD_LABEL } from './names.js';

export const SUPPORTED_KINDS = ['Pod', 'Deployment', 'DaemonSet', 'Job', 'PersistentVolumeClaim', 'ConfigMap', 'Secret', 'Service'] as const;
const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'DaemonSet', 'Job']);


export interface PlayKubeOptions {
  /** --start (default true): start the pods after creating them. */
  start?: boolean;
  /** --network: the pods' network mode and networks (default: the default network). */
  network?: Pick<ContainerSpec, 'network' | 'networks'>;
  /** --publish: added to the YAML's ports; the same containerPort is replaced. */
  publish?: PortMapping[];
  /** --publish-all: containerPorts without a hostPort are published on the same port. */
  publishAll?: boolean;
  logDriver?: ContainerSpec['logDriver'];
  /** --configmap files' contents (each may hold several ConfigMap documents). */
  configMaps?: Array<{ source: string; text: string }>;
  /** --build: true builds every image with a build folder, false never, undefined only missing ones. */
  build?: boolean;
  contextDir?: string;
  /** --annotation: added to every container. */
  annotations?: Record<string, string>;
  noHosts?: boolean;
  /** --no-pod-prefix: containers keep the YAML's names. */
  noPodPrefix?: boolean;
  /** --tls-verify, --authfile, --cert-dir, --creds for pulls. */
  registry?: RegistryAccessOptions;
  /** Where build folders are looked for (the current directory). */
  cwd: string;
  warn?: (message: string) => void;
  progress?: (line: string) => void;
}

export interface PlayKubeReport {
  volumes: string[];
  secrets: string[];
  pods: Array<{ id: string; containers: string[] }>;
}

// ----------------------------------------------------------------- plan

type VolumeSource =
  | { kind: 'hostPath'; path: string; type: string; field: Field }
  | { kind: 'volume'; name: string; readOnly: boolean }
  | { kind: 'emptyDir'; memory: boolean }
  | { kind: 'files'; name: string; files: Array<{ path: string; data: Buffer; mode: number }> };

interface ContainerPlan {
  name: string;
  spec: ContainerSpec;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Pod volume name -> where it goes, resolved to mounts at create. */
  mounts: Array<{ volume: string; destination: string; readOnly: boolean; subPath?: string; field: Field }>;
}

interface PodPlan {
  doc: KubeDocument;
  name: string;
  labels: Record<string, string>;
  options: PodCreateOptions;
  ports: PortMapping[];
  volumes: Map<string, VolumeSource>;
  containers: ContainerPlan[];
  /** Named ports of the containers, for Services' targetPort. */
  namedPorts: Map<string, number>;
}

interface Plan {
  pvcs: Array<{ name: string; labels: Record<string, string>; options: Record<string, string> }>;
  secrets: Array<{ name: string; raw: Buffer }>;
  pods: PodPlan[];
}

interface Inputs {
  configMaps: Map<string, Record<string, Buffer>>;
  secrets: Map<string, Record<string, Buffer>>;
}

export function readDocuments(text: string, source: string): KubeDocument[] {
  const docs = parseKubeDocuments(text, source);
  for (const doc of docs) {
    if (!(SUPPORTED_KINDS as readonly string[]).includes(doc.kind)) {
      doc.root.get('kind').invalid(`kind "${doc.kind}" is not supported: use ${SUPPORTED_KINDS.join(', ')}`);
    }
  }
  if (docs.length === 0) throw new KubeYamlError(`${source}: no Kubernetes document found: give a Pod, Deployment, DaemonSet, Job, PersistentVolumeClaim, ConfigMap, Secret or Service`);
  return docs;
}

/** The pod a workload document makes, named as Podman names it. */
export function podNameOf(doc: KubeDocument): string {
  const name = doc.root.get('metadata').get('name').requiredString();
  return doc.kind === 'Pod' ? name : `${name}-pod`;
}

function decodeBase64(field: Field): Buffer {
  const text = field.string() ?? '';
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(text)) field.invalid('is not valid base64: encode the value with base64');
  return Buffer.from(text, 'base64');
}

function configMapData(doc: KubeDocument): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, f] of doc.root.get('data').entries()) out[k] = Buffer.from(f.string() ?? '');
  for (const [k, f] of doc.root.get('binaryData').entries()) out[k] = decodeBase64(f);
  return out;
}

function secretData(root: Field): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, f] of root.get('data').entries()) out[k] = decodeBase64(f);
  for (const [k, f] of root.get('stringData').entries()) out[k] = Buffer.from(f.string() ?? '');
  return out;
}

/** A secret stored by an earlier play holds the whole Kubernetes Secret, as Podman stores it. */
async function storedSecret(engine: Engine, name: string): Promise<Record<string, Buffer> | undefined> {
  const [info] = await engine.secrets.inspect([name], { showSecret: true });
  if (!info || info instanceof Error || info.SecretData === undefined) return undefined;
  try {
    const parsed = parseYaml(info.SecretData) as unknown;
    if (parsed && typeof parsed === 'object' && (parsed as Record<string, unknown>).kind === 'Secret') {
      return secretData(Field.root(`secret "${name}"`, parsed));
    }
  } catch {
    // not YAML: a plain secret
  }
  return undefined;
}

/** Kubernetes quantities: 64Mi, 1G, 500m, 0.5. */
export function parseQuantity(field: Field, kind: 'bytes' | 'cpu'): number | undefined {
  const text = field.quantity();
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$/.exec(text.trim());
  if (!m) field.invalid(`"${text}" is not a quantity: use a number with an optional unit such as 64Mi, 1G or 500m`);
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const scale: Record<string, number> = {
    '': 1, m: 0.001, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
  };
  const value = n * scale[unit]!;
  return kind === 'bytes' ? Math.ceil(value) : value;
}

function restartPolicyOf(field: Field, kind: string): ContainerSpec['restartPolicy'] {
  const value = field.string();
  if (value !== undefined && !['Always', 'OnFailure', 'Never'].includes(value)) field.invalid(`"${value}" is not a restart policy: use Always, OnFailure or Never`);
  const policy = value ?? (kind === 'Job' ? 'OnFailure' : 'Always');
  if (kind === 'Job' && policy === 'Always') field.invalid('a Job cannot restart Always: use OnFailure or Never');
  return ({ Always: 'always', OnFailure: 'on-failure', Never: 'no' } as const)[policy as 'Always' | 'OnFailure' | 'Never'];
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

function readPorts(container: Field, plan: PodPlan, opts: PlayKubeOptions): void {
  for (const p of container.get('ports').list()) {
    const containerPortField = p.get('containerPort');
    const containerPort = containerPortField.int();
    if (containerPort === undefined) throw containerPortField.error('is required: give the port the container listens on');
    if (containerPort < 1 || containerPort > 65535) containerPortField.invalid(`${containerPort} is not a port: use 1-65535`);
    const protocolField = p.get('protocol');
    const protocol = (protocolField.string() ?? 'TCP').toUpperCase();
    if (!PROTOCOLS.includes(protocol)) protocolField.invalid(`"${protocol}" is not a protocol: use TCP, UDP or SCTP`);
    const name = p.get('name').string();
    if (name) plan.namedPorts.set(name, containerPort);
    let hostPort = p.get('hostPort').int();
    if (hostPort !== undefined && (hostPort < 0 || hostPort > 65535)) p.get('hostPort').invalid(`${hostPort} is not a port: use 0-65535`);
    if (!hostPort && opts.publishAll) hostPort = containerPort;
    if (!hostPort) continue;
    plan.ports.push({ host_ip: p.get('hostIP').string() ?? '', container_port: containerPort, host_port: hostPort, range: 1, protocol: protocol.toLowerCase() });
  }
}

function readVolumes(spec: Field, plan: PodPlan, inputs: Inputs): void {
  for (const v of spec.get('volumes').list()) {
    const name = v.get('name').requiredString();
    if (plan.volumes.has(name)) v.get('name').invalid(`volume "${name}" is defined twice: give each volume its own name`);
    const hostPath = v.get('hostPath');
    const pvc = v.get('persistentVolumeClaim');
    const emptyDir = v.get('emptyDir');
    const configMap = v.get('configMap');
    const secret = v.get('secret');
    if (hostPath.present) {
      const path = hostPath.get('path').requiredString();
      const type = hostPath.get('type').string() ?? '';
      const types = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
      if (!types.includes(type)) hostPath.get('type').invalid(`"${type}" is not a hostPath type: use ${types.filter(Boolean).join(', ')}`);
      // Podman: a path without a slash names a volume.
      plan.volumes.set(name, path.includes('/') ? { kind: 'hostPath', path, type, field: hostPath } : { kind: 'volume', name: path, readOnly: false });
    } else if (pvc.present) {
      plan.volumes.set(name, { kind: 'volume', name: pvc.get('claimName').requiredString(), readOnly: pvc.get('readOnly').bool() === true });
    } else if (emptyDir.present) {
      plan.volumes.set(name, { kind: 'emptyDir', memory: emptyDir.get('medium').string() === 'Memory' });
    } else if (configMap.present || secret.present) {
      const source = configMap.present ? configMap : secret;
      const sourceName = configMap.present ? configMap.get('name').requiredString() : secret.get('secretName').requiredString();
      const data = (configMap.present ? inputs.configMaps : inputs.secrets).get(sourceName);
      const optional = source.get('optional').bool() === true;
      if (!data && !optional) {
        source.invalid(`${configMap.present ? 'ConfigMap' : 'Secret'} "${sourceName}" is not defined: add it to the YAML${configMap.present ? ' or give it with --configmap' : ' or create it first'}`);
      }
      const mode = source.get('defaultMode').int() ?? 0o644;
      const items = source.get('items').list();
      const files = items.length
        ? items.map((item) => {
            const key = item.get('key').requiredString();
            if (data && !(key in data) && !optional) item.get('key').invalid(`key "${key}" is not in "${sourceName}": use one of its keys`);
            return { path: item.get('path').requiredString(), data: data?.[key] ?? Buffer.alloc(0), mode: item.get('mode').int() ?? mode };
          })
        : Object.entries(data ?? {}).map(([k, d]) => ({ path: k, data: d, mode }));
      plan.volumes.set(name, { kind: 'files', name: sourceName, files });
    } else {
      v.invalid('has no supported source: use hostPath, persistentVolumeClaim, emptyDir, configMap or secret');
    }
  }
}

function lookupKey(field: Field, store: Map<string, Record<string, Buffer>>, what: string): string | undefined {
  const name = field.get('name').requiredString();
  const key = field.get('key').requiredString();
  const optional = field.get('optional').bool() === true;
  const data = store.get(name);
  if (!data) {
    if (optional) return undefined;
    field.invalid(`${what} "${name}" is not defined: add it to the YAML${what === 'ConfigMap' ? ' or give it with --configmap' : ' or create it first'}`);
  }
  if (!(key in data)) {
    if (optional) return undefined;
    field.invalid(`key "${key}" is not in ${what} "${name}": use one of ${Object.keys(data).join(', ') || 'its keys'}`);
  }
  return data[key]!.toString();
}

function readEnv(container: Field, meta: Field, inputs: Inputs): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.get('envFrom').list()) {
    const prefix = from.get('prefix').string() ?? '';
    const cm = from.get('configMapRef');
    const sec = from.get('secretRef');
    const ref = cm.present ? cm : sec;
    if (!ref.present) from.invalid('needs configMapRef or secretRef: add one');
    const name = ref.get('name').requiredString();
    const data = (cm.present ? inputs.configMaps : inputs.secrets).get(name);
    if (!data) {
      if (ref.get('optional').bool() === true) continue;
      throw ref.error(`${cm.present ? 'ConfigMap' : 'Secret'} "${name}" is not defined: add it to the YAML${cm.present ? ' or give it with --configmap' : ' or create it first'}`);
    }
    for (const [k, v] of Object.entries(data)) env[prefix + k] = v.toString();
  }
  for (const e of container.get('env').list()) {
    const name = e.get('name').requiredString();
    const valueFrom = e.get('valueFrom');
    if (!valueFrom.present) {
      env[name] = e.get('value').string() ?? '';
      continue;
    }
    let value: string | undefined;
    if (valueFrom.get('configMapKeyRef').present) value = lookupKey(valueFrom.get('configMapKeyRef'), inputs.configMaps, 'ConfigMap');
    else if (valueFrom.get('secretKeyRef').present) value = lookupKey(valueFrom.get('secretKeyRef'), inputs.secrets, 'Secret');
    else if (valueFrom.get('fieldRef').present) value = fieldRefValue(valueFrom.get('fieldRef'), meta);
    else valueFrom.invalid('is not supported: use configMapKeyRef, secretKeyRef or fieldRef');
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function fieldRefValue(ref: Field, meta: Field): string {
  const path = ref.get('fieldPath').requiredString();
  if (path === 'metadata.name') return meta.get('name').string() ?? '';
  if (path === 'metadata.namespace') return meta.get('namespace').string() ?? 'default';
  if (path === 'metadata.uid') return meta.get('uid').string() ?? '';
  const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (m) return meta.get(m[1]!).stringMap()[m[2]!] ?? '';
  throw ref.get('fieldPath').error(`"${path}" is not supported: use metadata.name, metadata.namespace, metadata.uid, metadata.labels['KEY'] or metadata.annotations['KEY']`);
}

/** $(VAR) in command and args, from the container's environment, as Kubernetes expands them. */
function expand(words: string[] | undefined, env: Record<string, string>): string[] | undefined {
  return words?.map((w) => w.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? all))));
}

function readResources(container: Field): ResourceSpec | undefined {
  const res = container.get('resources');
  const limits = res.get('limits');
  const requests = res.get('requests');
  const out: ResourceSpec = {};
  const memory = parseQuantity(limits.get('memory'), 'bytes');
  if (memory !== undefined) out.memory = memory;
  const reservation = parseQuantity(requests.get('memory'), 'bytes');
  if (reservation !== undefined) out.memoryReservation = reservation;
  const cpus = parseQuantity(limits.get('cpu'), 'cpu');
  if (cpus !== undefined && cpus > 0) out.cpus = cpus;
  return Object.keys(out).length ? out : undefined;
}

function readSecurity(container: Field, podSecurity: Field, spec: ContainerSpec): void {
  const sc = container.get('securityContext');
  if (sc.get('privileged').bool()) spec.privileged = true;
  if (sc.get('readOnlyRootFilesystem').bool()) spec.readOnly = true;
  if (sc.get('allowPrivilegeEscalation').bool() === false) spec.noNewPrivileges = true;
  const caps = sc.get('capabilities');
  const add = caps.get('add').stringList();
  const drop = caps.get('drop').stringList();
  if (add?.length) spec.capAdd = add;
  if (drop?.length) spec.capDrop = drop;
  const user = sc.get('runAsUser').int() ?? podSecurity.get('runAsUser').int();
  const group = sc.get('runAsGroup').int() ?? podSecurity.get('runAsGroup').int();
  if (user !== undefined) spec.user = group !== undefined ? `${user}:${group}` : String(user);
  else if (group !== undefined) sc.get('runAsGroup').invalid('needs runAsUser as well: tspod sets user and group together');
}

function defaultPullPolicy(image: string): ContainerPlan['pullPolicy'] {
  const lastPart = image.split('/').pop() ?? image;
  const tagged = lastPart.includes(':') || image.includes('@');
  const latest = !tagged || lastPart.endsWith(':latest');
  // Images built here are named localhost/...: those are never pulled, as Podman.
  return latest && !image.startsWith('localhost/') ? 'Always' : 'IfNotPresent';
}

function planPod(doc: KubeDocument, inputs: Inputs, opts: PlayKubeOptions): PodPlan {
  const root = doc.root;
  let template: Field;
  let meta: Field;
  if (doc.kind === 'Pod') {
    template = root;
    meta = root.get('metadata');
  } else {
    const spec = root.get('spec');
    template = spec.get('template');
    if (!template.present) template.invalid(`is required: a ${doc.kind} needs a pod template`);
    meta = template.get('metadata');
    if (doc.kind === 'Deployment') {
      const replicas = spec.get('replicas').int();
      if (replicas !== undefined && replicas > 1) opts.warn?.('Limiting replica count to 1, more than one replica is not supported by tspod');
    }
  }
  const name = podNameOf(doc);
  const podSpec = template.get('spec');
  if (!podSpec.present) podSpec.invalid('is required: describe the pod and its containers');
  const outerMeta = root.get('metadata');
  const labels = { ...outerMeta.get('labels').stringMap(), ...meta.get('labels').stringMap() };
  const annotations = { ...outerMeta.get('annotations').stringMap(), ...meta.get('annotations').stringMap(), ...(opts.annotations ?? {}) };
  const hostNetwork = podSpec.get('hostNetwork').bool() === true;
  const hostname = podSpec.get('hostname').string();
  const sharePid = podSpec.get('shareProcessNamespace').bool() === true;
  const restartPolicy = restartPolicyOf(podSpec.get('restartPolicy'), doc.kind);
  const grace = podSpec.get('terminationGracePeriodSeconds').int();
  const plan: PodPlan = {
    doc,
    name,
    labels,
    options: {
      name,
      labels,
      infra: true,
      exitPolicy: 'stop',
      share: sharePid ? ['ipc', 'net', 'uts', 'pid'] : ['ipc', 'net', 'uts'],
      ...(hostname ? { hostname } : {}),
      ...(annotations[INFRA_NAME_ANNOTATION] ? { infraName: annotations[INFRA_NAME_ANNOTATION] } : {}),
    },
    ports: [],
    volumes: new Map(),
    containers: [],
    namedPorts: new Map(),
  };
  readVolumes(podSpec, plan, inputs);
  if (podSpec.get('initContainers').list().length > 0) podSpec.get('initContainers').invalid('init containers are not supported yet: run them as ordinary containers');
  const containers = podSpec.get('containers').list();
  if (containers.length === 0) podSpec.get('containers').invalid('is required: a pod needs at least one container');
  const containerNames = new Set(containers.map((c) => c.get('name').value).filter((n): n is string => typeof n === 'string'));
  const pod: PodContext = { plan, meta, podSpec, labels, annotations, containerNames, restartPolicy, grace };
  const seen = new Set<string>();
  for (const c of containers) {
    const ctrName = c.get('name').requiredString();
    if (seen.has(ctrName)) c.get('name').invalid(`container name "${ctrName}" is used twice: give each container its own name`);
    seen.add(ctrName);
    plan.containers.push(planContainer(c, ctrName, pod, inputs, opts));
  }
  // --publish wins over the YAML for the same container port.
  for (const p of opts.publish ?? []) {
    plan.ports = plan.ports.filter((q) => !(q.container_port === p.container_port && q.protocol === p.protocol));
    plan.ports.push(p);
  }
  if (hostNetwork) {
    plan.options.network = { network: 'host' };
  } else {
    plan.options.network = { ...(opts.network ?? {}) };
    if (opts.noHosts) plan.options.network.noHosts = true;
  }
  return plan;
}

/** What every container of one pod shares while it is planned. */
interface PodContext {
  plan: PodPlan;
  meta: Field;
  podSpec: Field;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containerNames: Set<string>;
  restartPolicy: ContainerSpec['restartPolicy'];
  grace: number | undefined;
}

/** One container of the YAML -> the spec `run --pod` would make, its image policy and its mounts. */
function planContainer(c: Field, ctrName: string, pod: PodContext, inputs: Inputs, opts: PlayKubeOptions): ContainerPlan {
  const { plan } = pod;
  const image = c.get('image').requiredString();
  const pullField = c.get('imagePullPolicy');
  const pull = pullField.string();
  if (pull !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pull)) pullField.invalid(`"${pull}" is not a pull policy: use Always, IfNotPresent or Never`);
  const env = readEnv(c, pod.meta, inputs);
  const command = expand(c.get('command').stringList(), env);
  const args = expand(c.get('args').stringList(), env);
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.annotations)) {
    if (k === INFRA_NAME_ANNOTATION) continue;
    // `key/ctrname` belongs to that container only (kube generate writes them so); other keys to all.
    const slash = k.lastIndexOf('/');
    const owner = slash > 0 ? k.slice(slash + 1) : undefined;
    if (owner !== undefined && pod.containerNames.has(owner)) {
      if (owner === ctrName) annotations[k.slice(0, slash)] = v;
    } else {
      annotations[k] = v;
    }
  }
  const spec: ContainerSpec = {
    image,
    name: opts.noPodPrefix ? ctrName : `${plan.name}-${ctrName}`,
    ...(command?.length ? { entrypoint: command } : {}),
    ...(args?.length ? { command: args } : {}),
    env,
    labels: pod.labels,
    annotations,
    restartPolicy: pod.restartPolicy,
  };
  const workingDir = c.get('workingDir').string();
  if (workingDir) spec.workingDir = workingDir;
  if (c.get('tty').bool()) spec.terminal = true;
  if (c.get('stdin').bool()) spec.stdin = true;
  if (pod.grace !== undefined) spec.stopTimeout = pod.grace;
  if (opts.logDriver) spec.logDriver = opts.logDriver;
  const resources = readResources(c);
  if (resources) spec.resources = resources;
  readSecurity(c, pod.podSpec.get('securityContext'), spec);
  readPorts(c, plan, opts);
  const mounts: ContainerPlan['mounts'] = [];
  for (const m of c.get('volumeMounts').list()) {
    const volume = m.get('name').requiredString();
    const source = plan.volumes.get(volume);
    if (!source) throw m.get('name').error(`no volume named "${volume}" in spec.volumes: add it there`);
    const destination = m.get('mountPath').requiredString().replace(/:[zZ]$/, '');
    if (!destination.startsWith('/')) m.get('mountPath').invalid(`"${destination}" is not an absolute path: start it with /`);
    const subPath = m.get('subPath').string() || undefined;
    if (subPath && source.kind !== 'hostPath') m.get('subPath').invalid('is only supported for hostPath volumes: mount the whole volume');
    mounts.push({ volume, destination, readOnly: m.get('readOnly').bool() === true, subPath, field: m });
  }
  return { name: ctrName, spec, pullPolicy: (pull as ContainerPlan['pullPolicy'] | undefined) ?? defaultPullPolicy(image), mounts };
}

/** Services publish their node ports for the pods they select, where the YAML does not publish that port already. */
function applyService(doc: KubeDocument, pods: PodPlan[]): void {
  const spec = doc.root.get('spec');
  const selector = spec.get('selector').stringMap();
  const type = spec.get('type').string();
  const ports = spec.get('ports').list().map((p) => {
    const port = p.get('port').int();
    if (port === undefined) throw p.get('port').error('is required: give the service port');
    const protocol = (p.get('protocol').string() ?? 'TCP').toLowerCase();
    return { port, target: p.get('targetPort').intOrString() ?? port, nodePort: p.get('nodePort').int(), protocol, field: p };
  });
  if (Object.keys(selector).length === 0 || (type !== undefined && type !== 'NodePort' && type !== 'LoadBalancer')) return;
  for (const pod of pods) {
    if (!Object.entries(selector).every(([k, v]) => pod.labels[k] === v)) continue;
    for (const p of ports) {
      if (!p.nodePort) continue;
      const target = typeof p.target === 'number' ? p.target : pod.namedPorts.get(p.target);
      if (target === undefined) throw p.field.get('targetPort').error(`no container port is named "${p.target}": name it in the pod's ports`);
      if (pod.ports.some((q) => q.container_port === target && q.protocol === p.protocol)) continue;
      pod.ports.push({ host_ip: '', container_port: target, host_port: p.nodePort, range: 1, protocol: p.protocol });
    }
  }
}

function planPvc(doc: KubeDocument): Plan['pvcs'][number] {
  const meta = doc.root.get('metadata');
  const name = meta.get('name').requiredString();
  const annotations = meta.get('annotations').stringMap();
  const options: Record<string, string> = {};
  const keys: Record<string, string> = { 'mount-options': 'o', device: 'device', type: 'type', uid: 'UID', gid: 'GID' };
  for (const [k, v] of Object.entries(annotations)) {
    const m = /^volume\.podman\.io\/(.+)$/.exec(k);
    if (m && keys[m[1]!]) options[keys[m[1]!]!] = v;
    if (m && m[1] === 'driver' && v !== 'local') meta.get('annotations').get(k).invalid(`volume driver "${v}" is not supported: use local`);
  }
  return { name, labels: meta.get('labels').stringMap(), options };
}

/** Reads and checks everything; creates nothing. */
export async function planPlay(engine: Engine, docs: KubeDocument[], extraConfigMaps: KubeDocument[], opts: PlayKubeOptions): Promise<Plan> {
  const inputs: Inputs = { configMaps: new Map(), secrets: new Map() };
  const plan: Plan = { pvcs: [], secrets: [], pods: [] };
  for (const doc of extraConfigMaps) {
    if (doc.kind !== 'ConfigMap') doc.root.get('kind').invalid(`--configmap files hold ConfigMaps only, not ${doc.kind}: move it to the kube YAML`);
  }
  for (const doc of [...extraConfigMaps, ...docs]) {
    if (doc.kind === 'ConfigMap') inputs.configMaps.set(doc.root.get('metadata').get('name').requiredString(), configMapData(doc));
    if (doc.kind === 'Secret') {
      const name = doc.root.get('metadata').get('name').requiredString();
      inputs.secrets.set(name, secretData(doc.root));
      // Stored whole, as Podman stores it: a later play's secretKeyRef reads it back.
      plan.secrets.push({ name, raw: Buffer.from(kubeYamlText(doc.root.object())) });
    }
    if (doc.kind === 'PersistentVolumeClaim') plan.pvcs.push(planPvc(doc));
  }
  // Secrets referenced but not in the YAML may be stored already.
  for (const doc of docs.filter((d) => WORKLOAD_KINDS.has(d.kind))) {
    for (const name of referencedSecrets(doc.root.value)) {
      if (inputs.secrets.has(name)) continue;
      const stored = await storedSecret(engine, name);
      if (stored) inputs.secrets.set(name, stored);
    }
  }
  const names = new Set<string>();
  for (const doc of docs.filter((d) => WORKLOAD_KINDS.has(d.kind))) {
    const pod = planPod(doc, inputs, opts);
    if (names.has(pod.name)) doc.root.get('metadata').get('name').invalid(`pod "${pod.name}" is made twice by this YAML: give each workload its own name`);
    names.add(pod.name);
    plan.pods.push(pod);
  }
  for (const doc of docs.filter((d) => d.kind === 'Service')) applyService(doc, plan.pods);
  return plan;
}

function referencedSecrets(value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ((key === 'secretKeyRef' || key === 'secretRef') && typeof o.name === 'string') out.push(o.name);
      if (key === 'secret' && typeof o.secretName === 'string') out.push(o.secretName);
      for (const [k, x] of Object.entries(o)) walk(x, k);
    }
  };
  walk(value);
  return out;
}

// ---------------------------------------------------------------- apply

/** What this play made, removed in reverse order when a later step fails. */
class Rollback {
  private readonly steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch {
        // best effort: the first error is what the user needs
      }
    }
  }
}

function checkHostPath(source: Extract<VolumeSource, { kind: 'hostPath' }>, path: string): void {
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    stat = statSync(path);
  } catch {
    stat = undefined;
  }
  const want = source.type;
  if (stat === undefined) {
    if (want === 'DirectoryOrCreate') {
      mkdirSync(path, { recursive: true, mode: 0o755 });
      return;
    }
    if (want === 'FileOrCreate') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, '', { mode: 0o644 });
      return;
    }
    if (want === '') {
      // Kubernetes' default does no check; Podman creates nothing and the bind fails, so say it now.
      source.field.get('path').invalid(`host path "${path}" does not exist: create it or set type: DirectoryOrCreate`);
    }
    throw source.field.get('path').error(`host path "${path}" does not exist: create it first (type ${want} needs it)`);
  }
  const ok: Record<string, boolean> = {
    '': true,
    DirectoryOrCreate: stat.isDirectory(),
    Directory: stat.isDirectory(),
    FileOrCreate: stat.isFile(),
    File: stat.isFile(),
    Socket: stat.isSocket(),
    CharDevice: stat.isCharacterDevice(),
    BlockDevice: stat.isBlockDevice(),
  };
  if (!ok[want]) source.field.get('type').invalid(`host path "${path}" is not a ${want}: fix the path or the type`);
}

function tarOf(files: Array<{ path: string; data: Buffer; mode: number }>): Readable {
  const pack = tarStream.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
      }
    }
    pack.entry({ name: parts.join('/'), mode: f.mode, size: f.data.length }, f.data);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

async function ensureImage(engine: Engine, ctr: ContainerPlan, opts: PlayKubeOptions): Promise<void> {
  const image = ctr.spec.image;
  const exists = await engine.images.exists(image);
  if (opts.build !== false) {
    // The folder named after the image, below --context-dir or the current directory (as Podman looks).
    const dir = buildContextFor(image, opts.contextDir ?? opts.cwd);
    if (dir && (opts.build === true || !exists)) {
      await buildImageForKube(engine, image, dir);
      return;
    }
  }
  if (ctr.pullPolicy === 'Never') {
    if (!exists) throw new TspodError(`image "${image}" of container "${ctr.name}" is not stored and its imagePullPolicy is Never: pull or build it first`);
    return;
  }
  if (ctr.pullPolicy === 'IfNotPresent' && exists) return;
  await engine.images.pull(image, { ...opts.registry, policy: ctr.pullPolicy === 'Always' ? 'newer' : 'missing', progress: opts.progress });
}

export async function applyPlay(engine: Engine, plan: Plan, opts: PlayKubeOptions): Promise<PlayKubeReport> {
  // Conflicts first: nothing is made when a pod of the same name exists.
  for (const pod of plan.pods) {
    if (await engine.pods.exists(pod.name)) {
      throw new ConflictError(`adding pod to state: name "${pod.name}" is in use: pod already exists (kube play --replace recreates it)`);
    }
  }
  for (const pod of plan.pods) for (const ctr of pod.containers) await ensureImage(engine, ctr, opts);

  const report: PlayKubeReport = { volumes: [], secrets: [], pods: [] };
  const rollback = new Rollback();
  const createdVolume = async (name: string | undefined, create: () => Promise<{ Name: string }>): Promise<string> => {
    if (name !== undefined && (await engine.volumes.exists(name))) return name;
    const vol = await create();
    rollback.add(() => engine.volumes.remove([vol.Name], { force: true }));
    return vol.Name;
  };
  try {
    for (const s of plan.secrets) {
      const existed = await engine.secrets.exists(s.name);
      const id = await engine.secrets.create(s.name, s.raw, { replace: true, labels: {} });
      if (!existed) rollback.add(() => engine.secrets.remove([s.name], { ignore: true }));
      report.secrets.push(id);
    }
    for (const pvc of plan.pvcs) {
      const name = await createdVolume(pvc.name, () => engine.volumes.create({ name: pvc.name, labels: pvc.labels, options: pvc.options }));
      report.volumes.push(name);
    }
    for (const pod of plan.pods) {
      const mountsOf = new Map<string, (m: ContainerPlan['mounts'][number]) => MountSpec>();
      for (const [volName, source] of pod.volumes) {
        if (source.kind === 'hostPath') {
          mountsOf.set(volName, (m) => {
            const path = m.subPath ? join(source.path, m.subPath) : source.path;
            checkHostPath(source, path);
            return { type: 'bind', source: path, destination: m.destination, options: m.readOnly ? ['ro'] : [] };
          });
        } else if (source.kind === 'volume') {
          const name = await createdVolume(source.name, () => engine.volumes.create({ name: source.name }));
          mountsOf.set(volName, (m) => ({ type: 'volume', source: name, destination: m.destination, options: m.readOnly || source.readOnly ? ['ro'] : [] }));
        } else if (source.kind === 'emptyDir') {
          if (source.memory) {
            mountsOf.set(volName, (m) => ({ type: 'tmpfs', destination: m.destination, options: [] }));
          } else {
            const name = await createdVolume(undefined, () => engine.volumes.create({ labels: { [KUBE_POD_LABEL]: pod.name } }));
            mountsOf.set(volName, (m) => ({ type: 'volume', source: name, destination: m.destination, options: m.readOnly ? ['ro'] : [] }));
          }
        } else {
          const name = await createdVolume(source.name, () => engine.volumes.create({ name: source.name }));
          await engine.volumes.import(name, tarOf(source.files));
          mountsOf.set(volName, (m) => ({ type: 'volume', source: name, destination: m.destination, options: m.readOnly ? ['ro'] : [] }));
        }
      }
      // With the host's network every port is the host's already: nothing to publish.
      const publish = pod.options.network?.network !== 'host' && pod.ports.length > 0;
      const podOptions: PodCreateOptions = { ...pod.options, network: { ...pod.options.network, ...(publish ? { portMappings: pod.ports } : {}) } };
      const { id } = await engine.pods.create(podOptions);
      rollback.add(() => engine.pods.remove([id], { force: true, ignore: true, timeout: 0 }));
      const containerIds: string[] = [];
      for (const ctr of pod.containers) {
        const spec: ContainerSpec = { ...ctr.spec, pod: id, mounts: ctr.mounts.map((m) => mountsOf.get(m.volume)!(m)) };
        const created = await engine.containers.create(spec);
        for (const w of created.warnings) opts.warn?.(w);
        containerIds.push(created.id);
      }
      report.pods.push({ id, containers: containerIds });
    }
    if (opts.start !== false) {
      for (const pod of report.pods) {
        const [result] = await engine.pods.start([pod.id]);
        if (result?.error) throw result.error;
        const failed = result?.containerErrors ?? [];
        if (failed.length > 0) throw new TspodError(`failed to start ${failed.length} container${failed.length > 1 ? 's' : ''}: ${errorMessage(failed[0]!.error)}`);
      }
    }
  } catch (e) {
    await rollback.run();
    throw e;
  }
  return report;
}

export async function playKube(engine: Engine, text: string, source: string, opts: PlayKubeOptions): Promise<PlayKubeReport> {
  const docs = readDocuments(text, source);
  const extra = (opts.configMaps ?? []).flatMap((c) => parseKubeDocuments(c.text, c.source));
  const plan = await planPlay(engine, docs, extra, opts);
  return applyPlay(engine, plan, opts);
}

/** Podman's report: Volumes:, Secrets:, then Pod:/Container(s): per pod, each pod followed by an empty line. */
export function playReportText(report: PlayKubeReport): string {
  let out = '';
  if (report.volumes.length) out += `Volumes:\n${report.volumes.map((v) => `${v}\n`).join('')}`;
  if (report.secrets.length) out += `Secrets:\n${report.secrets.map((s) => `${s}\n`).join('')}`;
  for (const pod of report.pods) {
    out += `Pod:\n${pod.id}\n`;
    if (pod.containers.length > 0) out += `${pod.containers.length === 1 ? 'Container' : 'Containers'}:\n${pod.containers.map((c) => `${c}\n`).join('')}`;
    out += '\n';
  }
  return out;
}

