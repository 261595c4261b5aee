/**
 * Side-by-side benchmark: tspod against the Podman installed from Debian, on
 * the same inputs, in one run, printing ratios (the machine is noisy: compare
 * the ratio, never one absolute time). Each engine gets its own temp storage.
 *
 *   node --import tsx bench/images.ts [--size-mib 100] [--images 50] [--runs 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { layerTar, writeDockerArchive } from './lib.js';

const { values } = parseArgs({
  options: { 'size-mib': { type: 'string', default: '100' }, images: { type: 'string', default: '50' }, runs: { type: 'string', default: '3' } },
});
const SIZE_MIB = Number(values['size-mib']);
const IMAGE_COUNT = Number(values.images);
const RUNS = Number(values.runs);
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const work = mkdtempSync('/var/tmp/tspod-bench-');

interface Engine {
  name: string;
  cmd: (root: string, args: string[]) => [string, string[]];
}

const engines: Engine[] = [
  { name: 'tspod', cmd: (root, args) => [TSPOD, ['--root', join(root, 'g'), '--runroot', join(root, 'r'), ...args]] },
  {
    name: 'podman',
    cmd: (root, args) => ['podman', ['--root', join(root, 'g'), '--runroot', join(root, 'r'), '--storage-driver', 'overlay', '--tmpdir', join(root, 't'), ...args]],
  },
];

function run(engine: Engine, root: string, args: string[]): number {
  const [cmd, argv] = engine.cmd(root, args);
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CONTAINERS_REGISTRIES_CONF: '/dev/null' } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${engine.name} ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A docker-archive with one layer of ~SIZE_MIB of incompressible files, plus small files. */
async function makeBigArchive(path: string): Promise<void> {
  const big = Math.floor((SIZE_MIB * 0.9 * 1024 * 1024) / (256 * 1024));
  const files: Array<[string, Buffer]> = [];
  for (let i = 0; i < big; i++) files.push([`data/big-${i}.bin`, randomBytes(256 * 1024)]);
  for (let i = 0; i < 2000; i++) files.push([`data/small/${i}.txt`, randomBytes(4096 + (i % 2048))]);
  await writeDockerArchive(path, [{ name: 'localhost/bench/big:latest', layers: [await layerTar(files)] }]);
}

/** IMAGE_COUNT images sharing a base layer of ~5 MiB, each with its own small top layer. */
async function makeManyArchive(path: string): Promise<void> {
  const layerOf = layerTar;
  const base = await layerOf(Array.from({ length: 20 }, (_, i) => [`base/${i}`, randomBytes(256 * 1024)] as [string, Buffer]));
  const images = [];
  for (let i = 0; i < IMAGE_COUNT; i++) {
    images.push({ name: `localhost/bench/many${i}:latest`, layers: [base, await layerOf([[`top/${i}`, Buffer.from(`image ${i}\n`)]])] });
  }
  await writeDockerArchive(path, images);
}

function report(what: string, unit: string, results: Record<string, number>, higherIsBetter: boolean): void {
  const t = results.tspod!;
  const p = results.podman!;
  const ratio = higherIsBetter ? t / p : p / t;
  console.log(`${what.padEnd(34)} tspod ${t.toFixed(3).padStart(9)} ${unit.padEnd(6)} podman ${p.toFixed(3).padStart(9)} ${unit.padEnd(6)} tspod is ${ratio.toFixed(2)}x ${ratio >= 1 ? 'faster' : 'slower'}`);
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/podman')) throw new Error('podman is not installed: apt-get install podman');
  const big = join(work, 'big.tar');
  const many = join(work, 'many.tar');
  await makeBigArchive(big);
  await makeManyArchive(many);
  const mib = statSync(big).size / 1024 / 1024;
  console.log(`bench: ${mib.toFixed(1)} MiB image, ${IMAGE_COUNT} images sharing a layer, ${RUNS} runs each, medians; engines alternate`);
  const load: Record<string, number[]> = { tspod: [], podman: [] };
  const save: Record<string, number[]> = { tspod: [], podman: [] };
  const images: Record<string, number[]> = { tspod: [], podman: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const engine of r % 2 === 0 ? engines : [...engines].reverse()) {
      const root = mkdtempSync(join(work, `${engine.name}-`));
      load[engine.name]!.push(run(engine, root, ['load', '-q', '-i', big]));
      const out = join(root, 'saved.tar');
      save[engine.name]!.push(run(engine, root, ['save', '-o', out, 'localhost/bench/big:latest']));
      rmSync(root, { recursive: true, force: true });
    }
  }
  const roots: Record<string, string> = {};
  for (const engine of engines) {
    roots[engine.name] = mkdtempSync(join(work, `${engine.name}-many-`));
    run(engine, roots[engine.name]!, ['load', '-q', '-i', many]);
  }
  for (let r = 0; r < RUNS * 3; r++) {
    for (const engine of engines) images[engine.name]!.push(run(engine, roots[engine.name]!, ['images']));
  }
  const rate = (xs: number[]) => mib / median(xs);
  report(`load ${mib.toFixed(0)} MiB docker-archive`, 'MiB/s', { tspod: rate(load.tspod!), podman: rate(load.podman!) }, true);
  report(`save ${mib.toFixed(0)} MiB docker-archive`, 'MiB/s', { tspod: rate(save.tspod!), podman: rate(save.podman!) }, true);
  report(`images with ${IMAGE_COUNT} images`, 's', { tspod: median(images.tspod!), podman: median(images.podman!) }, false);
  const version = execFileSync('podman', ['--version']).toString().trim();
  console.log(`(${version}; node ${process.version})`);
}

main()
  .catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
