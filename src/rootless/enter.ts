/**
 * Running tspod inside the rootless user namespace when Node started outside
 * it: the first call of a user (no pause process yet, so bin/tspod could not
 * enter one) or a tspod started without bin/tspod. The pause process is made
 * if needed and tspod runs again under nsenter, this process relaying its
 * exit. bin/tspod does the same with exec when the pause process exists.
 */
import { existsSync } from 'node:fs';
import { configEnvironment, userRuntimeDir } from '../config/paths.js';
import { MissingProgramError } from '../util/errors.js';
import { runForeground } from '../util/process.js';
import { ROOTLESS_GID_ENV, ROOTLESS_UID_ENV, USERNS_CONFIGURED_ENV, rootlessGid, rootlessUid } from '../util/rootless.js';
import { ensurePauseProcess, type RootlessUser } from './pause.js';

export function currentRootlessUser(env: NodeJS.ProcessEnv = process.env): RootlessUser {
  const uid = rootlessUid(env);
  return { uid, gid: rootlessGid(env), runtimeDir: userRuntimeDir(configEnvironment({ env, uid })) };
}

/** The environment of a process inside the namespace: nested tspod calls see it and do not enter again. */
export function namespaceEnv(user: RootlessUser, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, [USERNS_CONFIGURED_ENV]: '1', [ROOTLESS_UID_ENV]: String(user.uid), [ROOTLESS_GID_ENV]: String(user.gid) };
}

/**
 * nsenter's arguments to run `command` in the pause process's user and mount
 * namespaces, here in the cwd. The user's own ids are 0 there already, so
 * credentials are kept as they are: switching would call setgroups, which a
 * namespace mapped without subordinate ids denies.
 */
export function nsenterArgs(pausePid: number, command: string[]): string[] {
  return ['--user', '--mount', '--preserve-credentials', '--target', String(pausePid), '--wd=.', '--', ...command];
}

function nsenterPath(): string {
  const found = ['/usr/bin/nsenter', '/bin/nsenter', '/usr/sbin/nsenter', '/usr/local/bin/nsenter'].find((p) => existsSync(p));
  if (!found) throw new MissingProgramError('nsenter', 'util-linux');
  return found;
}

/** Runs this same tspod command inside the namespace and resolves with its exit code. */
export async function runInUserNamespace(): Promise<number> {
  const user = currentRootlessUser();
  const pid = await ensurePauseProcess(user, (line) => process.stderr.write(`${line}\n`));
  const command = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  return runForeground(nsenterPath(), nsenterArgs(pid, command), namespaceEnv(user));
}
