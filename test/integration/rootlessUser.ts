/**
 * Ordinary users for the rootless tests. Each test file owns one user (made
 * here if missing, with a home and its own ranges in /etc/subuid and
 * /etc/subgid) and runs tspod as that user with a clean environment, the way
 * someone logged in would. Needs root (the tests run as root) and newuidmap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TSPOD, type RunResult } from './harness.js';

export interface RootlessUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  subuid: { start: number; count: number };
  subgid: { start: number; count: number };
}

/** Why rootless tests cannot run here, or undefined when they can. */
export function rootlessUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the rootless tests create users: run them as root';
  for (const tool of ['/usr/bin/newuidmap', '/usr/bin/newgidmap']) {
    if (!existsSync(tool)) return `${tool} is missing: install the Debian package "uidmap"`;
  }
  if (!existsSync('/usr/sbin/useradd')) return 'useradd is missing: install the Debian package "passwd"';
  const maxUserNs = Number(readText('/proc/sys/user/max_user_namespaces') ?? '1');
  if (maxUserNs === 0) return 'user namespaces are disabled (user.max_user_namespaces=0)';
  if (readText('/proc/sys/kernel/unprivileged_userns_clone')?.trim() === '0') return 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)';
  return undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** The user's lines in a subid file. */
export function subidLines(file: string, name: string): string[] {
  return (readText(file) ?? '').split('\n').filter((l) => l.startsWith(`${name}:`));
}

/** A start for a new range after every range in both files, so users never share ids. */
function freeSubidStart(count: number): number {
  let end = 100000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    for (const line of (readText(file) ?? '').split('\n')) {
      const [, start, n] = line.split(':');
      if (start && n) end = Math.max(end, Number(start) + Number(n));
    }
  }
  // Round up to a multiple of the size, as useradd does.
  return Math.ceil(end / count) * count;
}

/** Sets the user's only range in a subid file (replacing any it had). */
export function setSubids(file: string, name: string, start: number, count: number): void {
  const others = (readText(file) ?? '').split('\n').filter((l) => l && !l.startsWith(`${name}:`));
  writeFileSync(file, [...others, `${name}:${start}:${count}`].join('\n') + '\n');
}

/** Removes the user's ranges from both subid files. */
export function clearSubids(name: string): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const kept = (readText(file) ?? '').split('\n').filter((l) => l && !l.startsWith(`${name}:`));
    writeFileSync(file, kept.length ? kept.join('\n') + '\n' : '');
  }
}

/** Makes (or finds) the user, with one range of 65536 ids in each subid file. */
export function ensureUser(name: string): RootlessUser {
  if (spawnSync('id', ['-u', name]).status !== 0) sh('/usr/sbin/useradd', ['-m', '-s', '/bin/sh', name]);
  const uid = Number(sh('id', ['-u', name]).trim());
  const gid = Number(sh('id', ['-g', name]).trim());
  const home = sh('getent', ['passwd', name]).split(':')[5]!;
  mkdirSync(home, { recursive: true });
  chownSync(home, uid, gid);
  const ranges: Record<string, { start: number; count: number }> = {};
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const lines = subidLines(file, name);
    const first = lines[0]?.split(':');
    if (lines.length === 1 && first && Number(first[2]) === 65536) {
      ranges[file] = { start: Number(first[1]), count: 65536 };
      continue;
    }
    const start = freeSubidStart(65536);
    setSubids(file, name, start, 65536);
    ranges[file] = { start, count: 65536 };
  }
  return { name, uid, gid, home, subuid: ranges['/etc/subuid']!, subgid: ranges['/etc/subgid']! };
}

/**
 * The tspod the user runs: this checkout when the user can read it, else a
 * copy of what running needs (bin, dist, the native addon, node_modules).
 */
