/**
 * A Compose service -> the engine's container spec, with the labels and
 * names Docker Compose v2 uses (`<project>-<service>-<n>`,
 * `com.docker.compose.*`), and the config hash that decides recreation.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { posix } from 'node:path';
import type { ContainerSpec, MountSpec, NetworkAttachment, ResourceSpec, RestartPolicyName, SecretUse } from '../engine/spec/containerSpec.js';
import { logDriver, logOptions, ulimit } from '../engine/spec/hostSpec.js';
import { parseExpose, parsePublish } from '../engine/network/ports.js';
import { parseDurationFlag } from '../engine/spec/healthSpec.js';
import { ComposeFileError } from './errors.js';
import type { ComposeProject } from './loader.js';
import type { ServiceConfig, ServiceSecretConfig } from './model.js';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  hash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  config: 'com.docker.compose.config',
  image: 'com.docker.compose.image',
} as const;

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The resolved model as `compose config` prints it. */
export function configYaml(project: ComposeProject): string {
  const m = project.model;
  const doc: Record<string, unknown> = { name: project.name, services: sortKeys(m.services) };
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) if (Object.keys(m[kind]).length) doc[kind] = sortKeys(m[kind]);
  return stringify(doc, { lineWidth: 0 });
}

export function configHash(svc: ServiceConfig): string {
  const { deploy, scale, profiles, ...rest } = svc;
  void deploy, scale, profiles;
  return createHash('sha256').update(JSON.stringify(sortKeys(rest))).digest('hex');
}

export function imageName(project: ComposeProject, service: string): string {
  return project.model.services[service]?.image ?? `${project.name}-${service}`;
}

export function replicas(svc: ServiceConfig): number {
  return svc.deploy?.replicas ?? svc.scale ?? 1;
}

export function containerName(project: ComposeProject, service: string, n: number): string {
  const svc = project.model.services[service];
  return svc?.container_name ?? `${project.name}-${service}-${n}`;
}

function seconds(value: string, where: string): number {
  return Math.round(nanos(value, where) / 1e9);
}

function nanos(value: string, where: string): number {
  try {
    return parseDurationFlag(value, where);
  } catch {
    throw new ComposeFileError('compose', where, `invalid duration "${value}": use a duration such as 10s, 1m30s or 500ms`);
  }
}

function restartPolicy(value: string, where: string): Pick<ContainerSpec, 'restartPolicy' | 'restartRetries'> {
  const [name, retries] = value.split(':');
  if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(name!)) {
    throw new ComposeFileError('compose', where, `invalid restart policy "${value}": use no, always, on-failure[:N] or unless-stopped`);
  }
  return { restartPolicy: name as RestartPolicyName, ...(retries ? { restartRetries: Number(retries) } : {}) };
}

function mounts(project: ComposeProject, svc: ServiceConfig): MountSpec[] {
  const out: MountSpec[] = [];
  for (const v of svc.volumes ?? []) {
    const options = v.read_only ? ['ro'] : [];
    if (v.type === 'volume') {
      out.push({ type: 'volume', ...(v.source ? { source: project.model.volumes[v.source]?.name ?? v.source } : {}), destination: v.target, options: [...options, ...(v.volume?.nocopy ? ['nocopy'] : [])] });
    } else if (v.type === 'bind') {
      out.push({ type: 'bind', source: v.source, destination: v.target, options: ['rbind', ...options, ...(v.bind?.selinux ? [v.bind.selinux] : []), ...(v.bind?.propagation ? [v.bind.propagation] : [])] });
    } else {
      const size = v.tmpfs?.size;
      out.push({ type: 'tmpfs', destination: v.target, options: ['rw', 'nosuid', 'nodev', ...(size !== undefined ? [`size=${size}`] : []), ...(v.tmpfs?.mode !== undefined ? [`mode=${v.tmpfs.mode.toString(8)}`] : [])] });
    }
  }
  for (const t of svc.tmpfs ?? []) {
    const [dest, opts] = t.split(':');
    out.push({ type: 'tmpfs', destination: dest!, options: ['rw', 'nosuid', 'nodev', ...(opts ? opts.split(',') : [])] });
  }
  return out;
}

