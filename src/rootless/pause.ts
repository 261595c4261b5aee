/**
 * The rootless pause process: a tiny process (catatonit -P) that lives in the
 * user's user and mount namespaces and keeps them alive between tspod calls,
 * as Podman's does. Node cannot unshare(CLONE_NEWUSER) itself (it is
 * multi-threaded), so unshare(1) makes the namespaces, newuidmap/newgidmap
 * map them from /etc/subuid and /etc/subgid, and every later tspod joins them
 * (bin/tspod with nsenter before Node starts; enter.ts when Node started first).
 *
 * Its pid is in <runtime dir>/libpod/tmp/pause.pid, where Podman keeps its own,
 * so both engines of one user share one namespace (and one set of mounts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LOCK, syscalls } from '../os/syscalls.js';
import { MissingProgramError, TspodError } from '../util/errors.js';
import { mapArguments, subordinateRanges, userName, userNamespaceMap, type IdMapping } from './subids.js';

export interface RootlessUser {
  uid: number;
  gid: number;
  /** The user's runtime dir (config/paths.ts userRuntimeDir). */
  runtimeDir: string;
}

export function pausePidFile(runtimeDir: string): string {
  return join(runtimeDir, 'libpod', 'tmp', 'pause.pid');
}

/**
 * The pause process's pid when it is alive and holds the namespace it
 * should: seen from outside, a user namespace other than ours; from inside
 * (`inside`), ours. Else undefined (no file, a zombie, a reused pid).
 */
