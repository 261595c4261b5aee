import { isInsecure, type RegistriesConf } from '../../config/registriesConf.js';
import type { ImageSearchResult, RegistryAccessOptions } from '../../engine/types.js';
import { InvalidArgumentError, TspodError, errorMessage } from '../../util/errors.js';
import { fullName, normalizeDockerHub, parseReference } from '../reference.js';
import { credentialsFor } from './authFile.js';
import { RegistryClient, readText } from './client.js';

/**
 * `search` as Podman does it: the term's registry (everything before the first
 * slash) or every unqualified-search registry; Docker's v1 search API where a
 * registry has one, else the v2 catalog filtered by substring; or, with
 * listTags, the tags of one repository.
 */

export interface SearchOptions extends RegistryAccessOptions {
  /** Results per registry; 0 or absent: 25. */
  limit?: number;
  listTags?: boolean;
  /** stars=N, is-official[=bool], is-automated[=bool]. */
  filters?: string[];
}

interface SearchFilter {
  stars: number;
  official?: boolean;
  automated?: boolean;
}

/** One hit, as the v1 API reports it (the catalog only knows names). */
interface Hit {
  name: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

const DEFAULT_LIMIT = 25;
const PARALLEL = 6;

export function parseSearchFilters(filters: string[]): SearchFilter {
  const filter: SearchFilter = { stars: 0 };
  for (const f of filters) {
    const eq = f.indexOf('=');
    const key = eq < 0 ? f : f.slice(0, eq);
    const value = eq < 0 ? undefined : f.slice(eq + 1);
    if (key === 'stars') {
      if (value === undefined) throw new InvalidArgumentError(`invalid filter "${f}": use stars=NUMBER`);
      if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError(`invalid filter "${f}": the number of stars must be an integer`);
      filter.stars = Number(value);
    } else if (key === 'is-official') {
      filter.official = value !== 'false';
    } else if (key === 'is-automated') {
      filter.automated = value !== 'false';
    } else {
      throw new InvalidArgumentError(`invalid filter type "${f}": use stars=N, is-official or is-automated`);
    }
  }
  return filter;
}

export async function searchRegistries(conf: RegistriesConf, term: string, opts: SearchOptions): Promise<ImageSearchResult[]> {
  const filter = parseSearchFilters(opts.filters ?? []);
  if (opts.listTags && (opts.filters?.length ?? 0) > 0) throw new InvalidArgumentError('filters do not apply to --list-tags: drop --filter');
  if (opts.limit !== undefined && opts.limit < 0) throw new InvalidArgumentError(`invalid --limit ${opts.limit}: give a positive number`);
  // No reference parsing here: a search term may hold anything, wildcards included.
  const slash = term.indexOf('/');
  const registries = slash >= 0 ? [term.slice(0, slash)] : conf.unqualifiedSearchRegistries;
  const query = slash >= 0 ? term.slice(slash + 1) : term;
  if (registries.length === 0) {
    throw new InvalidArgumentError(`no registry to search for "${term}": name one (REGISTRY/${term}) or set unqualified-search-registries in registries.conf`);
  }

  const outcomes: Array<{ results?: ImageSearchResult[]; error?: unknown }> = new Array(registries.length);
  let next = 0;
  const worker = async () => {
    while (next < registries.length) {
      const i = next++;
      try {
        outcomes[i] = { results: await searchOne(conf, registries[i]!, query, opts, filter) };
      } catch (error) {
        outcomes[i] = { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, registries.length) }, worker));

  const results = outcomes.flatMap((o) => o.results ?? []);
  const errors = outcomes.filter((o) => o.error !== undefined).map((o) => errorMessage(o.error));
  // As Podman: any registry that answered is taken to hold what was wanted.
  if (results.length > 0 || errors.length === 0) return results;
  throw new TspodError(errors.join('; '));
}

function clientFor(conf: RegistriesConf, registry: string, credentialsKey: string, opts: SearchOptions): RegistryClient {
  return new RegistryClient({
    registry,
    tlsVerify: opts.tlsVerify ?? !isInsecure(conf, registry),
    certDir: opts.certDir,
    credentials: opts.credentials ?? credentialsFor(credentialsKey, opts.authFile),
  });
}

async function searchOne(conf: RegistriesConf, registry: string, query: string, opts: SearchOptions, filter: SearchFilter): Promise<ImageSearchResult[]> {
  const limit = opts.limit || DEFAULT_LIMIT;
  if (opts.listTags) return listTags(conf, registry, query, opts, limit);
  // Docker Hub's catalog is disabled; its search API lives on the v1 index host.
  const client = clientFor(conf, registry === 'docker.io' ? 'index.docker.io' : registry, registry, opts);
  let hits: Hit[];
  try {
    hits = (query !== '' ? await v1Search(client, query, limit) : undefined) ?? (await catalogSearch(client, query, limit));
  } catch (e) {
    throw new TspodError(`searching registry ${registry}: ${errorMessage(e)}`, { cause: e });
  } finally {
    await client.close();
  }
  const dockerHub = registry.split('.').slice(-2).join('.') === 'docker.io';
  return hits
    .slice(0, limit)
    .filter((h) => (h.star_count ?? 0) >= filter.stars)
    .filter((h) => filter.official === undefined || (h.is_official === true) === filter.official)
    .filter((h) => filter.automated === undefined || (h.is_automated === true) === filter.automated)
    .map((h) => ({
      Index: registry,
      Name: dockerHub && !h.name.includes('/') ? `docker.io/library/${h.name}` : `${registry}/${h.name}`,
      Description: (h.description ?? '').replace(/\n/g, ' '),
      Stars: h.star_count ?? 0,
      Official: h.is_official ? '[OK]' : '',
      Automated: h.is_automated ? '[OK]' : '',
      Tag: '',
    }));
}

/** Docker's /v1/search; undefined when the registry does not offer it. */
async function v1Search(client: RegistryClient, query: string, limit: number): Promise<Hit[] | undefined> {
  try {
    const res = await client.request('GET', `/v1/search?${new URLSearchParams({ q: query, n: String(limit) })}`);
    const text = await readText(res.body);
    if (res.status !== 200) return undefined;
    const parsed = JSON.parse(text) as { results?: Hit[] };
    return Array.isArray(parsed.results) ? parsed.results.filter((h) => typeof h?.name === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/** The repositories in /v2/_catalog (following its pages) whose names contain the query, an exact match first. */
async function catalogSearch(client: RegistryClient, query: string, limit: number): Promise<Hit[]> {
  const hits: Hit[] = [];
  let path: string | undefined = '/v2/_catalog';
  while (path && hits.length < limit) {
    const res = await client.request('GET', path, { scope: 'registry:catalog:*', expect: [200] });
    const page = parseJson<{ repositories?: unknown }>(await readText(res.body), '/v2/_catalog');
    for (const repo of Array.isArray(page.repositories) ? page.repositories : []) {
      if (hits.length >= limit) break;
      if (typeof repo !== 'string' || !repo.includes(query)) continue;
      if (repo === query) hits.unshift({ name: repo });
      else hits.push({ name: repo });
    }
    path = nextPage(res.headers.link);
  }
  return hits;
}

async function listTags(conf: RegistriesConf, registry: string, query: string, opts: SearchOptions, limit: number): Promise<ImageSearchResult[]> {
  let name: string;
  let domain: string;
  let repository: string;
  try {
    const ref = parseReference(`${registry}/${query}`);
    const normalized = normalizeDockerHub({ ...ref, domain: ref.domain ?? 'docker.io' });
    name = fullName(normalized);
    domain = normalized.domain!;
    repository = normalized.path;
  } catch {
    throw new InvalidArgumentError(`"${query}" is not a repository name: --list-tags needs REGISTRY/REPOSITORY (or a repository on the unqualified-search registries)`);
  }
  const client = clientFor(conf, domain, name, opts);
  const tags: string[] = [];
  try {
    let path: string | undefined = `/v2/${repository}/tags/list`;
    while (path) {
      const res = await client.request('GET', path, { scope: `repository:${repository}:pull`, expect: [200] });
      const page = parseJson<{ tags?: unknown }>(await readText(res.body), `${repository}/tags/list`);
      if (Array.isArray(page.tags)) tags.push(...page.tags.filter((t): t is string => typeof t === 'string'));
      path = nextPage(res.headers.link);
    }
  } catch (e) {
    throw new TspodError(`listing the tags of ${name}: ${errorMessage(e)}`, { cause: e });
  } finally {
    await client.close();
  }
  return tags.slice(0, limit).map((tag) => ({ Index: registry, Name: name, Description: '', Stars: 0, Official: '', Automated: '', Tag: tag }));
}

/** The path and query of a `Link: <URL>; rel="next"` header, absolute or relative. */
function nextPage(link: string | string[] | undefined): string | undefined {
  const text = Array.isArray(link) ? link[0] : link;
  if (!text) return undefined;
  const target = /^\s*<([^>]*)>/.exec(text)?.[1];
  if (!target) return undefined;
  const url = new URL(target, 'http://registry.invalid');
  return `${url.pathname}${url.search}`;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new TspodError(`the registry's ${what} response is not JSON`);
  }
}
