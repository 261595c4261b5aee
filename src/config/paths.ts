/**
 * Where the containers-* configuration files are, in podman's loading order,
 * and the small TOML reading helpers the loaders share.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, TomlError, type TomlTable } from 'smol-toml';
import { BadInputError, TspodError } from '../util/errors.js';
import { rootlessHome, rootlessUid } from '../util/rootless.js';

/**
 * Everything that decides which configuration files are read. Loaders take
 * one of these so tests can point the system directories at a temp dir
 * instead of the real /etc.
 */
export interface ConfigEnvironment {
  env: NodeJS.ProcessEnv;
  uid: number;
  homeDir: string;
  /** Administrator's configuration, normally /etc/containers. */
  systemDir: string;
  /** Distribution defaults, normally /usr/share/containers. */
  vendorDir: string;
  /** Root's machine-written cache, normally /var/cache/containers. */
  systemCacheDir: string;
}

export function configEnvironment(overrides: Partial<ConfigEnvironment> = {}): ConfigEnvironment {
  const env = overrides.env ?? process.env;
  return {
    env,
    // Inside the rootless user namespace getuid() says 0: these are the user's own.
    uid: overrides.uid ?? rootlessUid(env),
    homeDir: overrides.homeDir ?? rootlessHome(env),
    systemDir: overrides.systemDir ?? '/etc/containers',
    vendorDir: overrides.vendorDir ?? '/usr/share/containers',
    systemCacheDir: overrides.systemCacheDir ?? '/var/cache/containers',
  };
}

export function isRootless(ce: ConfigEnvironment): boolean {
  return ce.uid !== 0;
}

/** $XDG_CONFIG_HOME, else ~/.config. */
export function userConfigHome(ce: ConfigEnvironment): string {
  return ce.env.XDG_CONFIG_HOME || join(ce.homeDir, '.config');
}

/** $XDG_DATA_HOME, else ~/.local/share. */
export function userDataHome(ce: ConfigEnvironment): string {
  return ce.env.XDG_DATA_HOME || join(ce.homeDir, '.local', 'share');
}

/** `*.conf` files of a drop-in directory in alphanumeric order; none when it is missing. */
export function dropInFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .map((n) => join(dir, n))
    .filter(isFile);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * containers.conf files in loading order, later ones overriding earlier ones.
 * CONTAINERS_CONF replaces every system and user file and must exist;
 * CONTAINERS_CONF_OVERRIDE comes last when it exists.
 */
export function containersConfFiles(ce: ConfigEnvironment): string[] {
  const files = ce.env.CONTAINERS_CONF ? [requiredContainersConf(ce.env.CONTAINERS_CONF)] : defaultContainersConfFiles(ce);
  const override = ce.env.CONTAINERS_CONF_OVERRIDE;
  if (override && isFile(override)) files.push(override);
  return files;
}

/** Any readable non-directory counts (`CONTAINERS_CONF=/dev/null` means "no settings"). */
function requiredContainersConf(path: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new BadInputError(`CONTAINERS_CONF file ${path}: no such file: fix the variable or unset it`);
  }
  if (isDir) throw new BadInputError(`CONTAINERS_CONF file ${path} is a directory: point it at a containers.conf file`);
  return path;
}

function defaultContainersConfFiles(ce: ConfigEnvironment): string[] {
  const files = [join(ce.vendorDir, 'containers.conf'), join(ce.systemDir, 'containers.conf')].filter(isFile);
  files.push(...dropInFiles(join(ce.systemDir, 'containers.conf.d')));
  if (isRootless(ce)) {
    const rootlessFile = join(ce.systemDir, 'containers.rootless.conf');
    if (isFile(rootlessFile)) files.push(rootlessFile);
    files.push(...dropInFiles(join(ce.systemDir, 'containers.rootless.d')));
    files.push(...dropInFiles(join(ce.systemDir, 'containers.rootless.d', String(ce.uid))));
    const userDir = join(userConfigHome(ce), 'containers');
    const userFile = join(userDir, 'containers.conf');
    if (isFile(userFile)) files.push(userFile);
    files.push(...dropInFiles(join(userDir, 'containers.conf.d')));
  }
  return files;
}

export type StorageConfScope = 'env' | 'user' | 'system';

/** The one storage.conf in effect, or undefined when there is none (built-in defaults apply). */
export function storageConfFile(ce: ConfigEnvironment): { path: string; scope: StorageConfScope } | undefined {
  const fromEnv = ce.env.CONTAINERS_STORAGE_CONF;
  if (fromEnv) return isFile(fromEnv) ? { path: fromEnv, scope: 'env' } : undefined;
  if (isRootless(ce)) {
    const userFile = join(userConfigHome(ce), 'containers', 'storage.conf');
    if (isFile(userFile)) return { path: userFile, scope: 'user' };
  }
  for (const path of [join(ce.systemDir, 'storage.conf'), join(ce.vendorDir, 'storage.conf')]) {
    if (isFile(path)) return { path, scope: 'system' };
  }
  return undefined;
}