/** Resources, ulimits, devices, sysctls and logging; deploy.resources wins over the service's own keys, as in Docker Compose. */
function hostSettings(svc: ServiceConfig, projectDir: string): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  const limits = svc.deploy?.resources?.limits ?? {};
  const reservations = svc.deploy?.resources?.reservations ?? {};
  const resources: ResourceSpec = {};
  const memory = limits.memory ?? svc.mem_limit;
  if (memory !== undefined) resources.memory = Number(memory);
  const reservation = reservations.memory ?? svc.mem_reservation;
  if (reservation !== undefined) resources.memoryReservation = Number(reservation);
  if (svc.memswap_limit !== undefined) resources.memorySwap = Number(svc.memswap_limit);
  const cpus = limits.cpus ?? svc.cpus;
  if (cpus) resources.cpus = cpus;
  if (svc.cpu_shares !== undefined) resources.cpuShares = svc.cpu_shares;
  if (svc.cpuset !== undefined) resources.cpusetCpus = svc.cpuset;
  const pids = limits.pids ?? svc.pids_limit;
  if (pids !== undefined) resources.pidsLimit = pids <= 0 ? 0 : pids;
  if (Object.keys(resources).length) out.resources = resources;
  if (svc.shm_size !== undefined) out.shmSize = Number(svc.shm_size);
  if (svc.ulimits) {
    out.ulimits = Object.entries(svc.ulimits).map(([name, l]) => (typeof l === 'number' ? ulimit(name, l, l) : ulimit(name, l.soft, l.hard)));
  }
  if (svc.devices?.length) out.devices = svc.devices.map((d) => ({ source: d.source, destination: d.target, permissions: d.permissions }));
  if (svc.sysctls && Object.keys(svc.sysctls).length) out.sysctls = svc.sysctls;
  if (svc.logging?.driver) out.logDriver = logDriver(svc.logging.driver);
  if (svc.logging?.options) Object.assign(out, logOptions(svc.logging.options));
  if (out.logPath) out.logPath = posix.resolve(projectDir, out.logPath);
  return out;
}

function fileUse(use: ServiceSecretConfig, name: string, target: string): SecretUse {
  return { name, type: 'mount', target, uid: use.uid ? Number(use.uid) : 0, gid: use.gid ? Number(use.gid) : 0, mode: use.mode ?? 0o444 };
}

export interface SpecOptions {
  number: number;
  oneoff?: boolean;
  name?: string;
}

