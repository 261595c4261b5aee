import { existsSync } from 'node:fs';
import type { TomlTable } from 'smol-toml';
import { BadInputError } from '../util/errors.js';
import { parseReference, formatReference, normalizeDockerHub, type ImageReference } from '../image/reference.js';
import {
  booleanAt,
  ConfigValueError,
  configEnvironment,
  isTable,
  readTomlFile,
  registriesConfFiles,
  shortNameAliasesCacheFile,
  stringAt,
  stringsAt,
  tableAt,
  type ConfigEnvironment,
} from './paths.js';

export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';
export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

export interface RegistryMirror {
  location: string;
  insecure: boolean;
  pullFromMirror: PullFromMirror;
}

/** One [[registry]] table. */
export interface RegistryEntry {
  /** What user-given names are matched against; `*.example.com` matches any subdomain. */
  prefix: string;
  /** Where names under `prefix` really live; empty for a wildcard prefix means "unchanged". */
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: RegistryMirror[];
}

export interface RegistriesConf {
  unqualifiedSearchRegistries: string[];
  shortNameMode: ShortNameMode;
  registries: RegistryEntry[];
  /** Short name -> fully qualified repository, without tag or digest. */
  aliases: Record<string, string>;
  credentialHelpers: string[];
  /** Files read, in loading order. */
  sources: string[];
}

function emptyRegistriesConf(): RegistriesConf {
  return {
    unqualifiedSearchRegistries: [],
    shortNameMode: 'permissive',
    registries: [],
    aliases: {},
    credentialHelpers: ['containers-auth.json'],
    sources: [],
  };
}

/**
 * Loads registries.conf and its drop-ins in order, then the recorded
 * short-name aliases, which win over configured ones.
 */
export function loadRegistriesConf(ce: ConfigEnvironment = configEnvironment()): RegistriesConf {
  const conf = emptyRegistriesConf();
  for (const path of registriesConfFiles(ce)) {
    mergeFile(conf, path, (table) => parseRegistriesTable(table));
  }
  const cache = shortNameAliasesCacheFile(ce);
  if (existsSync(cache)) {
    mergeFile(conf, cache, (table) => ({ aliases: parseAliases(table) }));
  }
  return conf;
}

/** What one file sets; absent keys leave earlier values alone. */
type RegistriesFile = Partial<Omit<RegistriesConf, 'sources'>>;

function mergeFile(conf: RegistriesConf, path: string, parseTable: (t: TomlTable) => RegistriesFile): void {
  const table = readTomlFile(path, 'registries.conf');
  let file: RegistriesFile;
  try {
    file = parseTable(table);
  } catch (e) {
    if (e instanceof ConfigValueError) throw new BadInputError(`invalid registries.conf ${path}: ${e.message}`);
    throw e;
  }
  mergeInto(conf, file);
  conf.sources.push(path);
}

function mergeInto(conf: RegistriesConf, file: RegistriesFile): void {
  if (file.unqualifiedSearchRegistries) conf.unqualifiedSearchRegistries = file.unqualifiedSearchRegistries;
  if (file.shortNameMode) conf.shortNameMode = file.shortNameMode;
  if (file.credentialHelpers) conf.credentialHelpers = file.credentialHelpers;
  for (const entry of file.registries ?? []) {
    const same = conf.registries.findIndex((r) => r.prefix === entry.prefix);
    if (same >= 0) conf.registries[same] = entry;
    else conf.registries.push(entry);
  }
  for (const [name, value] of Object.entries(file.aliases ?? {})) {
    if (value === '') delete conf.aliases[name];
    else conf.aliases[name] = value;
  }
}

function parseRegistriesTable(table: TomlTable): RegistriesFile {
  const v1 = tableAt(table, 'registries');
  const hasV2Keys = ['unqualified-search-registries', 'registry', 'aliases', 'short-name-mode'].some((k) => k in table);
  if (v1 && hasV2Keys) throw new ConfigValueError('mixing the version 1 [registries.*] tables with version 2 keys is not supported');
  if (v1) return parseV1(v1);
  const file: RegistriesFile = {};
  const search = stringsAt(table, 'unqualified-search-registries');
  if (search) file.unqualifiedSearchRegistries = search.map((s) => parseLocation(s, 'unqualified-search-registries'));
  const mode = stringAt(table, 'short-name-mode');
  if (mode) file.shortNameMode = parseShortNameMode(mode);
  const helpers = stringsAt(table, 'credential-helpers');
  if (helpers) file.credentialHelpers = helpers.length ? helpers : ['containers-auth.json'];
  file.registries = registryTables(table).map(parseRegistry);
  file.aliases = parseAliases(table);
  return file;
}

function parseShortNameMode(mode: string): ShortNameMode {
  if (mode === 'enforcing' || mode === 'permissive' || mode === 'disabled') return mode;
  throw new ConfigValueError(`invalid short-name-mode "${mode}": use enforcing, permissive or disabled`);
}

