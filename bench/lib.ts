/** What the side-by-side benchmarks share: timed commands, medians, rotation and the ratio table. */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';

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

/** One side of a side-by-side bench: how to run it, with its own storage under the work dir. */
export interface BenchEngine {
  name: 'tspod' | 'podman';
  cmd: string;
  global: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * tspod (this checkout) and Debian's Podman, each with its own storage and
 * network config dir under `work`; Podman on runc with cgroupfs and file
 * events, as tspod runs, and a containers.conf written under `work`.
 */
export function sideBySideEngines(work: string): BenchEngine[] {
  const podmanConf = join(work, 'containers.conf');
  writeFileSync(podmanConf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]\n');
  const storage = (name: string) => ['--root', join(work, name, 'root'), '--runroot', join(work, name, 'run'), '--network-config-dir', join(work, name, 'networks')];
  return [
    { name: 'tspod', cmd: resolve(import.meta.dirname, '../bin/tspod'), global: storage('tspod'), env: { ...process.env, CONTAINERS_CONF: '/dev/null' } },
    {
      name: 'podman',
      cmd: 'podman',
      global: [...storage('podman'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', join(work, 'podman/tmp')],
      env: { ...process.env, CONTAINERS_CONF: podmanConf },
    },
  ];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The list rotated by r, so each engine goes first in turn. */
export const rotated = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length]!);

/** Prints rows of [label, tspod, podman, ratio] with aligned columns. */
export function printTable(rows: Array<[string, string, string, string]>, header: [string, string, string, string] = ['', 'tspod', 'podman', 'tspod/podman']): void {
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   '));
  console.log();
  line(header);
  for (const r of rows) line(r);
}

/** Says which processes still run with the work dir in their command line (left behind by an engine). */
export function reportStrayProcesses(work: string): void {
  const procs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return cmdline.includes(work) ? [`${pid} ${cmdline.slice(0, 200)}`] : [];
    } catch {
      return [];
    }
  });
  if (procs.length > 0) console.error(`!! ${procs.length} processes still running with ${work} in their command line:\n${procs.join('\n')}`);
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

/** A layer tar of the given files (fixed mtimes, so the same files give the same digest). */
export async function layerTar(files: Array<[string, Buffer]>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const [name, data] of files) pack.entry({ name, mtime: new Date(0) }, data);
  pack.finalize();
  await collecting;
  return Buffer.concat(chunks);
}

/** A docker-archive (uncompressed layers) of the given images. */
export async function writeDockerArchive(path: string, images: Array<{ name: string; layers: Buffer[] }>): Promise<void> {
  const pack = tarStream.pack();
  const writing = pipeline(pack as unknown as Readable, createWriteStream(path));
  const manifest = [];
  const written = new Set<string>();
  for (const [i, image] of images.entries()) {
    const diffIds = image.layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: new Date(1_700_000_000_000 + i * 1000).toISOString(),
        config: { Cmd: ['sh'], Labels: { index: String(i) } },
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    );
    const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
    pack.entry({ name: configName, mtime: new Date(0) }, config);
    const layerNames = [];
    for (const [j, layer] of image.layers.entries()) {
      const name = `${diffIds[j]!.slice(7)}.tar`;
      if (!written.has(name)) pack.entry({ name, mtime: new Date(0) }, layer);
      written.add(name);
      layerNames.push(name);
    }
    manifest.push({ Config: configName, RepoTags: [image.name], Layers: layerNames });
  }
  pack.entry({ name: 'manifest.json', mtime: new Date(0) }, JSON.stringify(manifest));
  pack.finalize();
  await writing;
}

