/** What the side-by-side benchmarks share: timed commands, medians, rotation and the ratio table. */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

/** Runs a command; resolves with its wall time and stdout, rejects with its stderr. */
export function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ seconds: number; stdout: string }> {
  return new Promise((ok, fail) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', fail);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code === 0) ok({ seconds, stdout: Buffer.concat(out).toString() });
      else fail(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().trim()}`));
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The list rotated by r, so each engine goes first in turn. */
export const rotated = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]!);

/** Prints rows of [label, tspod, podman, ratio] with aligned columns. */
export function printTable(rows: Array<[string, string, string, string]>): void {
  const header: [string, string, string, string] = ['', 'tspod', 'podman', 'tspod/podman'];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '));
  console.log();
  line(header);
  for (const r of rows) line(r);
}

/** Removes a bench's work dir, unless a mount is left under it (then says so and fails the run). */
export function removeWorkDir(work: string): void {
  const left = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1]?.startsWith(`${work}/`));
  if (left.length > 0) {
    console.error(`!! ${left.length} mounts left under ${work}; not deleting it:\n${left.join('\n')}`);
    process.exitCode = 1;
    return;
  }
  rmSync(work, { recursive: true, force: true });
}