function registryTables(table: TomlTable): TomlTable[] {
  const v = table.registry;
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every(isTable)) throw new ConfigValueError('registry must be an array of tables ([[registry]])');
  return v as TomlTable[];
}

function parseRegistry(table: TomlTable): RegistryEntry {
  const location = parseLocation(stringAt(table, 'location') ?? '', 'location');
  const prefix = parseLocation(stringAt(table, 'prefix') ?? '', 'prefix') || location;
  if (!prefix) throw new ConfigValueError('a [[registry]] needs a location or a prefix');
  validatePrefix(prefix);
  if (!location && !isWildcardPrefix(prefix)) {
    throw new ConfigValueError(`[[registry]] "${prefix}": location is unset and prefix is not in the format *.example.com`);
  }
  if (table['pull-from-mirror'] !== undefined) {
    throw new ConfigValueError(`[[registry]] "${prefix}": pull-from-mirror belongs to [[registry.mirror]] tables`);
  }
  const mirrorByDigestOnly = booleanAt(table, 'mirror-by-digest-only') ?? false;
  return {
    prefix,
    location,
    insecure: booleanAt(table, 'insecure') ?? false,
    blocked: booleanAt(table, 'blocked') ?? false,
    mirrorByDigestOnly,
    mirrors: mirrorTables(table).map((m) => parseMirror(m, prefix, mirrorByDigestOnly)),
  };
}

function mirrorTables(table: TomlTable): TomlTable[] {
  const v = table.mirror;
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every(isTable)) throw new ConfigValueError('mirror must be an array of tables ([[registry.mirror]])');
  return v as TomlTable[];
}

function parseMirror(table: TomlTable, prefix: string, mirrorByDigestOnly: boolean): RegistryMirror {
  const location = parseLocation(stringAt(table, 'location') ?? '', 'mirror location');
  if (!location) throw new ConfigValueError(`[[registry]] "${prefix}": a mirror needs a location`);
  const pullFromMirror = stringAt(table, 'pull-from-mirror') ?? '';
  if (pullFromMirror && mirrorByDigestOnly) {
    throw new ConfigValueError(`[[registry]] "${prefix}": pull-from-mirror cannot be combined with mirror-by-digest-only`);
  }
  if (pullFromMirror !== '' && pullFromMirror !== 'all' && pullFromMirror !== 'digest-only' && pullFromMirror !== 'tag-only') {
    throw new ConfigValueError(`invalid pull-from-mirror "${pullFromMirror}": use all, digest-only or tag-only`);
  }
  return {
    location,
    insecure: booleanAt(table, 'insecure') ?? false,
    pullFromMirror: pullFromMirror === '' ? 'all' : pullFromMirror,
  };
}

