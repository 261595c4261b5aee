/**
 * Engine reports and options <-> Podman 4.3's libpod JSON, for the reports
 * that are not podman-shaped already (those cross unchanged). Each pair is
 * used by the API server one way and the remote client the other; pure.
 * Where Podman's shape drops something the engine reports, a field is added
 * (Podman's clients ignore fields they do not know).
 */
import type { EventRecord, EventType } from '../../engine/eventTypes.js';
import type { ContainerStatsReport } from '../../engine/statsTypes.js';
import type {
  ContainerSummary,
  RemoteBuildOptions,
  ImageHistoryEntry,
  NetworkCreateOptions,
  PodCreateOptions,
  SystemDfReport,
  SystemPruneReport,
} from '../../engine/types.js';
import type { ContainerSpec } from '../../engine/spec/containerSpec.js';
import { specFromSpecGenerator, specToSpecGenerator, FieldReader, type SpecGenerator } from './specgen.js';
import { BadInputError } from '../../util/errors.js';

// ------------------------------------------------------------------ build

/** The tar entry a remote client puts the Containerfile's text in (the service takes it out before building). */
export const BUILD_CONTAINERFILE_ENTRY = '.tspod-build-containerfile';

export function buildQuery(o: RemoteBuildOptions): Record<string, string | string[] | boolean | number | undefined> {
  return {
    dockerfile: o.containerfileInContext ?? BUILD_CONTAINERFILE_ENTRY,
    containerfilename: o.containerfileName,
    ignorefile: o.ignoreFile,
    t: o.tags.length ? o.tags : undefined,
    target: o.target,
    buildargs: JSON.stringify(o.buildArgs),
    nocache: o.noCache,
    layers: o.layers,
    squash: o.squash,
    squashAll: o.squashAll,
    pullpolicy: o.pull,
    format: o.format,
    labels: JSON.stringify(o.labels),
    annotation: Object.entries(o.annotations).map(([k, v]) => `${k}=${v}`),
    network: o.network,
    jobs: o.jobs >= Number.MAX_SAFE_INTEGER ? 0 : o.jobs,
    q: o.quiet,
    stderr: true,
  };
}

// ------------------------------------------------------------- containers

/**
 * A `ps` row as Podman's API sends it: Created as a time (the CLI's JSON has
 * Unix seconds) and Status the health alone (Podman's client makes the
 * human status itself); the engine's human status rides in StatusText.
 */
export function containerListEntry(c: ContainerSummary): Record<string, unknown> {
  const health = /\((healthy|unhealthy|starting)\)$/.exec(c.Status);
  return { ...c, Created: new Date(c.Created * 1000).toISOString(), Status: health ? health[1] : '', StatusText: c.Status };
}

export function containerListEntryFrom(c: Record<string, unknown>): ContainerSummary {
  const { StatusText, ...rest } = c;
  const created = typeof c.Created === 'string' ? Math.floor(Date.parse(c.Created) / 1000) : (c.Created as number);
  return { ...(rest as unknown as ContainerSummary), Created: created, Status: typeof StatusText === 'string' ? StatusText : String(c.Status ?? '') };
}

// ------------------------------------------------------------------ stats

/** Podman's ContainerStats, with the start time the CPU average needs (StartedAt). */
export interface LibpodContainerStats {
  ContainerID: string;
  Name: string;
  StartedAt: string;
  CPUNano?: number;
  SystemNano?: number;
  MemUsage?: number;
  MemLimit?: number;
  MemPerc?: number;
  NetInput?: number;
  NetOutput?: number;
  BlockInput?: number;
  BlockOutput?: number;
  PIDs?: number;
  UpTime?: number;
}

export function containerStatsEntry(r: ContainerStatsReport): LibpodContainerStats {
  const out: LibpodContainerStats = { ContainerID: r.id, Name: r.name, StartedAt: r.startedAt };
  const s = r.sample;
  if (s) {
    Object.assign(out, {
      CPUNano: s.cpuNanos,
      SystemNano: s.timeNanos,
      MemUsage: s.memUsage,
      MemLimit: s.memLimit,
      MemPerc: s.memLimit > 0 ? (s.memUsage / s.memLimit) * 100 : 0,
      NetInput: s.netRx,
      NetOutput: s.netTx,
      BlockInput: s.blockRead,
      BlockOutput: s.blockWrite,
      PIDs: s.pids,
      UpTime: Math.max(0, s.timeNanos - Date.parse(r.startedAt) * 1e6),
    });
  }
  return out;
}