/**
 * registries.conf files in loading order: the main file, then drop-ins.
 * As in containers/image, a per-user ~/.config/containers/registries.conf
 * replaces the system file and its drop-in directory.
 */
export function registriesConfFiles(ce: ConfigEnvironment): string[] {
  const userDir = join(ce.homeDir, '.config', 'containers');
  const userFile = join(userDir, 'registries.conf');
  const userDropIns = join(userDir, 'registries.conf.d');
  const fromEnv = ce.env.CONTAINERS_REGISTRIES_CONF || ce.env.REGISTRIES_CONFIG_PATH;
  if (!fromEnv && isFile(userFile)) return [userFile, ...dropInFiles(userDropIns)];
  const main = fromEnv || join(ce.systemDir, 'registries.conf');
  return [main, ...dropInFiles(join(ce.systemDir, 'registries.conf.d')), ...dropInFiles(userDropIns)].filter(isFile);
}

/** Aliases recorded after short-name prompts; they take precedence over registries.conf. */
export function shortNameAliasesCacheFile(ce: ConfigEnvironment): string {
  if (!isRootless(ce)) return join(ce.systemCacheDir, 'short-name-aliases.conf');
  return join(ce.homeDir, '.cache', 'containers', 'short-name-aliases.conf');
}

/**
 * The per-user runtime directory: $XDG_RUNTIME_DIR when it is set and
 * writable, else /run/user/UID when it is the user's, else a private
 * /tmp/tspod-run-UID (made 0700 here, refused when someone else owns it).
 * bin/tspod makes the same choice to find the pause process: keep them alike.
 */
export function userRuntimeDir(ce: ConfigEnvironment): string {
  const xdg = ce.env.XDG_RUNTIME_DIR;
  if (xdg && isWritableDir(xdg)) return xdg;
  const systemd = `/run/user/${ce.uid}`;
  if (isWritableDir(systemd) && ownedByMe(systemd)) return systemd;
  // Only the user this process works for gets the dir made (and checked); another uid's is just named.
  return ce.uid === rootlessUid(ce.env) ? privateTmpRuntimeDir(ce.uid) : tmpRuntimeDirName(ce.uid);
}

function tmpRuntimeDirName(uid: number): string {
  return `/tmp/tspod-run-${uid}`;
}

/** The fallback runtime dir; a dir someone else made (or opened up) there is refused rather than trusted. */
export function privateTmpRuntimeDir(uid: number): string {
  const dir = tmpRuntimeDirName(uid);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new TspodError(`cannot create the runtime directory ${dir}: ${(e as Error).message}: set XDG_RUNTIME_DIR to a private directory`);
  }
  const st = statSync(dir);
  if (!st.isDirectory() || !ownedByMe(dir) || (st.mode & 0o077) !== 0) {
    throw new TspodError(`the runtime directory ${dir} is not a private directory of this user: remove it or set XDG_RUNTIME_DIR to a private directory`);
  }
  return dir;
}

/** Owned by this process's uid (inside the rootless namespace the user's own files show as uid 0, as getuid does). */
function ownedByMe(path: string): boolean {
  try {
    return statSync(path).uid === (process.getuid?.() ?? 0);
  } catch {
    return false;
  }
}

function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Whether systemd runs the host (sd_booted's test). */
export function systemdIsInit(): boolean {
  return existsSync('/run/systemd/system');
}

/**
 * Reads and parses one TOML config file. `kind` names the file type in
 * errors, e.g. `invalid containers.conf /etc/containers/containers.conf: ...`.
 */
export function readTomlFile(path: string, kind: string): TomlTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BadInputError(`invalid ${kind} ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parse(text, { integersAsBigInt: 'asNeeded', unsafeKeyBehaviour: 'drop' });
  } catch (e) {
    throw new BadInputError(`invalid ${kind} ${path}: ${tomlErrorDetail(e)}`, { cause: e });
  }
}

function tomlErrorDetail(e: unknown): string {
  if (!(e instanceof TomlError)) return (e as Error).message;
  const firstLine = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
  return `line ${e.line}, column ${e.column}: ${firstLine}`;
}

/** Thrown by the typed readers below; loaders prefix it with the file. */
export class ConfigValueError extends Error {}

export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function tableAt(table: TomlTable, key: string): TomlTable | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (!isTable(v)) throw new ConfigValueError(`${key} must be a table`);
  return v;
}

export function stringAt(table: TomlTable, key: string): string | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ConfigValueError(`${key} must be a string`);
  return v;
}

export function booleanAt(table: TomlTable, key: string): boolean | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigValueError(`${key} must be true or false`);
  return v;
}

export function integerAt(table: TomlTable, key: string): number | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigValueError(`${key} must be an integer`);
  return v;
}

export function stringsAt(table: TomlTable, key: string): string[] | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ConfigValueError(`${key} must be an array of strings`);
  return v as string[];
}
