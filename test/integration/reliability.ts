/**
 * Shared pieces of the reliability suites (concurrency, crash, fuzz, isolation):
 * their size, their one-line figures, and what a sandbox leaves on the host.
 *
 * TSPOD_RELIABILITY=nightly runs the full size (scripts/reliability.mjs sets it);
 * anything else runs the CI size, bounded to a few minutes on two cores.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, appendFileSync } from 'node:fs';
import { type Sandbox, slotSubnet } from './harness.js';

export const NIGHTLY = process.env.TSPOD_RELIABILITY === 'nightly';

/** Picks the CI or the nightly value. */
export function sized<T>(ci: T, nightly: T): T {
  return NIGHTLY ? nightly : ci;
}

/**
 * Prints one suite's figures as a single line (`RELIABILITY <suite> key=value ...`),
 * and appends it to $TSPOD_RELIABILITY_REPORT when set, so a script can gather them.
 */
export function reportFigures(suite: string, figures: Record<string, number | string>): void {
  const line = `RELIABILITY ${suite} ${Object.entries(figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
  process.stdout.write(`${line}\n`);
  if (process.env.TSPOD_RELIABILITY_REPORT) appendFileSync(process.env.TSPOD_RELIABILITY_REPORT, `${line}\n`);
}

/** A seed for fast-check and the random kill points: fixed in CI unless given, so a failure can be replayed. */
export function seed(): number {
  const given = Number(process.env.TSPOD_RELIABILITY_SEED);
  return Number.isInteger(given) && given !== 0 ? given : NIGHTLY ? Date.now() % 2 ** 31 : 20261123;
}

/** A small deterministic PRNG (mulberry32) for choosing kill points. */
export function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface HostLeftovers {
  /** Mounts below the sandbox dir. */
  mounts: string[];
  /** conmon processes serving this sandbox's storage. */
  conmons: number[];
  /** The OCI runtime's state dirs (a container the runtime still knows). */
  runtimeState: string[];
  /** veths on the sandbox's default bridge. */
  veths: string[];
  /** iptables rules naming one container address of the sandbox's subnet. */
  containerRules: string[];
  /** Network namespaces holding an address of the sandbox's subnet. */
  netns: string[];
  /** aardvark-dns processes serving this sandbox's networks. */
  aardvarks: number[];
}

/** Everything on the host that belongs to a sandbox's containers. */
export function hostLeftovers(box: Sandbox): HostLeftovers {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.includes(box.dir));
  const conmons: number[] = [];
  const aardvarks: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(box.dir)) continue;
      if (cmdline.startsWith('/usr/bin/conmon')) conmons.push(Number(pid));
      if (cmdline.split('\0')[0]!.endsWith('/aardvark-dns')) aardvarks.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  const stateDir = box.path('run', 'tspod', 'runtime', 'runc');
  const runtimeState = existsSync(stateDir) ? readdirSync(stateDir) : [];
  let veths: string[] = [];
  try {
    veths = execFileSync('ip', ['-o', 'link', 'show', 'master', box.bridge], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => l !== '' && !l.includes(': tspa'));
  } catch {
    // no bridge: no veths
  }
  const { prefix } = slotSubnet(box.netSlot);
  const address = new RegExp(`\\b${prefix.replace(/\./g, '\\.')}\\.(?!0/)\\d+`);
  const containerRules = execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => address.test(l));
  const netns: string[] = [];
  for (const name of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
    if (!name.startsWith('tspod-')) continue;
    try {
      const addrs = execFileSync('ip', ['-n', name, '-o', '-4', 'addr'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (address.test(addrs)) netns.push(name);
    } catch {
      // removed meanwhile, or not a namespace (yet)
    }
  }
  return { mounts, conmons, runtimeState, veths, containerRules, netns, aardvarks };
}

/** How many things leaked, over every kind. */
export function leakCount(l: HostLeftovers): number {
  return l.mounts.length + l.conmons.length + l.runtimeState.length + l.veths.length + l.containerRules.length + l.netns.length + l.aardvarks.length;
}

/** Waits (bounded) until a condition on real state holds. */
export async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stack trace or a raw library error leaking into what a user sees. */
export const UNCLEAN_STDERR = /\n\s+at |SQLITE_BUSY|database is locked|Unhandled|TypeError|RangeError|ReferenceError|EEXIST|ENOTEMPTY/;