export function containerStatsFromEntry(e: LibpodContainerStats): ContainerStatsReport {
  const report: ContainerStatsReport = { id: e.ContainerID, name: e.Name, startedAt: e.StartedAt };
  if (e.SystemNano !== undefined) {
    report.sample = {
      cpuNanos: e.CPUNano ?? 0,
      memUsage: e.MemUsage ?? 0,
      memLimit: e.MemLimit ?? 0,
      pids: e.PIDs ?? 0,
      netRx: e.NetInput ?? 0,
      netTx: e.NetOutput ?? 0,
      blockRead: e.BlockInput ?? 0,
      blockWrite: e.BlockOutput ?? 0,
      timeNanos: e.SystemNano,
    };
  }
  return report;
}

// ----------------------------------------------------------------- events

/** Podman's API event (Docker's events.Message): name, image and exit code ride in the attributes. */
export function eventToLibpod(e: EventRecord): Record<string, unknown> {
  const attributes: Record<string, string> = { ...(e.Attributes ?? {}) };
  if (e.Image) attributes.image = e.Image;
  attributes.name = e.Name;
  if (e.ContainerExitCode !== undefined) attributes.containerExitCode = String(e.ContainerExitCode);
  const ns = BigInt(e.TimeNano);
  return {
    status: e.Status,
    id: e.ID,
    from: e.Image,
    Type: e.Type,
    Action: e.Status,
    Actor: { ID: e.ID, Attributes: attributes },
    scope: 'local',
    time: Number(ns / 1_000_000_000n),
    // A placeholder the writer replaces by the exact integer (beyond a double's precision).
    timeNano: `@@${e.TimeNano}@@`,
  };
}

/** One event as a JSON line, with timeNano as the exact integer. */
export function eventLine(e: EventRecord): string {
  return `${JSON.stringify(eventToLibpod(e)).replace(/"@@(\d+)@@"/, '$1')}\n`;
}

/** A JSON line of the events stream -> the engine's record (timeNano read from the text, exactly). */
export function eventFromLine(line: string): EventRecord {
  const m = /"timeNano":\s*(\d+)/.exec(line);
  const raw = JSON.parse(line) as {
    Type: string;
    Action?: string;
    status?: string;
    id?: string;
    from?: string;
    time?: number;
    Actor?: { ID?: string; Attributes?: Record<string, string> };
  };
  const attributes = { ...(raw.Actor?.Attributes ?? {}) };
  const name = attributes.name ?? '';
  const image = attributes.image ?? '';
  // The engine's own records keep containerExitCode among the attributes too.
  const exit = attributes.containerExitCode;
  delete attributes.name;
  delete attributes.image;
  const record: EventRecord = {
    ID: raw.Actor?.ID ?? raw.id ?? '',
    Name: name,
    Image: image,
    Type: raw.Type as EventType,
    Status: raw.Action ?? raw.status ?? '',
    TimeNano: m ? m[1]! : String(BigInt(raw.time ?? 0) * 1_000_000_000n),
  };
  if (Object.keys(attributes).length > 0) record.Attributes = attributes;
  if (exit !== undefined) record.ContainerExitCode = Number(exit);
  return record;
}

