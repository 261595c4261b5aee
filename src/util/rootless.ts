/**
 * Who tspod runs for. A rootless tspod runs as uid 0 of its own user
 * namespace (bin/tspod enters the pause process's namespaces before Node
 * starts), so process.getuid() says 0 there: the launcher exports the real
 * ids in these variables, and everything that asks "rootless?" or "whose
 * home?" asks here instead of process.getuid().
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';

/** Set (to "1") in every process running inside tspod's rootless user namespace; nested calls do not enter again. */
export const USERNS_CONFIGURED_ENV = '_CONTAINERS_USERNS_CONFIGURED';
/** The user's real uid and gid, set beside USERNS_CONFIGURED_ENV. */
export const ROOTLESS_UID_ENV = '_CONTAINERS_ROOTLESS_UID';
export const ROOTLESS_GID_ENV = '_CONTAINERS_ROOTLESS_GID';

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
