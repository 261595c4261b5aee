/**
 * Engine image reports as the Docker Engine API shapes them: ids with
 * `sha256:`, Docker Hub names in their familiar form (`busybox:latest`),
 * Unix seconds in lists and RFC 3339 with nanoseconds in inspect, and the
 * fields each API version has or drops.
 */
import type { ImageHistoryEntry, ImageInspectReport, ImageRemoveReport, ImageSearchResult, ImageSummary } from '../../engine/types.js';
import { familiarName, parseReference } from '../../image/reference.js';
import { pathMatch } from '../../util/pathMatch.js';

/** `a.b` or `a.b.c` compared numerically; an absent version is the newest. */
export function versionBefore(apiVersion: string | undefined, than: string): boolean {
  if (apiVersion === undefined) return false;
  const a = apiVersion.split('.').map(Number);
  const b = than.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

export function dockerId(id: string): string {
  return id.startsWith('sha256:') ? id : `sha256:${id}`;
}

/**
 * A stored name as Docker prints it: `docker.io/library/busybox:1` is `busybox:1`,
 * and `localhost/x:1`, where the engine keeps names given without a registry, is
 * `x:1` as the client named it; other registries keep their host.
 */
export function familiarReference(name: string): string {
  if (name.startsWith('localhost/')) return name.slice('localhost/'.length);
  if (!name.startsWith('docker.io/') && !name.startsWith('index.docker.io/')) return name;
  try {
    const ref = parseReference(name);
    return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
  } catch {
    return name;
  }
}

export interface DockerImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string>;
  Containers: number;
}

/**
 * One entry of `GET /images/json`. Before API 1.43 an image with neither tag
 * nor digest shows `<none>:<none>` / `<none>@<none>`; from 1.44 VirtualSize is gone.
 */
export function imageSummary(s: ImageSummary, apiVersion: string | undefined): DockerImageSummary {
  let repoTags = s.RepoTags.map(familiarReference);
  let repoDigests = s.RepoDigests.map(familiarReference);
  if (repoTags.length === 0 && repoDigests.length === 0 && versionBefore(apiVersion, '1.43')) {
    repoTags = ['<none>:<none>'];
    repoDigests = ['<none>@<none>'];
  }
  const out: DockerImageSummary = {
    Id: dockerId(s.Id),
    ParentId: s.ParentId ? dockerId(s.ParentId) : '',
    RepoTags: repoTags,
    RepoDigests: repoDigests,
    Created: s.Created,
    Size: s.Size,
    SharedSize: s.SharedSize,
    Labels: s.Labels ?? {},
    Containers: s.Containers,
  };
  if (versionBefore(apiVersion, '1.44')) out.VirtualSize = s.Size;
  return out;
}

/**
 * With `reference` filters Docker lists only the names that match one of them
 * (as Go's path.Match against `name:tag`, or against the name alone).
 */
export function keepMatchingReferences(image: DockerImageSummary, patterns: string[]): DockerImageSummary {
  if (patterns.length === 0) return image;
  const matches = (ref: string) => {
    const name = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.slice(0, ref.lastIndexOf(':')) : ref;
    return patterns.some((p) => pathMatch(p, ref) || pathMatch(p, name));
  };
  return { ...image, RepoTags: image.RepoTags.filter(matches), RepoDigests: image.RepoDigests.filter(matches) };
}

/**
 * Docker's `filters` for images (`dangling`, `label`, `reference`, `before`, `since`, `until`)
 * as the engine's; `dangling=true` and `dangling=1` are the same.
 */
export function imageListFilters(filters: string[]): string[] {
  return filters.map((f) => {
    if (f === 'dangling=1') return 'dangling=true';
    if (f === 'dangling=0') return 'dangling=false';
    return f;
  });
}

/** Go's RFC3339Nano: the given time with its offset, fractional seconds without trailing zeros. */
export function rfc3339Nano(value: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(value);
  if (m) {
    const fraction = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
    return `${m[1]}${fraction ? `.${fraction}` : ''}${m[3]!.toUpperCase()}`;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? '0001-01-01T00:00:00Z' : rfc3339Nano(new Date(ms).toISOString());
}

/** The container config of an image as Docker's inspect shows it: every field present, zero values rather than null. */
export function dockerContainerConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Hostname: '',
    Domainname: '',
    User: config.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
  };
  if (config.ExposedPorts && Object.keys(config.ExposedPorts).length) out.ExposedPorts = config.ExposedPorts;
  Object.assign(out, {
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: config.Env ?? null,
    Cmd: config.Cmd ?? null,
  });
  if (config.Healthcheck) out.Healthcheck = config.Healthcheck;
  if (config.ArgsEscaped) out.ArgsEscaped = config.ArgsEscaped;
  Object.assign(out, {
    Image: '',
    Volumes: config.Volumes ?? null,
    WorkingDir: config.WorkingDir ?? '',
    Entrypoint: config.Entrypoint ?? null,
    OnBuild: config.OnBuild ?? null,
    Labels: config.Labels ?? null,
  });
  if (config.StopSignal) out.StopSignal = config.StopSignal;
  if (config.Shell) out.Shell = config.Shell;
  return out;
}