/** Unix nanoseconds as Podman's servers parse since/until: `seconds.nanoseconds`. */
export function nanosParam(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  return `${sign}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}

// ---------------------------------------------------------------- history

export interface LibpodHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
  /** The timestamp as the image config has it. */
  CreatedRaw: string;
}

export function historyToLibpod(h: ImageHistoryEntry): LibpodHistoryEntry {
  return { Id: h.id, Created: Math.floor(h.created / 1000), CreatedBy: h.createdBy, Tags: h.tags.length ? h.tags : null, Size: h.size, Comment: h.comment, CreatedRaw: h.createdRaw };
}

export function historyFromLibpod(h: LibpodHistoryEntry): ImageHistoryEntry {
  const parsed = h.CreatedRaw ? Date.parse(h.CreatedRaw) : NaN;
  return {
    id: h.Id,
    created: Number.isNaN(parsed) ? h.Created * 1000 : parsed,
    createdRaw: h.CreatedRaw ?? new Date(h.Created * 1000).toISOString(),
    createdBy: h.CreatedBy,
    size: h.Size,
    comment: h.Comment,
    tags: h.Tags ?? [],
  };
}

// --------------------------------------------------------------------- df

export function dfToLibpod(df: SystemDfReport): Record<string, unknown> {
  return {
    ImagesSize: df.imagesSize,
    ImagesReclaimable: df.imagesReclaimable,
    Images: df.images.map((i) => ({
      Repository: i.repository,
      Tag: i.tag,
      ImageID: i.id,
      Created: new Date(i.created * 1000).toISOString(),
      CreatedUnix: i.created,
      Size: i.size,
      SharedSize: i.sharedSize,
      UniqueSize: i.uniqueSize,
      Containers: i.containers,
    })),
    Containers: df.containers.map((c) => ({
      ContainerID: c.id,
      Image: c.image,
      Command: c.command ? [c.command] : [],
      LocalVolumes: c.localVolumes,
      Size: c.size,
      RWSize: c.size,
      Created: new Date(c.created * 1000).toISOString(),
      CreatedUnix: c.created,
      Status: c.status,
      Names: c.names,
      Running: c.running,
    })),
    Volumes: df.volumes.map((v) => ({ VolumeName: v.name, Links: v.links, Size: v.size, ReclaimableSize: v.links > 0 ? 0 : v.size })),
  };
}

export function dfFromLibpod(body: Record<string, any>): SystemDfReport {
  const created = (x: { CreatedUnix?: number; Created?: string }) => x.CreatedUnix ?? Date.parse(x.Created ?? '') / 1000;
  return {
    imagesSize: body.ImagesSize ?? 0,
    imagesReclaimable: body.ImagesReclaimable ?? 0,
    images: (body.Images ?? []).map((i: any) => ({
      id: i.ImageID,
      repository: i.Repository,
      tag: i.Tag,
      created: created(i),
      size: i.Size,
      sharedSize: i.SharedSize,
      uniqueSize: i.UniqueSize,
      containers: i.Containers,
    })),
    containers: (body.Containers ?? []).map((c: any) => ({
      id: c.ContainerID,
      image: c.Image,
      command: Array.isArray(c.Command) ? c.Command.join(' ') : String(c.Command ?? ''),
      localVolumes: c.LocalVolumes,
      size: c.Size,
      created: created(c),
      status: c.Status,
      names: c.Names,
      running: c.Running ?? /^Up/.test(c.Status ?? ''),
    })),
    volumes: (body.Volumes ?? []).map((v: any) => ({ name: v.VolumeName, links: v.Links, size: v.Size })),
  };
}

// ------------------------------------------------------------ system prune

export function pruneToLibpod(p: SystemPruneReport): Record<string, unknown> {
  return {
    PodPruneReport: p.pods.map((id) => ({ Id: id, Err: null })),
    ContainerPruneReports: p.containers.map((id) => ({ Id: id, Size: 0, Err: null })),
    ImagePruneReports: p.images.map((id) => ({ Id: id, Size: 0, Err: null })),
    NetworkPruneReports: p.networks.map((name) => ({ Name: name, Error: null })),
    VolumePruneReports: p.volumes.map((name) => ({ Id: name, Size: 0, Err: null })),
    ReclaimedSpace: p.reclaimed,
    Errors: p.errors,
  };
}

export function pruneFromLibpod(b: Record<string, any>): SystemPruneReport {
  const ids = (list: any[] | null | undefined, key = 'Id') => (list ?? []).map((x) => String(x[key]));
  return {
    pods: ids(b.PodPruneReport),
    containers: ids(b.ContainerPruneReports),
    images: ids(b.ImagePruneReports),
    networks: ids(b.NetworkPruneReports, 'Name'),
    volumes: ids(b.VolumePruneReports),
    reclaimed: b.ReclaimedSpace ?? 0,
    errors: b.Errors ?? [],
  };
}

// ------------------------------------------------------------- pod create

const POD_NETWORK_KEYS = ['netns', 'Networks', 'portmappings', 'publish_image_ports', 'expose', 'dns_server', 'dns_search', 'dns_option', 'hostadd'] as const;

export function podCreateToLibpod(o: PodCreateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const copy = (key: string, value: unknown) => {
    if (value !== undefined) body[key] = value;
  };
  copy('name', o.name);
  copy('labels', o.labels);
  copy('hostname', o.hostname);
  if (o.infra === false) body.no_infra = true;
  copy('infra_image', o.infraImage);
  copy('infra_command', o.infraCommand);
  copy('infra_name', o.infraName);
  copy('shared_namespaces', o.share);
  copy('share_parent', o.shareParent);
  copy('cgroup_parent', o.cgroupParent);
  copy('exit_policy', o.exitPolicy);
  copy('pod_create_command', o.createCommand);
  copy('infra_conmon_pid_file', o.infraConmonPidFile);
  if (o.network) {
    const g = specToSpecGenerator({ image: '', ...o.network } as ContainerSpec) as unknown as Record<string, unknown>;
    for (const key of POD_NETWORK_KEYS) copy(key, g[key]);
    if (o.network.noHosts) body.no_manage_hosts = true;
  }
  return body;
}

export function podCreateFromLibpod(body: Record<string, unknown>): PodCreateOptions {
  const r = new FieldReader(body);
  const o: PodCreateOptions = {};
  const set = <K extends keyof PodCreateOptions>(key: K, value: PodCreateOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  set('name', r.string('name') || undefined);
  set('labels', r.stringMap('labels'));
  set('hostname', r.string('hostname') || undefined);
  if (r.bool('no_infra')) o.infra = false;
  set('infraImage', r.string('infra_image') || undefined);
  set('infraCommand', r.strings('infra_command'));
  set('infraName', r.string('infra_name') || undefined);
  set('share', r.strings('shared_namespaces'));
  set('shareParent', r.exactBool('share_parent'));
  set('cgroupParent', r.string('cgroup_parent') || undefined);
  const exit = r.string('exit_policy');
  if (exit) {
    if (exit !== 'continue' && exit !== 'stop') throw new BadInputError(`field exit_policy: invalid policy "${exit}": use continue or stop`);
    o.exitPolicy = exit;
  }
  set('createCommand', r.strings('pod_create_command'));
  set('infraConmonPidFile', r.string('infra_conmon_pid_file') || undefined);
  const networkBody: Record<string, unknown> = { image: 'pod' };
  let any = false;
  for (const key of POD_NETWORK_KEYS) {
    if (body[key] !== undefined && body[key] !== null) {
      networkBody[key] = body[key];
      any = true;
    }
  }
  if (r.bool('no_manage_hosts')) {
    networkBody.use_image_hosts = true;
    any = true;
  }
  if (any) {
    const spec = specFromSpecGenerator(networkBody);
    const network: NonNullable<PodCreateOptions['network']> = {};
    for (const key of ['network', 'networks', 'portMappings', 'publishAll', 'expose', 'dns', 'dnsSearch', 'dnsOptions', 'addHosts', 'noHosts'] as const) {
      if (spec[key] !== undefined) (network as Record<string, unknown>)[key] = spec[key];
    }
    o.network = network;
  }
  return o;
}

// --------------------------------------------------------- network create

export function networkCreateToLibpod(o: NetworkCreateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (o.name !== undefined) body.name = o.name;
  if (o.driver !== undefined) body.driver = o.driver;
  if (o.subnets?.length) {
    body.subnets = o.subnets.map((subnet, i) => ({
      subnet,
      ...(o.gateways?.[i] ? { gateway: o.gateways[i] } : {}),
      ...(o.ipRanges?.[i] ? { lease_range: { ip_range: o.ipRanges[i] } } : {}),
    }));
  }
  // Gateways and ranges beyond the subnets: the engine reports that mistake, so they travel too.
  if ((o.gateways?.length ?? 0) > (o.subnets?.length ?? 0)) body.gateways = o.gateways;
  if ((o.ipRanges?.length ?? 0) > (o.subnets?.length ?? 0)) body.ip_ranges = o.ipRanges;
  if (o.internal) body.internal = true;
  if (o.disableDns) body.dns_enabled = false;
  if (o.ipv6) body.ipv6_enabled = true;
  if (o.labels) body.labels = o.labels;
  if (o.options) body.options = o.options;
  if (o.interfaceName !== undefined) body.network_interface = o.interfaceName;
  if (o.ipamDriver !== undefined) body.ipam_options = { driver: o.ipamDriver };
  return body;
}

export function networkCreateFromLibpod(body: Record<string, unknown>, ignore: boolean): NetworkCreateOptions {
  const r = new FieldReader(body);
  const o: NetworkCreateOptions = {};
  const name = r.string('name');
  if (name) o.name = name;
  const driver = r.string('driver');
  if (driver) o.driver = driver;
  const subnets = r.objects('subnets') ?? [];
  if (subnets.length) {
    o.subnets = [];
    const gateways: string[] = [];
    const ranges: string[] = [];
    subnets.forEach((s, i) => {
      const sr = new FieldReader(s, `subnets[${i}].`);
      const subnet = sr.string('subnet');
      if (!subnet) throw new BadInputError(`field subnets[${i}].subnet is required`);
      o.subnets!.push(subnet);
      gateways[i] = sr.string('gateway') ?? '';
      const lease = sr.object('lease_range');
      ranges[i] = lease ? String(lease.ip_range ?? (lease.start_ip && lease.end_ip ? `${lease.start_ip}-${lease.end_ip}` : '')) : '';
    });
    if (gateways.some(Boolean)) o.gateways = gateways;
    if (ranges.some(Boolean)) o.ipRanges = ranges;
  }
  const extraGateways = r.strings('gateways');
  if (extraGateways) o.gateways = extraGateways;
  const extraRanges = r.strings('ip_ranges');
  if (extraRanges) o.ipRanges = extraRanges;
  if (r.bool('internal')) o.internal = true;
  if (r.exactBool('dns_enabled') === false) o.disableDns = true;
  if (r.bool('ipv6_enabled')) o.ipv6 = true;
  const labels = r.stringMap('labels');
  if (labels) o.labels = labels;
  const options = r.stringMap('options');
  if (options) o.options = options;
  const iface = r.string('network_interface');
  if (iface) o.interfaceName = iface;
  const ipam = r.stringMap('ipam_options');
  if (ipam?.driver) o.ipamDriver = ipam.driver;
  if (ignore) o.ignore = true;
  return o;
}

export type { SpecGenerator };