export function tspodFor(user: RootlessUser): string {
  const root = resolve(dirname(TSPOD), '..');
  const probe = spawnSync('runuser', ['-u', user.name, '--', 'sh', '-c', 'test -x "$1" && test -r "$2" && test -r "$3"', 'sh', TSPOD, join(root, 'dist', 'tspod.cjs'), join(root, 'node_modules', 'better-sqlite3', 'package.json')]);
  if (probe.status === 0) return TSPOD;
  const copy = join('/var/tmp', `tspod-rootless-checkout`);
  rmSync(copy, { recursive: true, force: true });
  for (const part of ['bin', 'dist', 'native/build', 'node_modules', 'package.json']) {
    if (existsSync(join(root, part))) cpSync(join(root, part), join(copy, part), { recursive: true, dereference: true });
  }
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  return join(copy, 'bin', 'tspod');
}

/** A runtime dir like logind's /run/user/UID: owned by the user, mode 0700. */
export function ensureRuntimeDir(user: RootlessUser): string {
  const dir = `/run/user/${user.uid}`;
  mkdirSync(dir, { recursive: true });
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  return dir;
}

/** Runs tspod (or any program) as the user with a login-like environment. */
export class AsUser {
  readonly tspod: string;
  constructor(
    readonly user: RootlessUser,
    readonly env: Record<string, string> = {},
  ) {
    this.tspod = tspodFor(user);
  }

  get baseEnv(): Record<string, string> {
    return {
      HOME: this.user.home,
      USER: this.user.name,
      LOGNAME: this.user.name,
      PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      ...this.env,
    };
  }

  /** setpriv's command line that runs `program` as the user with a clean environment. */
  private asUser(program: string, args: string[], env?: Record<string, string>): string[] {
    const all = { ...this.baseEnv, ...env };
    return ['--reuid', String(this.user.uid), '--regid', String(this.user.gid), '--init-groups', 'env', '-i', ...Object.entries(all).map(([k, v]) => `${k}=${v}`), program, ...args];
  }

  /** Any program as the user, from `cwd` (default: the user's home). */
  exec(program: string, args: string[], opts: { input?: string | Buffer; cwd?: string; env?: Record<string, string> } = {}): RunResult {
    const r = spawnSync('setpriv', this.asUser(program, args, opts.env), { input: opts.input, cwd: opts.cwd ?? this.user.home, maxBuffer: 1 << 28, timeout: 180_000 });
    return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? (r.error?.message ?? '') };
  }

  /** tspod as the user without blocking (to run beside something else). */
  runAsync(args: string[]): Promise<RunResult> {
    return new Promise((resolvePromise) => {
      const child = spawn('setpriv', this.asUser(this.tspod, args), { cwd: this.user.home, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
  }

  run(args: string[], opts: { input?: string | Buffer; cwd?: string; env?: Record<string, string> } = {}): RunResult {
    return this.exec(this.tspod, args, opts);
  }

  ok(args: string[], opts: { input?: string | Buffer; cwd?: string; env?: Record<string, string> } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`tspod ${args.join(' ')} (as ${this.user.name}) exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * Removes every container, pod and the storage (as root of the user's
   * namespace, since the files belong to the subordinate ids), then the pause process.
   */
  reset(): void {
    this.run(['pod', 'rm', '-fa', '-t', '0']);
    this.run(['rm', '-fa', '-t', '0']);
    this.run(['unshare', 'rm', '-rf', join(this.user.home, '.local/share/containers'), join(this.user.home, '.config/containers')]);
    this.run(['system', 'migrate']);
  }
}

/** Whether `path` can be opened for reading and writing by the user (a device like /dev/net/tun). */
export function userCanOpen(user: RootlessUser, path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return false;
  }
  return spawnSync('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', 'sh', '-c', `exec 3<>${path}`]).status === 0;
}

/**
 * A test file's user, as logged in (XDG_RUNTIME_DIR=/run/user/UID), with
 * empty storage and the named fixture archives loaded.
 */
export function freshUser(name: string, fixtures: string[], fixtureDir: string): AsUser {
  const user = ensureUser(name);
  const me = new AsUser(user, { XDG_RUNTIME_DIR: ensureRuntimeDir(user) });
  me.reset();
  for (const image of fixtures) me.ok(['load', '-q', '-i', `${fixtureDir}/${image}/oci-archive.tar`]);
  return me;
}
