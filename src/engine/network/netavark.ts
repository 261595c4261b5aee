import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkConfig, NetworkStatus, PerNetworkOptions, PortMapping } from './types.js';
import { TspodError } from '../../util/errors.js';
import { acquireFileLockSync, fileLockHeldHere, withFileLock } from '../../os/fileLocks.js';
import { isRootless } from '../../util/rootless.js';

/**
 * The netavark driver: netavark is a program with a JSON interface, as Podman
 * 4 drives it. `setup NETNS` reads the container's network options on stdin
 * and prints a status per network; `teardown NETNS` undoes it; failures come
 * back as `{"error": "..."}` on stdout.
 */
export interface NetavarkInput {
  container_id: string;
  container_name: string;
  port_mappings?: PortMapping[];
  networks: Record<string, PerNetworkOptions>;
  network_info: Record<string, NetworkConfig>;
  dns_servers?: string[];
}

export interface NetavarkDriver {
  /** netavark's own state (aardvark-dns configs, firewall bookkeeping): tspod's, not Podman's. */
  stateDir: string;
  binary: string;
  aardvarkBinary?: string;
}

export function findNetavark(helperDirs: string[], stateDir: string): NetavarkDriver {
  const find = (name: string) => [...helperDirs, '/usr/libexec/podman', '/usr/lib/podman'].map((d) => join(d, name)).find((p) => existsSync(p));
  const binary = find('netavark');
  if (!binary) throw new TspodError('bridge networks need netavark: install the Debian package "netavark" (or run with --network none|host)');
  return { stateDir, binary, aardvarkBinary: find('aardvark-dns') };
}

function args(driver: NetavarkDriver, op: 'setup' | 'teardown', netns: string): string[] {
  mkdirSync(driver.stateDir, { recursive: true });
  return [
    '--config', driver.stateDir,
    `--rootless=${isRootless() ? 'true' : 'false'}`,
    ...(driver.aardvarkBinary ? [`--aardvark-binary=${driver.aardvarkBinary}`] : []),
    op, netns,
  ];
}

function failure(op: string, code: number | null, stdout: string, stderr: string): TspodError {
  let message = stderr.trim().split('\n').filter((l) => !l.includes('failed to connect to syslog')).join(' ').trim();
  try {
    const parsed = JSON.parse(stdout) as { error?: string };
    if (parsed.error) message = parsed.error;
  } catch {
    // not JSON: stderr says it
  }
  return new TspodError(`netavark (${op}): ${message || `exited with code ${code}`}`);
}

/**
 * netavark's runs for one config dir are serialised, as Podman does: concurrent
 * set-ups each decided to start aardvark-dns, and the extra ones outlived their networks.
 */
function lockPath(driver: NetavarkDriver): string {
  return join(driver.stateDir, 'netavark.lock');
}

export function netavarkSetup(driver: NetavarkDriver, netns: string, input: NetavarkInput): Promise<Record<string, NetworkStatus>> {
  return withFileLock(lockPath(driver), () => runSetup(driver, netns, input));
}

function runSetup(driver: NetavarkDriver, netns: string, input: NetavarkInput): Promise<Record<string, NetworkStatus>> {
  return new Promise((resolve, reject) => {
    const child = spawn(driver.binary, args(driver, 'setup', netns), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new TspodError(`cannot run ${driver.binary}: ${e.message}: reinstall the Debian package "netavark"`)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      if (code !== 0) return reject(failure('setup', code, stdout, Buffer.concat(err).toString()));
      try {
        resolve(JSON.parse(stdout) as Record<string, NetworkStatus>);
      } catch {
        reject(new TspodError(`netavark (setup) printed no status: ${stdout.slice(0, 200)}`));
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(input));
  });
}

/** Tears down; resolves with the error rather than throwing, since teardown must go on regardless. */
export function netavarkTeardown(driver: NetavarkDriver, netns: string, input: NetavarkInput): Promise<Error | undefined> {
  return withFileLock(lockPath(driver), () => runTeardown(driver, netns, input));
}

function runTeardown(driver: NetavarkDriver, netns: string, input: NetavarkInput): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const child = spawn(driver.binary, args(driver, 'teardown', netns), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => resolve(e));
    child.on('close', (code) => resolve(code === 0 ? undefined : failure('teardown', code, Buffer.concat(out).toString(), Buffer.concat(err).toString())));
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(input));
  });
}

export function netavarkTeardownSync(driver: NetavarkDriver, netns: string, input: NetavarkInput): Error | undefined {
  // A synchronous caller cannot wait for a task of its own process: then it runs unserialised.
  const release = fileLockHeldHere(lockPath(driver)) ? () => {} : acquireFileLockSync(lockPath(driver));
  try {
    return runTeardownSync(driver, netns, input);
  } finally {
    release();
  }
}

function runTeardownSync(driver: NetavarkDriver, netns: string, input: NetavarkInput): Error | undefined {
  const r = spawnSync(driver.binary, args(driver, 'teardown', netns), { input: JSON.stringify(input), stdio: ['pipe', 'pipe', 'pipe'] });
  if (r.error) return r.error;
  return r.status === 0 ? undefined : failure('teardown', r.status, r.stdout.toString(), r.stderr.toString());
}