export function serviceSpec(project: ComposeProject, service: string, opts: SpecOptions): ContainerSpec {
  const svc = project.model.services[service]!;
  const where = `services.${service}`;
  const spec: ContainerSpec = {
    image: imageName(project, service),
    name: opts.name ?? containerName(project, service, opts.number),
    labels: {
      ...svc.labels,
      [LABEL.project]: project.name,
      [LABEL.service]: service,
      [LABEL.number]: String(opts.number),
      [LABEL.oneoff]: opts.oneoff ? 'True' : 'False',
      [LABEL.hash]: configHash(svc),
      [LABEL.workingDir]: project.workingDir,
      [LABEL.configFiles]: project.configFiles.join(','),
    },
    pull: 'never',
  };
  if (svc.command) spec.command = svc.command;
  if (svc.entrypoint) spec.entrypoint = svc.entrypoint;
  const env = Object.fromEntries(Object.entries(svc.environment ?? {}).filter((e): e is [string, string] => e[1] !== null));
  if (Object.keys(env).length) spec.env = env;
  if (svc.working_dir) spec.workingDir = svc.working_dir;
  if (svc.user) spec.user = svc.user;
  if (svc.hostname) spec.hostname = svc.hostname;
  if (svc.stop_signal) spec.stopSignal = svc.stop_signal;
  if (svc.stop_grace_period) spec.stopTimeout = seconds(svc.stop_grace_period, `${where}.stop_grace_period`);
  if (svc.tty) spec.terminal = true;
  if (svc.stdin_open) spec.stdin = true;
  if (svc.privileged) spec.privileged = true;
  if (svc.read_only) spec.readOnly = true;
  if (svc.init) spec.init = true;
  if (svc.cap_add) spec.capAdd = svc.cap_add;
  if (svc.cap_drop) spec.capDrop = svc.cap_drop;
  if (svc.dns) spec.dns = svc.dns;
  if (svc.dns_search) spec.dnsSearch = svc.dns_search;
  if (svc.extra_hosts) spec.addHosts = svc.extra_hosts.map((e) => e.replace('=', ':'));
  if (svc.restart) Object.assign(spec, restartPolicy(svc.restart, `${where}.restart`));
  const deployed = svc.deploy?.restart_policy;
  if (deployed) {
    // As Docker Compose: deploy.restart_policy wins over restart.
    const name = deployed.condition === 'none' ? 'no' : deployed.condition === 'on-failure' ? 'on-failure' : 'always';
    spec.restartPolicy = name;
    if (name === 'on-failure' && deployed.max_attempts) spec.restartRetries = deployed.max_attempts;
    else delete spec.restartRetries;
  }
  Object.assign(spec, hostSettings(svc, project.workingDir));
  const m = mounts(project, svc);
  if (m.length) spec.mounts = m;
  if (svc.network_mode) {
    spec.network = svc.network_mode.startsWith('service:') ? `container:${containerName(project, svc.network_mode.slice(8), 1)}` : svc.network_mode;
  } else {
    const networks: Record<string, NetworkAttachment> = {};
    for (const [key, n] of Object.entries(svc.networks ?? {})) {
      const attachment: NetworkAttachment = { aliases: [service, ...(n?.aliases ?? [])] };
      const ips = [n?.ipv4_address, n?.ipv6_address].filter((x): x is string => !!x);
      if (ips.length) attachment.ips = ips;
      networks[project.model.networks[key]!.name!] = attachment;
    }
    spec.network = 'bridge';
    spec.networks = networks;
  }
  if (!opts.oneoff || opts.name === undefined) {
    if (svc.ports?.length && !opts.oneoff) {
      spec.portMappings = svc.ports.flatMap((p, i) => {
        const hostIp = p.host_ip ? (p.host_ip.includes(':') ? `[${p.host_ip}]:` : `${p.host_ip}:`) : '';
        const text = p.published !== undefined ? `${hostIp}${p.published}:${p.target}/${p.protocol}` : hostIp ? `${hostIp}:${p.target}/${p.protocol}` : `${p.target}/${p.protocol}`;
        try {
          return parsePublish(text);
        } catch (e) {
          throw new ComposeFileError('compose', `${where}.ports[${i}]`, (e as Error).message);
        }
      });
    }
  }
  if (svc.expose?.length) spec.expose = svc.expose.flatMap((e) => parseExpose(e));
  if (svc.healthcheck) {
    const h = svc.healthcheck;
    if (h.disable || h.test?.[0] === 'NONE') spec.noHealthcheck = true;
    else {
      spec.healthcheck = {
        Test: h.test ?? [],
        ...(h.interval ? { Interval: nanos(h.interval, `${where}.healthcheck.interval`) } : {}),
        ...(h.timeout ? { Timeout: nanos(h.timeout, `${where}.healthcheck.timeout`) } : {}),
        ...(h.start_period ? { StartPeriod: nanos(h.start_period, `${where}.healthcheck.start_period`) } : {}),
        ...(h.retries !== undefined ? { Retries: h.retries } : {}),
      };
    }
  }
  // Configs travel as the engine's secrets too, mounted read-only at /<name> unless a target says otherwise.
  const files = [
    ...(svc.secrets ?? []).map((s) => fileUse(s, project.model.secrets[s.source]!.name!, s.target ?? s.source)),
    ...(svc.configs ?? []).map((c) => fileUse(c, project.model.configs[c.source]!.name!, posix.join('/', c.target ?? c.source))),
  ];
  if (files.length) spec.secrets = files;
  return spec;
}