/** `GET /images/{name}/json`. */
export function imageInspect(r: ImageInspectReport, apiVersion: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: dockerId(r.Id),
    RepoTags: r.RepoTags.map(familiarReference),
    RepoDigests: r.RepoDigests.map(familiarReference),
    Parent: r.Parent ? dockerId(r.Parent) : '',
    Comment: r.Comment,
    Created: rfc3339Nano(r.Created),
  };
  if (versionBefore(apiVersion, '1.45')) {
    out.Container = '';
    out.ContainerConfig = dockerContainerConfig({});
  }
  Object.assign(out, {
    DockerVersion: r.Version,
    Author: r.Author,
    Config: dockerContainerConfig(r.Config),
    Architecture: r.Architecture,
    Os: r.Os,
    Size: r.Size,
  });
  if (versionBefore(apiVersion, '1.44')) out.VirtualSize = r.VirtualSize;
  Object.assign(out, {
    GraphDriver: { Name: r.GraphDriver.Name, Data: Object.keys(r.GraphDriver.Data).length ? r.GraphDriver.Data : null },
    RootFS: { Type: r.RootFS.Type, Layers: r.RootFS.Layers },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  });
  return out;
}

/** `GET /images/{name}/history`: newest first; only entries that are images have an id. */
export function imageHistory(entries: ImageHistoryEntry[]): Array<Record<string, unknown>> {
  return entries.map((e) => ({
    Id: e.id === '<missing>' ? '<missing>' : dockerId(e.id),
    Created: Math.floor(e.created / 1000),
    CreatedBy: e.createdBy,
    Tags: e.tags.map(familiarReference),
    Size: e.size,
    Comment: e.comment,
  }));
}

/** `DELETE /images/{name}`: what was untagged, then what was deleted. */
export function imageDeleteResponse(report: ImageRemoveReport): Array<{ Untagged: string } | { Deleted: string }> {
  return [...report.untagged.map((name) => ({ Untagged: familiarReference(name) })), ...report.deleted.map((id) => ({ Deleted: dockerId(id) }))];
}

/** `GET /images/search`. */
export function searchResult(r: ImageSearchResult): Record<string, unknown> {
  return {
    description: r.Description,
    is_official: r.Official === '[OK]',
    is_automated: r.Automated === '[OK]',
    name: r.Name,
    star_count: r.Stars,
  };
}

/**
 * Whether Docker would reach a registry without TLS verification: one on this
 * machine (localhost, 127.0.0.0/8, ::1), which Docker treats as insecure by default.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.split('/')[0]!.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The JSON of `X-Registry-Auth` (base64url, padding optional): a registry's credentials, when the header carries any. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

export function decodeRegistryAuth(header: string | undefined): RegistryAuth | undefined {
  if (!header) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  const str = (k: string) => (typeof p[k] === 'string' && p[k] !== '' ? (p[k] as string) : undefined);
  return { username: str('username'), password: str('password'), serveraddress: str('serveraddress'), identitytoken: str('identitytoken') };
}

/**
 * The engine's credentials in a decoded X-Registry-Auth (or one X-Registry-Config entry):
 * an identity token stands in for the password (the registry's token service takes it as a
 * refresh token, as Podman passes it on); a username alone with no password is nothing.
 */
export function registryCredentials(auth: RegistryAuth | undefined): { username: string; password: string; identityToken?: string } | undefined {
  if (!auth) return undefined;
  if (auth.identitytoken) return { username: auth.username ?? '', password: auth.password ?? '', identityToken: auth.identitytoken };
  if (auth.username && auth.password !== undefined) return { username: auth.username, password: auth.password };
  return undefined;
}

/**
 * `X-Registry-Config` of a build: registry address -> credentials. The entry for `registry`,
 * trying the address as given and with Docker Hub's historical index URL.
 */
export function decodeRegistryConfig(header: string | undefined): Record<string, RegistryAuth> {
  if (!header) return {};
  try {
    const parsed = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const out: Record<string, RegistryAuth> = {};
    for (const [registry, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (value && typeof value === 'object') {
        const v = value as Record<string, unknown>;
        const str = (k: string) => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : undefined);
        out[registry.replace(/^https?:\/\//, '').replace(/\/.*$/, '')] = {
          username: str('username'),
          password: typeof v.password === 'string' ? v.password : undefined,
          ...(str('identitytoken') && { identitytoken: str('identitytoken') }),
        };
      }
    }
    return out;
  } catch {
    return {};
  }
}
