/**
 * Project operations over the engine interface: converge (`up`), tear down
 * (`down`), build, pull, and the lookups other commands share. Resources are
 * found again by their com.docker.compose.* labels, so a project can be
 * stopped or removed with its files changed or gone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerSummary, Engine } from '../engine/types.js';
import type { ComposeProject } from './loader.js';
import type { ConfigConfig, ServiceConfig } from './model.js';
import { LABEL, configHash, imageName, replicas, serviceSpec } from './specs.js';
import { InvalidArgumentError, TspodError } from '../util/errors.js';

/** Docker's driver option naming a bridge network's interface. */
const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

export type Progress = (line: string) => void;

export async function projectContainers(engine: Engine, project: string, opts: { all?: boolean; oneoff?: boolean } = {}): Promise<ContainerSummary[]> {
  const list = await engine.containers.list({ all: opts.all !== false, filters: [`label=${LABEL.project}=${project}`] });
  return list
    .filter((c) => opts.oneoff === undefined || (c.Labels?.[LABEL.oneoff] === 'True') === opts.oneoff)
    .sort((a, b) => (a.Labels?.[LABEL.service] ?? '').localeCompare(b.Labels?.[LABEL.service] ?? '') || Number(a.Labels?.[LABEL.number]) - Number(b.Labels?.[LABEL.number]));
}

export function serviceOf(c: ContainerSummary): string {
  return c.Labels?.[LABEL.service] ?? '';
}

export function nameOf(c: ContainerSummary): string {
  return c.Names[0] ?? c.Id.slice(0, 12);
}

/** The services one must wait for: depends_on, and the one whose network it shares (network_mode: service:NAME). */
export function dependenciesOf(svc: ServiceConfig): string[] {
  const deps = Object.keys(svc.depends_on ?? {});
  const shared = svc.network_mode?.startsWith('service:') ? svc.network_mode.slice(8) : undefined;
  return shared && !deps.includes(shared) ? [...deps, shared] : deps;
}

/** Services in an order where each comes after the ones it depends on. */
export function dependencyOrder(project: ComposeProject, only?: string[]): string[] {
  const services = project.model.services;
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new InvalidArgumentError(`dependency cycle: ${[...chain, name].join(' -> ')}: remove one of these depends_on`);
    if (!services[name]) throw new InvalidArgumentError(`no such service: ${name}`);
    state.set(name, 'visiting');
    for (const dep of dependenciesOf(services[name]!)) visit(dep, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of only?.length ? only : Object.keys(services)) visit(name, []);
  return order;
}

export async function ensureResources(engine: Engine, project: ComposeProject, progress: Progress): Promise<void> {
  const m = project.model;
  for (const [key, net] of Object.entries(m.networks)) {
    if (await engine.networks.exists(net.name!)) continue;
    if (net.external) throw new InvalidArgumentError(`network ${net.name} declared as external, but could not be found: create it with tspod network create ${net.name}`);
    const ipam = net.ipam?.config ?? [];
    await engine.networks.create({
      name: net.name,
      driver: net.driver ?? 'bridge',
      internal: net.internal,
      ipv6: net.enable_ipv6,
      labels: { ...net.labels, [LABEL.project]: project.name, [LABEL.network]: key },
      options: Object.fromEntries(Object.entries(net.driver_opts ?? {}).filter(([k]) => k !== BRIDGE_NAME_OPTION)),
      interfaceName: net.driver_opts?.[BRIDGE_NAME_OPTION],
      subnets: ipam.map((c) => c.subnet).filter((s): s is string => !!s),
      ...(ipam.some((c) => c.gateway) ? { gateways: ipam.map((c) => c.gateway ?? '') } : {}),
      ...(ipam.some((c) => c.ip_range) ? { ipRanges: ipam.map((c) => c.ip_range ?? '') } : {}),
    });
    progress(`Network ${net.name}  Created`);
  }
  for (const [key, vol] of Object.entries(m.volumes)) {
    if (await engine.volumes.exists(vol.name!)) continue;
    if (vol.external) throw new InvalidArgumentError(`external volume "${vol.name}" not found: create it with tspod volume create ${vol.name}`);
    await engine.volumes.create({ name: vol.name, driver: vol.driver, labels: { ...vol.labels, [LABEL.project]: project.name, [LABEL.volume]: key }, options: vol.driver_opts });
    progress(`Volume "${vol.name}"  Created`);
  }
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [key, source] of Object.entries(m[kind])) await ensureFileObject(engine, project, kind, key, source);
  }
}

