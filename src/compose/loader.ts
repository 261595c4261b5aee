/**
 * Finds, reads and resolves a Compose project: the files (-f, COMPOSE_FILE,
 * or compose.yaml & co. with their override), `.env`/--env-file,
 * interpolation, canonical form, merge, extends, env_file, profiles and
 * the project name. The result is what every compose command works on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument, type Tags } from 'yaml';
import { ComposeFileError } from './errors.js';
import { interpolateTree, parseDotenv, type Environment } from './interpolate.js';
import { mergeModels, mergeService } from './merge.js';
import { emptyModel, normalizeFile, type ComposeModel, type ServiceConfig } from './model.js';
import { OverrideTag, ResetTag } from './tags.js';
import { InvalidArgumentError } from '../util/errors.js';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const OVERRIDE_FILES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

export interface LoadOptions {
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles?: string[];
  profiles?: string[];
  /** Services named on the command line: enabled even when their profile is not. */
  services?: string[];
  cwd: string;
  env: Environment;
  warn?: (message: string) => void;
}

export interface ComposeProject {
  name: string;
  workingDir: string;
  configFiles: string[];
  /** The enabled services and the resources they use, resource names filled in. */
  model: ComposeModel;
  /** Services left out by profiles. */
  disabled: string[];
  env: Environment;
}

const TAGS: Tags = [
  { tag: '!reset', resolve: () => new ResetTag(), collection: 'map' } as never,
  { tag: '!reset', resolve: () => new ResetTag(), collection: 'seq' } as never,
  { tag: '!reset', resolve: () => new ResetTag() } as never,
  { tag: '!override', resolve: (v: unknown) => new OverrideTag(v) } as never,
  { tag: '!override', collection: 'map', resolve: (v: { toJSON(): unknown }) => new OverrideTag(v.toJSON()) } as never,
  { tag: '!override', collection: 'seq', resolve: (v: { toJSON(): unknown }) => new OverrideTag(v.toJSON()) } as never,
];

/** `0440` is octal in Compose files (Go's YAML reads a leading 0 that way), not the decimal YAML 1.2 makes of it. */
const LEADING_ZERO_OCTAL = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^0[0-7]+$/,
  resolve: (text: string) => parseInt(text, 8),
};

/** `-f -`: the Compose file is read from standard input. */
export const STDIN_FILE = '-';
let stdinText: string | undefined;

/** A Compose file's name in messages. */
function shortName(file: string): string {
  return file === STDIN_FILE ? 'stdin' : basename(file);
}

function readComposeText(file: string): string {
  if (file === STDIN_FILE) {
    try {
      stdinText ??= readFileSync(0, 'utf8');
    } catch {
      throw new InvalidArgumentError('-f -: cannot read the Compose file from standard input: pipe it in or give a file');
    }
    return stdinText;
  }
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new InvalidArgumentError(`${file}: cannot read the Compose file: check the path given with -f`);
  }
}