export function livePausePid(runtimeDir: string, inside = false): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pausePidFile(runtimeDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // A zombie's namespaces (or another user's) cannot be opened.
    const theirs = statSync(`/proc/${pid}/ns/user`);
    const ours = statSync('/proc/self/ns/user');
    const same = theirs.ino === ours.ino && theirs.dev === ours.dev;
    if (same !== inside) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

/** The id maps the namespace gets: the user as 0 and the subordinate ranges after it. */
export function plannedMaps(user: RootlessUser): { uid: IdMapping[]; gid: IdMapping[]; single: boolean } {
  // newgidmap grants /etc/subgid ranges to the user (by name or uid), not to the group.
  const name = userName(user.uid);
  const uidRanges = subordinateRanges('/etc/subuid', user.uid, name);
  const gidRanges = subordinateRanges('/etc/subgid', user.uid, name);
  return {
    uid: userNamespaceMap(user.uid, uidRanges),
    gid: userNamespaceMap(user.gid, gidRanges),
    single: uidRanges.length === 0 || gidRanges.length === 0,
  };
}

/**
 * Returns the pid of a live pause process, starting one when there is none.
 * Concurrent callers serialise on a lock beside the pid file, so one process is made.
 */
export async function ensurePauseProcess(user: RootlessUser, warn: (line: string) => void): Promise<number> {
  const pidFile = pausePidFile(user.runtimeDir);
  mkdirSync(dirname(pidFile), { recursive: true, mode: 0o700 });
  const lockFd = openSync(`${pidFile}.lock`, 'a', 0o600);
  try {
    syscalls().flock(lockFd, LOCK.EX);
    const running = livePausePid(user.runtimeDir);
    if (running) return running;
    const pid = await startPauseProcess(user, warn);
    const tmp = `${pidFile}.${process.pid}`;
    writeFileSync(tmp, String(pid));
    renameSync(tmp, pidFile);
    return pid;
  } finally {
    closeSync(lockFd);
  }
}

/**
 * Kills the pause process (system migrate, run inside its namespace) so the
 * next call maps the namespace afresh; false when none ran.
 */
export function stopPauseProcess(runtimeDir: string): boolean {
  const pid = livePausePid(runtimeDir, true);
  rmSync(pausePidFile(runtimeDir), { force: true });
  if (!pid) return false;
  try {
    // catatonit -P ignores the polite signals.
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  // Gone once its namespaces can no longer be opened (a zombie's cannot), so the next call makes a new one.
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}/ns/user`); i++) Atomics.wait(sleeper, 0, 0, 10);
  return true;
}

function findProgram(name: string, dirs: string[]): string | undefined {
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/local/sbin'];

/** What the pause process runs once mapped: catatonit's pause mode, or sleep where catatonit is missing. */
function pauseProgram(): string[] {
  const catatonit = findProgram('catatonit', ['/usr/libexec/podman', '/usr/lib/podman', ...BIN_DIRS]);
  return catatonit ? [catatonit, '-P'] : ['sleep', 'infinity'];
}

// The shell stops right after unshare made the namespaces, until its maps are written.
const PAUSE_SCRIPT = 'cd / || exit 1; echo ready; read -r go || exit 1; exec "$@" </dev/null >/dev/null 2>&1';

async function startPauseProcess(user: RootlessUser, warn: (line: string) => void): Promise<number> {
  const unshare = findProgram('unshare', BIN_DIRS);
  if (!unshare) throw new MissingProgramError('unshare', 'util-linux');
  const maps = plannedMaps(user);
  const uidTool = findProgram('newuidmap', BIN_DIRS);
  const gidTool = findProgram('newgidmap', BIN_DIRS);
  if (!maps.single && (!uidTool || !gidTool)) throw new MissingProgramError('newuidmap', 'uidmap');
  if (maps.single) {
    warn(
      `WARN[0000] no subordinate ids for uid ${user.uid} in /etc/subuid and gid ${user.gid} in /etc/subgid: ` +
        'containers get a single id (root) mapped, which breaks images with other owners: ask the administrator to add ranges (usermod --add-subuids/--add-subgids)',
    );
  }
  const child = spawn(unshare, ['--user', '--mount', '--propagation', 'slave', '--', '/bin/sh', '-c', PAUSE_SCRIPT, 'tspod-pause', ...pauseProgram()], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const failure = (what: string) => new TspodError(`cannot create the rootless user namespace: ${what}`);
  try {
    if (!pid) throw failure('unshare did not start');
    const ready = await Promise.race([firstLine(child.stdout!), exited.then((code) => `exit ${code}`)]);
    if (ready !== 'ready') {
      const detail = Buffer.concat(stderr).toString().trim() || ready;
      throw failure(`${detail}: unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, user.max_user_namespaces)`);
    }
    if (maps.single) writeSingleMaps(pid, user);
    else {
      runMapTool(uidTool!, pid, maps.uid, '/etc/subuid', failure);
      runMapTool(gidTool!, pid, maps.gid, '/etc/subgid', failure);
    }
    child.stdin!.end('go\n');
    // The shell redirects its output before exec: the pipe ends once the pause program takes over.
    await Promise.race([streamEnd(child.stdout!), exited]);
    if (child.exitCode !== null) throw failure(Buffer.concat(stderr).toString().trim() || `the pause process exited with ${child.exitCode}`);
    return pid;
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw e;
  } finally {
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.unref();
  }
}

function runMapTool(tool: string, pid: number, map: IdMapping[], file: string, failure: (what: string) => TspodError): void {
  const r = spawnSync(tool, [String(pid), ...mapArguments(map)], { encoding: 'utf8' });
  if (r.status !== 0) {
    const detail = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
    throw failure(`${tool} ${pid} ${mapArguments(map).join(' ')}: ${detail}: check the user's ranges in ${file}`);
  }
}

/** Without subordinate ids the kernel lets a user map only itself, and only with setgroups denied. */
function writeSingleMaps(pid: number, user: RootlessUser): void {
  writeFileSync(`/proc/${pid}/setgroups`, 'deny');
  writeFileSync(`/proc/${pid}/uid_map`, `0 ${user.uid} 1\n`);
  writeFileSync(`/proc/${pid}/gid_map`, `0 ${user.gid} 1\n`);
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        stream.off('data', onData);
        resolve(text.slice(0, nl));
      }
    };
    stream.on('data', onData);
    stream.on('end', () => resolve(text));
  });
}

function streamEnd(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.resume();
  });
}
