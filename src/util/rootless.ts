/**
 * Who tspod runs for. A rootless tspod runs as uid 0 of its own user
 * namespace (bin/tspod enters the pause process's namespaces before Node
 * starts), so process.getuid() says 0 there: the launcher exports the real
 * ids in these variables, and everything that asks "rootless?" or "whose
 * home?" asks here instead of process.getuid().
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { TspodError } from './errors.js';

/** Set (to "1") in every process running inside tspod's rootless user namespace; nested calls do not enter again. */
export const USERNS_CONFIGURED_ENV = '_CONTAINERS_USERNS_CONFIGURED';
/** The user's real uid and gid, set beside USERNS_CONFIGURED_ENV. */
export const ROOTLESS_UID_ENV = '_CONTAINERS_ROOTLESS_UID';
export const ROOTLESS_GID_ENV = '_CONTAINERS_ROOTLESS_GID';

/** The value `tspod unshare` gives its command, telling nested calls they run in a session the user opened. */
export const UNSHARE_SESSION = 'done';

/**
 * Mounts made for a rootless user exist only in its namespace: commands
 * that hand out mount points (mount, image mount) are only useful inside a
 * `tspod unshare` session, as with Podman.
 */
export function requireUnshareSession(command: string, env: NodeJS.ProcessEnv = process.env): void {
  if (isRootless(env) && env[USERNS_CONFIGURED_ENV] !== UNSHARE_SESSION) {
    throw new TspodError(`cannot run "tspod ${command}" in rootless mode outside the user namespace: its mounts are only visible there, so run it in "tspod unshare" first`);
  }
}

/** Whether this process runs inside the rootless user namespace (uid 0 there is the user). */
export function inRootlessUserNamespace(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[USERNS_CONFIGURED_ENV]);
}

/** Whether tspod works for an ordinary user (inside the namespace or not yet). */
export function isRootless(env: NodeJS.ProcessEnv = process.env): boolean {
  return inRootlessUserNamespace(env) || (process.getuid?.() ?? 0) !== 0;
}

/** The user's uid on the host: the real one outside the namespace, the exported one inside. */
export function rootlessUid(env: NodeJS.ProcessEnv = process.env): number {
  return hostId(env, ROOTLESS_UID_ENV, process.getuid?.() ?? 0, '/proc/self/uid_map');
}

export function rootlessGid(env: NodeJS.ProcessEnv = process.env): number {
  return hostId(env, ROOTLESS_GID_ENV, process.getgid?.() ?? 0, '/proc/self/gid_map');
}

function hostId(env: NodeJS.ProcessEnv, name: string, own: number, mapFile: string): number {
  if (!inRootlessUserNamespace(env)) return own;
  const exported = Number(env[name]);
  if (Number.isInteger(exported) && exported >= 0) return exported;
  // The map's line for id 0 names the host id it stands for.
  return outsideIdOfZero(mapFile) ?? own;
}

function outsideIdOfZero(mapFile: string): number | undefined {
  try {
    for (const line of readFileSync(mapFile, 'utf8').split('\n')) {
      const [inside, outside] = line.trim().split(/\s+/).map(Number);
      if (inside === 0 && Number.isInteger(outside)) return outside;
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** The user's home: $HOME, else the passwd entry of the host uid (inside the namespace getpwuid would say root). */
export function rootlessHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOME) return env.HOME;
  if (!inRootlessUserNamespace(env)) return homedir();
  const uid = String(rootlessUid(env));
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[2] === uid && fields[5]) return fields[5];
    }
  } catch {
    // no passwd
  }
  return homedir();
}