function readYaml(file: string): unknown {
  const text = readComposeText(file);
  const doc = parseDocument(text, { customTags: (core) => [LEADING_ZERO_OCTAL as never, ...core, ...TAGS], merge: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ComposeFileError(shortName(file), `line ${e.linePos?.[0]?.line ?? '?'}`, e.message.split('\n')[0]!);
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // Aliases and merge keys are resolved here: an unknown anchor or a bad `<<:` source.
    throw new ComposeFileError(shortName(file), 'YAML', (e as Error).message.split('\n')[0]!);
  }
}

/** The Compose files to use: -f, COMPOSE_FILE, or the first default file found here or above, with its override. */
export function findComposeFiles(opts: Pick<LoadOptions, 'files' | 'cwd' | 'env'>): string[] {
  if (opts.files?.length) return opts.files.map((f) => (f === STDIN_FILE ? f : resolve(opts.cwd, f)));
  const fromEnv = opts.env.COMPOSE_FILE;
  if (fromEnv) return fromEnv.split(opts.env.COMPOSE_PATH_SEPARATOR ?? ':').filter(Boolean).map((f) => resolve(opts.cwd, f));
  for (let dir = resolve(opts.cwd); ; dir = dirname(dir)) {
    const main = DEFAULT_FILES.find((f) => existsSync(join(dir, f)));
    if (main) {
      const override = OVERRIDE_FILES.find((f) => existsSync(join(dir, f)));
      return [join(dir, main), ...(override ? [join(dir, override)] : [])];
    }
    if (dirname(dir) === dir) break;
  }
  throw new InvalidArgumentError(`no Compose file found in ${opts.cwd} or above: create compose.yaml or give one with -f`);
}

/** Lowercase letters, digits, `_` and `-`, starting with a letter or digit. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

function loadFile(file: string, dir: string, env: Environment, warn?: (m: string) => void): ComposeModel {
  const raw = interpolateTree(readYaml(file), { env, file: shortName(file), warn });
  const model = normalizeFile(raw, { file: shortName(file), dir, env });
  const included = (raw as { include?: unknown })?.include;
  if (included !== undefined) {
    if (!Array.isArray(included)) throw new ComposeFileError(shortName(file), 'include', 'must be a list of files');
    let merged = emptyModel();
    for (const [i, entry] of included.entries()) {
      const paths = typeof entry === 'string' ? [entry] : ((entry as { path?: string | string[] })?.path ?? []);
      for (const p of Array.isArray(paths) ? paths : [paths]) {
        if (typeof p !== 'string') throw new ComposeFileError(shortName(file), `include[${i}]`, 'give a file path');
        const path = resolve(dir, p);
        merged = mergeModels(merged, loadFile(path, dirname(path), env, warn));
      }
    }
    for (const name of Object.keys(model.services)) {
      if (merged.services[name]) throw new ComposeFileError(shortName(file), `services.${name}`, 'conflicts with a service of an included file: rename one of them');
    }
    return mergeModels(merged, model);
  }
  return model;
}

function resolveExtends(model: ComposeModel, file: string, dir: string, env: Environment, seen: string[] = []): void {
  for (const [name, svc] of Object.entries(model.services)) {
    if (!svc.extends) continue;
    const { service, file: other } = svc.extends;
    const key = `${other ?? file}#${service}`;
    if (seen.includes(key)) throw new ComposeFileError(shortName(file), `services.${name}.extends`, `circular extends through ${service}`);
    let source: ComposeModel = model;
    if (other) {
      source = normalizeFile(interpolateTree(readYaml(other), { env, file: basename(other) }), { file: basename(other), dir: dirname(other), env });
      resolveExtends(source, other, dirname(other), env, [...seen, key]);
    } else if (model.services[service]?.extends) {
      resolveExtends({ ...model, services: { [service]: model.services[service]! } }, file, dir, env, [...seen, key]);
    }
    const base = source.services[service];
    if (!base) throw new ComposeFileError(shortName(file), `services.${name}.extends`, `no service "${service}" to extend${other ? ` in ${other}` : ''}`);
    const { extends: _, ...own } = svc;
    const { depends_on: __, ...inherited } = base;
    model.services[name] = mergeService(inherited, own);
  }
}

/** Reads the env files of a service into its environment (its own environment entries win). */
function applyEnvFiles(svc: ServiceConfig, name: string, env: Environment): void {
  if (!svc.env_file) return;
  const fromFiles: Record<string, string> = {};
  for (const file of svc.env_file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new InvalidArgumentError(`services.${name}.env_file: cannot read ${file}: create it or remove it from env_file`);
    }
    Object.assign(fromFiles, parseDotenv(text, basename(file), env));
  }
  svc.environment = { ...fromFiles, ...svc.environment };
  delete svc.env_file;
}

