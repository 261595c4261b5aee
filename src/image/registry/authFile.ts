import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Credentials } from './client.js';
import { TspodError } from '../../util/errors.js';
import { configEnvironment, userRuntimeDir } from '../../config/paths.js';
import { rootlessHome, rootlessUid } from '../../util/rootless.js';

/**
 * Registry credentials in Podman's auth.json: `{"auths": {"REGISTRY[/PATH]":
 * {"auth": base64("user:password")}}}`. Written to --authfile,
 * REGISTRY_AUTH_FILE or the default place; read from there, then from
 * ~/.config/containers/auth.json and Docker's ~/.docker/config.json.
 */
interface AuthFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

/** Where login writes: --authfile, REGISTRY_AUTH_FILE, else the user's runtime dir's containers/auth.json (/run/containers/0 as root). */
export function defaultAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  const uid = rootlessUid(env);
  if (uid !== 0) return join(userRuntimeDir(configEnvironment({ env })), 'containers', 'auth.json');
  return join('/run/containers', String(uid), 'auth.json');
}

function readFiles(authFile: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (authFile) return [authFile];
  const home = rootlessHome(env);
  return [defaultAuthFile(env), join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers', 'auth.json'), join(home, '.docker', 'config.json')];
}

function load(path: string): AuthFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AuthFile;
  } catch {
    throw new TspodError(`${path} is not valid JSON: fix or remove it`);
  }
}

/** The normalised key of a registry (or registry/repository) in auth files. */
function keyOf(entry: string): string {
  return entry.replace(/^https?:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/+$/, '').replace(/^index\.docker\.io$/, 'docker.io').replace(/^registry-1\.docker\.io$/, 'docker.io');
}

/** Credentials for an image reference's `registry/repository`, the most specific entry first. */
export function credentialsFor(registryAndRepo: string, authFile?: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const wanted = keyOf(registryAndRepo);
  for (const path of readFiles(authFile, env)) {
    const file = load(path);
    if (!file?.auths) continue;
    const entries = Object.entries(file.auths)
      .map(([k, v]) => [keyOf(k), v] as const)
      .filter(([k]) => wanted === k || wanted.startsWith(`${k}/`))
      .sort(([a], [b]) => b.length - a.length);
    const hit = entries[0]?.[1];
    if (!hit) continue;
    if (hit.identitytoken) return { identityToken: hit.identitytoken };
    if (hit.auth) {
      const decoded = Buffer.from(hit.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

/** Stores credentials for a registry (login), keeping the file's other entries and keys. */
export function storeCredentials(registry: string, username: string, password: string, authFile = defaultAuthFile()): void {
  const file = load(authFile) ?? {};
  file.auths = { ...file.auths, [keyOf(registry)]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  writeAtomically(authFile, file);
}

/** Removes one registry's credentials, or all; false when there was nothing to remove. */
export function removeCredentials(registry: string | undefined, authFile = defaultAuthFile()): boolean {
  const file = load(authFile);
  if (!file?.auths) return false;
  if (registry === undefined) {
    const had = Object.keys(file.auths).length > 0;
    file.auths = {};
    writeAtomically(authFile, file);
    return had;
  }
  const key = Object.keys(file.auths).find((k) => keyOf(k) === keyOf(registry));
  if (key === undefined) return false;
  delete file.auths[key];
  writeAtomically(authFile, file);
  return true;
}

function writeAtomically(path: string, file: AuthFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(file, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