/** Locations are bare names: no URL scheme, no trailing slash. */
function parseLocation(value: string, what: string): string {
  if (/^https?:\/\//.test(value)) throw new ConfigValueError(`invalid ${what} "${value}": URI schemes are not supported`);
  return value.replace(/\/+$/, '');
}

function isWildcardPrefix(prefix: string): boolean {
  return prefix.startsWith('*.');
}

function validatePrefix(prefix: string): void {
  const body = isWildcardPrefix(prefix) ? prefix.slice(2) : prefix;
  if (body.includes('*')) throw new ConfigValueError(`invalid prefix "${prefix}": a wildcard is only allowed as a leading "*."`);
  if (isWildcardPrefix(prefix) && /[/:@]/.test(body)) {
    throw new ConfigValueError(`invalid prefix "${prefix}": a wildcard prefix must be a bare host such as *.example.com`);
  }
}

function parseAliases(table: TomlTable): Record<string, string> {
  const aliases = tableAt(table, 'aliases');
  const result: Record<string, string> = {};
  if (!aliases) return result;
  for (const name of Object.keys(aliases)) {
    const value = stringAt(aliases, name)!;
    validateAliasName(name);
    result[name] = value === '' ? '' : normalizedAliasValue(name, value);
  }
  return result;
}

function validateAliasName(name: string): void {
  const ref = parseAliasPart(name, 'name');
  if (ref.domain) throw new ConfigValueError(`alias "${name}": the name must be a short name, without registry`);
  if (ref.tag || ref.digest) throw new ConfigValueError(`alias "${name}": the name must not have a tag or digest`);
}

function normalizedAliasValue(name: string, value: string): string {
  const ref = parseAliasPart(value, 'value');
  if (!ref.domain) throw new ConfigValueError(`alias "${name}": "${value}" must be a fully qualified name with a registry`);
  if (ref.tag || ref.digest) throw new ConfigValueError(`alias "${name}": "${value}" must not have a tag or digest`);
  return formatReference(normalizeDockerHub(ref));
}

function parseAliasPart(s: string, what: string): ImageReference {
  try {
    return parseReference(s);
  } catch (e) {
    throw new ConfigValueError(`invalid alias ${what} "${s}": ${(e as Error).message}`);
  }
}

function parseV1(registries: TomlTable): RegistriesFile {
  const list = (key: string): string[] => {
    const t = tableAt(registries, key);
    return (t ? stringsAt(t, 'registries') ?? [] : []).map((s) => parseLocation(s, `registries.${key}`));
  };
  const search = list('search');
  const insecure = new Set(list('insecure'));
  const blocked = new Set(list('block'));
  const all = [...new Set([...search, ...insecure, ...blocked])];
  return {
    unqualifiedSearchRegistries: search,
    registries: all.map((location) => ({
      prefix: location,
      location,
      insecure: insecure.has(location),
      blocked: blocked.has(location),
      mirrorByDigestOnly: false,
      mirrors: [],
    })),
  };
}

/** One place to try pulling from, in order. */
export interface PullSource {
  reference: string;
  insecure: boolean;
  isMirror: boolean;
}

export interface RegistryMatch {
  registry: RegistryEntry;
  /** Mirrors first, then the primary location. */
  sources: PullSource[];
}

/**
 * The [[registry]] whose prefix is the longest match for a fully qualified
 * reference (e.g. `docker.io/library/busybox:latest`), with the rewritten
 * places to pull it from. Undefined when no [[registry]] applies.
 */
export function findRegistry(conf: RegistriesConf, reference: string | ImageReference): RegistryMatch | undefined {
  const ref = referenceString(reference);
  let best: { registry: RegistryEntry; length: number } | undefined;
  for (const registry of conf.registries) {
    const length = prefixMatchLength(ref, registry.prefix);
    if (length === 0) continue;
    // On equal length an exact prefix beats a wildcard one.
    const better = !best || length > best.length || (length === best.length && isWildcardPrefix(best.registry.prefix) && !isWildcardPrefix(registry.prefix));
    if (better) best = { registry, length };
  }
  if (!best) return undefined;
  return { registry: best.registry, sources: sourcesFor(best.registry, ref, best.length) };
}

/** Where to pull a fully qualified reference from; the reference itself when no [[registry]] applies. */
export function pullSources(conf: RegistriesConf, reference: string | ImageReference): PullSource[] {
  const match = findRegistry(conf, reference);
  return match ? match.sources : [{ reference: referenceString(reference), insecure: false, isMirror: false }];
}

export function isBlocked(conf: RegistriesConf, reference: string | ImageReference): boolean {
  return findRegistry(conf, reference)?.registry.blocked ?? false;
}

/** Whether plain HTTP and unverified TLS are allowed for a reference or a bare `host[:port]`. */
export function isInsecure(conf: RegistriesConf, referenceOrHost: string | ImageReference): boolean {
  return findRegistry(conf, referenceOrHost)?.registry.insecure ?? false;
}

function referenceString(reference: string | ImageReference): string {
  return typeof reference === 'string' ? reference : formatReference(normalizeDockerHub(reference));
}

/**
 * How many leading characters of `ref` the prefix matches, 0 for none.
 * A prefix must end at a component boundary: `example.com` matches
 * `example.com/x` but neither `example.com:5000/x` nor `example.community/x`.
 */
function prefixMatchLength(ref: string, prefix: string): number {
  if (isWildcardPrefix(prefix)) return wildcardMatchLength(ref, prefix);
  if (!ref.startsWith(prefix)) return 0;
  if (ref.length === prefix.length) return prefix.length;
  const next = ref[prefix.length];
  if (next === '/') return prefix.length;
  // A tag or digest can only follow a prefix that names a repository, not a bare host.
  if ((next === ':' || next === '@') && prefix.includes('/')) return prefix.length;
  return 0;
}

/** `*.example.com` matches hosts with one or more labels before `example.com`. */
function wildcardMatchLength(ref: string, prefix: string): number {
  const host = /^[^/:@]+/.exec(ref)?.[0] ?? '';
  const suffix = prefix.slice(1);
  return host.length > suffix.length && host.endsWith(suffix) ? host.length : 0;
}

function sourcesFor(registry: RegistryEntry, ref: string, matched: number): PullSource[] {
  const rest = ref.slice(matched);
  const byDigest = ref.includes('@');
  const mirrors = registry.mirrors
    .filter((m) => mirrorApplies(registry, m, byDigest))
    .map((m) => ({ reference: m.location + rest, insecure: m.insecure, isMirror: true }));
  const primary = registry.location ? registry.location + rest : ref;
  return [...mirrors, { reference: primary, insecure: registry.insecure, isMirror: false }];
}

function mirrorApplies(registry: RegistryEntry, mirror: RegistryMirror, byDigest: boolean): boolean {
  if (byDigest) return mirror.pullFromMirror !== 'tag-only';
  return !registry.mirrorByDigestOnly && mirror.pullFromMirror !== 'digest-only';
}