export function loadProject(opts: LoadOptions): ComposeProject {
  const files = findComposeFiles(opts);
  if (files.filter((f) => f === STDIN_FILE).length > 1) throw new InvalidArgumentError('-f - given twice: standard input holds one Compose file');
  // From standard input, relative paths and the project name come from the current folder.
  const workingDir = opts.projectDirectory ? resolve(opts.cwd, opts.projectDirectory) : files[0] === STDIN_FILE ? resolve(opts.cwd) : dirname(files[0]!);
  const dotenvFiles = opts.envFiles?.length ? opts.envFiles.map((f) => resolve(opts.cwd, f)) : [join(workingDir, '.env')].filter((f) => existsSync(f));
  let dotenv: Record<string, string> = {};
  for (const f of dotenvFiles) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      throw new InvalidArgumentError(`--env-file ${f}: cannot read the file: give an existing file`);
    }
    dotenv = { ...dotenv, ...parseDotenv(text, basename(f), { ...dotenv, ...opts.env }) };
  }
  const env: Environment = { ...dotenv, ...opts.env };
  let model = emptyModel();
  for (const file of files) {
    const loaded = loadFile(file, workingDir, env, opts.warn);
    resolveExtends(loaded, file, workingDir, env);
    model = mergeModels(model, loaded);
  }
  const firstFile = shortName(files[0]!);
  const rawName = opts.projectName ?? env.COMPOSE_PROJECT_NAME ?? model.name ?? basename(workingDir);
  const name = normalizeProjectName(rawName);
  if (!name) throw new InvalidArgumentError(`project name "${rawName}" has no letters or digits: give one with -p or the name: key`);
  if (opts.projectName !== undefined && name !== opts.projectName) {
    throw new InvalidArgumentError(`invalid project name "${opts.projectName}": use lowercase letters, digits, dashes and underscores, starting with a letter or digit`);
  }
  model.name = name;

  const profiles = new Set(opts.profiles?.length ? opts.profiles : (env.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
  const disabled: string[] = [];
  for (const [svcName, svc] of Object.entries(model.services)) {
    const enabled = !svc.profiles?.length || profiles.has('*') || svc.profiles.some((p) => profiles.has(p)) || opts.services?.includes(svcName);
    if (!enabled) disabled.push(svcName);
  }
  // A service named on the command line brings the services it depends on.
  const wanted = new Set(opts.services ?? []);
  const queue = [...wanted];
  while (queue.length) {
    const s = queue.pop()!;
    for (const dep of Object.keys(model.services[s]?.depends_on ?? {})) {
      if (!wanted.has(dep)) {
        wanted.add(dep);
        queue.push(dep);
        const i = disabled.indexOf(dep);
        if (i >= 0) disabled.splice(i, 1);
      }
    }
  }
  for (const s of disabled) delete model.services[s];

  for (const [svcName, svc] of Object.entries(model.services)) {
    const where = `services.${svcName}`;
    applyEnvFiles(svc, svcName, env);
    if (!svc.image && !svc.build) throw new ComposeFileError(firstFile, where, 'has neither an image nor a build context: give image: or build:');
    for (const [dep, d] of Object.entries(svc.depends_on ?? {})) {
      if (!model.services[dep]) {
        if (!d.required || disabled.includes(dep)) {
          delete svc.depends_on![dep];
          continue;
        }
        throw new ComposeFileError(firstFile, `${where}.depends_on`, `depends on undefined service "${dep}": define it or remove it`);
      }
    }
    if (!svc.network_mode && !svc.networks) svc.networks = { default: null };
    for (const net of Object.keys(svc.networks ?? {})) {
      if (net !== 'default' && !model.networks[net]) throw new ComposeFileError(firstFile, `${where}.networks`, `service "${svcName}" refers to undefined network ${net}: define it under the top-level networks key`);
      if (net === 'default') model.networks.default ??= {};
    }
    for (const [i, v] of (svc.volumes ?? []).entries()) {
      if (v.type === 'volume' && v.source && !model.volumes[v.source]) {
        throw new ComposeFileError(firstFile, `${where}.volumes[${i}]`, `service "${svcName}" refers to undefined volume ${v.source}: define it under the top-level volumes key`);
      }
    }
    for (const kind of ['secrets', 'configs'] as const) {
      for (const [i, s] of (svc[kind] ?? []).entries()) {
        if (!model[kind][s.source]) throw new ComposeFileError(firstFile, `${where}.${kind}[${i}]`, `service "${svcName}" refers to undefined ${kind.slice(0, -1)} ${s.source}: define it under the top-level ${kind} key`);
      }
    }
  }
  // Resources no enabled service uses are left out, as Compose does.
  const used = (kind: 'networks' | 'volumes' | 'secrets' | 'configs', key: string): boolean =>
    Object.values(model.services).some((s) =>
      kind === 'networks' ? key in (s.networks ?? {}) : kind === 'volumes' ? s.volumes?.some((v) => v.type === 'volume' && v.source === key) : s[kind]?.some((x) => x.source === key),
    );
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [key, res] of Object.entries(model[kind])) {
      if (!used(kind, key) && kind !== 'volumes') {
        delete model[kind][key];
        continue;
      }
      res.name ??= res.external ? key : `${name}_${key}`;
      if (kind === 'secrets') {
        const secret = res as ComposeModel['secrets'][string];
        if (!secret.external && !secret.file && !secret.environment) throw new ComposeFileError(firstFile, `secrets.${key}`, 'needs file: or environment:');
      }
      if (kind === 'configs') {
        const config = res as ComposeModel['configs'][string];
        if (!config.external && !config.file && !config.environment && config.content === undefined) throw new ComposeFileError(firstFile, `configs.${key}`, 'needs file:, environment: or content:');
      }
    }
  }
  // Configs are kept as the engine's secrets: a config may not take the name of a secret it would overwrite.
  for (const [key, config] of Object.entries(model.configs)) {
    const clash = Object.entries(model.secrets).find(([, s]) => s.name === config.name && !(s.external && config.external));
    if (clash) throw new ComposeFileError(firstFile, `configs.${key}`, `has the same name "${config.name}" as secret ${clash[0]}: give one of them another name: key`);
  }
  return { name, workingDir, configFiles: files, model, disabled, env };
}