/**
 * A secret's or config's content, kept as one of the engine's secrets
 * (configs too: the engine mounts both the same way), replaced when it changed.
 */
async function ensureFileObject(engine: Engine, project: ComposeProject, kind: 'secrets' | 'configs', key: string, source: ConfigConfig): Promise<void> {
  const what = kind.slice(0, -1);
  if (source.external) {
    if (!(await engine.secrets.exists(source.name!))) throw new InvalidArgumentError(`external ${what} "${source.name}" not found: create it with tspod secret create`);
    return;
  }
  let data: Buffer;
  if (source.file) {
    try {
      data = readFileSync(source.file);
    } catch {
      throw new InvalidArgumentError(`${kind}.${key}.file: cannot read ${source.file}: create the file or fix the path`);
    }
  } else if (source.environment !== undefined) {
    const value = project.env[source.environment];
    if (value === undefined) throw new InvalidArgumentError(`${kind}.${key}.environment: variable ${source.environment} is not set: set it or use file:`);
    data = Buffer.from(value);
  } else {
    data = Buffer.from(source.content ?? '');
  }
  if (data.length === 0) throw new InvalidArgumentError(`${kind}.${key}: is empty: tspod keeps ${kind} as secrets, which cannot be empty: give it some content`);
  if (await engine.secrets.exists(source.name!)) {
    const [info] = await engine.secrets.inspect([source.name!], { showSecret: true });
    if (!(info instanceof Error) && info?.SecretData === data.toString()) return;
  }
  const labels: Record<string, string> = { [LABEL.project]: project.name, ...(kind === 'configs' ? { [LABEL.config]: key } : {}) };
  await engine.secrets.create(source.name!, data, { labels, replace: true });
}

export async function buildService(engine: Engine, project: ComposeProject, service: string, progress: Progress): Promise<void> {
  const build = project.model.services[service]!.build!;
  const name = build.dockerfile ?? (existsSync(join(build.context, 'Containerfile')) ? 'Containerfile' : 'Dockerfile');
  const file = join(build.context, name);
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch {
    throw new InvalidArgumentError(`services.${service}.build: cannot read ${file}: give the Containerfile's name with dockerfile:`);
  }
  const image = imageName(project, service);
  progress(`Service ${service}  Building`);
  const { buildWithDefaults } = await import('../builder/buildWithDefaults.js');
  await buildWithDefaults(engine, {
    contextDir: build.context,
    containerfile: { path: file, name, content },
    tag: image,
    target: build.target,
    buildArgs: build.args,
    labels: { [LABEL.project]: project.name, [LABEL.service]: service },
  });
  progress(`Service ${service}  Built`);
}

/** Builds what needs building (all with build:, or only missing images) and pulls missing images. */
export async function prepareImages(engine: Engine, project: ComposeProject, services: string[], opts: { build?: boolean; noBuild?: boolean }, progress: Progress): Promise<void> {
  for (const service of services) {
    const svc = project.model.services[service]!;
    const image = imageName(project, service);
    const exists = await engine.images.exists(image);
    if (svc.build && !opts.noBuild && (opts.build || !exists)) await buildService(engine, project, service, progress);
    else if (!exists || svc.pull_policy === 'always') {
      if (svc.pull_policy === 'never') throw new InvalidArgumentError(`services.${service}: image ${image} is not stored and pull_policy is never: pull or build it first`);
      progress(`Image ${image}  Pulling`);
      await engine.images.pull(image, { policy: svc.pull_policy === 'always' ? 'always' : 'missing' });
      progress(`Image ${image}  Pulled`);
    }
  }
}

async function inspectState(engine: Engine, name: string): Promise<{ status: string; health: string; exitCode: number }> {
  const [info] = await engine.containers.inspect([name]);
  if (!info || info instanceof Error) throw info ?? new InvalidArgumentError(`no container ${name}`);
  const state = info.State as { Status: string; ExitCode: number; Health?: { Status: string } };
  return { status: state.Status, health: state.Health?.Status ?? '', exitCode: state.ExitCode };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until a dependency's containers meet its depends_on condition. */
export async function waitForCondition(engine: Engine, project: ComposeProject, dependency: string, condition: string, progress: Progress): Promise<void> {
  const containers = (await projectContainers(engine, project.name, { oneoff: false })).filter((c) => serviceOf(c) === dependency);
  for (const c of containers) {
    const name = nameOf(c);
    if (condition === 'service_healthy') {
      progress(`Container ${name}  Waiting`);
      for (;;) {
        const s = await inspectState(engine, name);
        if (s.health === 'healthy') break;
        if (s.health === '') throw new InvalidArgumentError(`container ${name} has no healthcheck: service_healthy needs a healthcheck on ${dependency}`);
        if (s.health === 'unhealthy') throw new TspodError(`dependency failed to start: container ${name} is unhealthy`);
        if (s.status !== 'running') throw new TspodError(`dependency failed to start: container ${name} exited (${s.exitCode})`);
        await delay(200);
      }
      progress(`Container ${name}  Healthy`);
    } else if (condition === 'service_completed_successfully') {
      progress(`Container ${name}  Waiting`);
      const [r] = await engine.containers.wait([name]);
      if (r?.error) throw r.error;
      if (r?.exitCode !== 0) throw new TspodError(`service "${dependency}" didn't complete successfully: exit ${r?.exitCode}`);
      progress(`Container ${name}  Exited`);
    }
  }
}

export interface UpOptions {
  services?: string[];
  build?: boolean;
  noBuild?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  noDeps?: boolean;
  removeOrphans?: boolean;
  noStart?: boolean;
  scale?: Record<string, number>;
  wait?: boolean;
  timeout?: number;
  /** How many services are created and started at once (COMPOSE_PARALLEL_LIMIT); unlimited when unset. */
  parallel?: number;
}

/** Runs at most `limit` of the functions given at once. */
function limiter(limit: number): <T>(run: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await run();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Creates, recreates and starts the services so they match the model; returns the containers now belonging to them. */
export async function up(engine: Engine, project: ComposeProject, opts: UpOptions, progress: Progress): Promise<string[]> {
  const targets = opts.noDeps ? (opts.services?.length ? opts.services : Object.keys(project.model.services)) : dependencyOrder(project, opts.services);
  for (const s of targets) if (!project.model.services[s]) throw new InvalidArgumentError(`no such service: ${s}`);
  const existing = await projectContainers(engine, project.name, { oneoff: false });
  const orphans = existing.filter((c) => !project.model.services[serviceOf(c)] && !project.disabled.includes(serviceOf(c)));
  if (orphans.length) {
    if (opts.removeOrphans) {
      for (const c of orphans) {
        await engine.containers.remove([nameOf(c)], { force: true, timeout: 10 });
        progress(`Container ${nameOf(c)}  Removed`);
      }
    } else {
      progress(`WARN[0000] Found orphan containers ([${orphans.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`);
    }
  }
  await ensureResources(engine, project, progress);
  await prepareImages(engine, project, targets, opts, progress);
  // Each service starts once the services it depends on are started and meet their condition;
  // independent services are created and started side by side.
  const names: string[] = [];
  const started = new Map<string, Promise<void>>();
  const slot = limiter(opts.parallel && opts.parallel > 0 ? opts.parallel : Infinity);
  const converge = async (service: string): Promise<void> => {
    const svc = project.model.services[service]!;
    if (!opts.noDeps) {
      const deps = dependenciesOf(svc).filter((d) => started.has(d));
      await Promise.all(deps.map((d) => started.get(d)));
      for (const [dep, d] of Object.entries(svc.depends_on ?? {})) await waitForCondition(engine, project, dep, d.condition, progress);
    }
    names.push(...(await slot(() => convergeService(engine, project, service, existing.filter((c) => serviceOf(c) === service), opts, progress))));
  };
  for (const service of targets) started.set(service, converge(service));
  const results = await Promise.allSettled(started.values());
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  if (opts.wait) {
    for (const service of targets) {
      const svc = project.model.services[service]!;
      const condition = svc.healthcheck && !svc.healthcheck.disable ? 'service_healthy' : 'service_started';
      await waitForCondition(engine, project, service, condition, progress);
    }
  }
  return names;
}

/** One service's containers made to match the model (scaled, recreated when changed) and started. */
async function convergeService(engine: Engine, project: ComposeProject, service: string, mine: ContainerSummary[], opts: UpOptions, progress: Progress): Promise<string[]> {
  const svc = project.model.services[service]!;
  const names: string[] = [];
  const hash = configHash(svc);
  const [inspected] = await engine.images.inspect([imageName(project, service)]);
  const imageId = inspected && !(inspected instanceof Error) ? inspected.Id : undefined;
  const want = opts.scale?.[service] ?? replicas(svc);
  for (const c of mine) {
    const n = Number(c.Labels?.[LABEL.number] ?? 0);
    if (n > want) {
      await engine.containers.remove([nameOf(c)], { force: true, timeout: 10 });
      progress(`Container ${nameOf(c)}  Removed`);
    }
  }
  for (let n = 1; n <= want; n++) {
    const spec = serviceSpec(project, service, { number: n });
    const current = mine.find((c) => Number(c.Labels?.[LABEL.number]) === n);
    if (current) {
      const changed = current.Labels?.[LABEL.hash] !== hash || (imageId !== undefined && current.ImageID !== imageId);
      if ((changed || opts.forceRecreate) && !opts.noRecreate) {
        progress(`Container ${nameOf(current)}  Recreate`);
        await engine.containers.remove([current.Id], { force: true, timeout: spec.stopTimeout ?? 10 });
        await engine.containers.create(spec);
        progress(`Container ${spec.name}  Recreated`);
      } else if (current.State === 'running') {
        progress(`Container ${spec.name}  Running`);
        names.push(spec.name!);
        continue;
      }
    } else {
      progress(`Container ${spec.name}  Creating`);
      const created = await engine.containers.create(spec);
      for (const w of created.warnings) progress(`WARN[0000] ${w}`);
      progress(`Container ${spec.name}  Created`);
    }
    names.push(spec.name!);
    if (opts.noStart) continue;
    progress(`Container ${spec.name}  Starting`);
    const [r] = await engine.containers.start([spec.name!]);
    if (r?.error) throw r.error;
    progress(`Container ${spec.name}  Started`);
  }
  return names;
}

export interface DownOptions {
  volumes?: boolean;
  rmi?: 'all' | 'local';
  removeOrphans?: boolean;
  timeout?: number;
}

/** Removes the project's containers, networks, compose-made secrets and (-v) volumes; with --rmi its images. */
export async function down(engine: Engine, project: ComposeProject | { name: string; model?: undefined }, opts: DownOptions, progress: Progress): Promise<void> {
  const all = await projectContainers(engine, project.name);
  const services = project.model?.services;
  const doomed = all.filter((c) => !services || opts.removeOrphans || services[serviceOf(c)] || c.Labels?.[LABEL.oneoff] === 'True' || (project as ComposeProject).disabled?.includes(serviceOf(c)));
  const images = new Set<string>();
  await Promise.all(
    doomed.map(async (c) => {
      progress(`Container ${nameOf(c)}  Stopping`);
      await engine.containers.stop([c.Id], { timeout: opts.timeout ?? 10, ignore: true });
      progress(`Container ${nameOf(c)}  Stopped`);
    }),
  );
  for (const c of doomed) images.add(c.Image);
  const removed = await Promise.all(
    doomed.map(async (c) => {
      const [r] = await engine.containers.remove([c.Id], { force: true, volumes: opts.volumes, timeout: 0 });
      if (!r?.error) progress(`Container ${nameOf(c)}  Removed`);
      return r?.error;
    }),
  );
  const failed = removed.find((e) => e !== undefined);
  if (failed) throw failed;
  const left = all.length - doomed.length;
  if (left) progress(`WARN[0000] ${left} orphan container(s) left: run down --remove-orphans to remove them`);
  const networks = await engine.networks.list({ filters: [`label=${LABEL.project}=${project.name}`] });
  for (const n of networks) {
    const [r] = await engine.networks.remove([n.name]);
    if (r?.error) progress(`WARN[0000] network ${n.name}: ${r.error.message}`);
    else progress(`Network ${n.name}  Removed`);
  }
  if (opts.volumes) {
    const volumes = await engine.volumes.list({ filters: [`label=${LABEL.project}=${project.name}`] });
    for (const v of volumes) {
      const [r] = await engine.volumes.remove([v.Name]);
      if (r?.error) progress(`WARN[0000] volume ${v.Name}: ${r.error.message}`);
      else progress(`Volume ${v.Name}  Removed`);
    }
  }
  const secrets = (await engine.secrets.list()).filter((s) => s.Spec.Labels?.[LABEL.project] === project.name);
  if (secrets.length) await engine.secrets.remove(secrets.map((s) => s.ID), { ignore: true });
  if (opts.rmi) {
    const locals = new Set(Object.keys(services ?? {}).filter((s) => !services![s]!.image).map((s) => `${project.name}-${s}`));
    for (const image of images) {
      const local = [...locals].some((l) => image === l || image.startsWith(`${l}:`) || image === `localhost/${l}:latest` || image === `localhost/${l}`);
      if (opts.rmi === 'local' && !local) continue;
      const report = await engine.images.remove([image], { ignore: true });
      if (!report.errors.length) progress(`Image ${image}  Removed`);
    }
  }
}

export { imageName };
