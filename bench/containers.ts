/**
 * Side-by-side benchmark of the container lifecycle: tspod against the Podman
 * installed from Debian, both on runc, each with its own temp storage, engines
 * interleaved per round so machine noise hits both alike. Prints medians and the
 * ratio tspod/podman (below 1: tspod is faster). Raw `runc run` of the same
 * rootfs is timed too, as the floor both engines build on.
 *
 *   node --import tsx bench/containers.ts          (BENCH_ROUNDS=15 by default)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildFixtures } from '../test/fixtures/images.js';
import { median, printTable, removeWorkDir, reportStrayProcesses, rotated, sh } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CLIENTS = 8;
const BURST = 50;
const BURST_ROUNDS = Math.min(3, ROUNDS);
const PS_COUNTS = [0, 100, 500];
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const work = mkdtempSync('/var/tmp/tspod-cbench-');

interface Engine {
  name: string;
  cmd: string;
  global: string[];
  env: NodeJS.ProcessEnv;
}

const podmanConf = join(work, 'containers.conf');
const engines: Engine[] = [
  {
    name: 'tspod',
    cmd: TSPOD,
    global: ['--root', join(work, 'tspod/root'), '--runroot', join(work, 'tspod/run'), '--storage-driver', 'overlay'],
    env: { ...process.env, CONTAINERS_CONF: '/dev/null' },
  },
  {
    name: 'podman',
    cmd: 'podman',
    global: ['--root', join(work, 'podman/root'), '--runroot', join(work, 'podman/run'), '--storage-driver', 'overlay',
      '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', join(work, 'podman/tmp')],
    env: { ...process.env, CONTAINERS_CONF: podmanConf },
  },
];

const engineRun = (e: Engine, args: string[]) => sh(e.cmd, [...e.global, ...args], e.env);
const timed = async (e: Engine, args: string[]) => (await engineRun(e, args)).seconds;
const output = async (e: Engine, args: string[]) => (await engineRun(e, args)).stdout.trim();

/** Runs job(0..total-1) through `clients` concurrent workers; resolves with the wall time. */
async function parallel(total: number, clients: number, job: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < total) await job(next++);
  }));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** samples[what][engine] = seconds per round */
const samples: Record<string, Record<string, number[]>> = {};
function record(what: string, engine: string, seconds: number): void {
  ((samples[what] ??= {})[engine] ??= []).push(seconds);
}
const med = (what: string, engine: string) => median(samples[what]![engine]!);

/** A runc bundle of the busybox layer running `true`, with its own state dir. */
function makeBundle(layerTar: string): { bundle: string; state: string } {
  const bundle = join(work, 'runc/bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  execFileSync('tar', ['-xf', layerTar, '-C', join(bundle, 'rootfs')]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  config.process.args = ['true'];
  config.process.terminal = false;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  return { bundle, state: join(work, 'runc/state') };
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/podman')) throw new Error('podman is not installed: apt-get install podman');
  writeFileSync(podmanConf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]\n');
  const fx = await buildFixtures(join(work, 'fixtures'));
  const IMG = fx.busybox.refName;
  for (const e of engines) await engineRun(e, ['load', '-q', '-i', fx.busybox.ociArchive]);
  const runc = makeBundle(fx.busybox.layerTars[0]!);
  const started = Date.now();
  console.log(`bench: ${ROUNDS} rounds, medians, engines interleaved; image ${IMG}; work dir ${work}`);

  // 1 + 6. run --rm true, and raw runc run of the same rootfs
  for (let r = 0; r < ROUNDS; r++) {
    for (const who of rotated([...engines, undefined], r)) {
      if (who) record('run', who.name, await timed(who, ['run', '--rm', '--network', 'none', IMG, 'true']));
      else record('run', 'runc', (await sh('runc', ['--root', runc.state, 'run', '--bundle', runc.bundle, `bench-${r}`])).seconds);
    }
  }
  progress('run --rm', started);

  // 2. create + start + stop -t 0 + rm of one container
  for (let r = 0; r < ROUNDS; r++) {
    for (const e of rotated(engines, r)) {
      const t0 = process.hrtime.bigint();
      const created = await engineRun(e, ['create', '--network', 'none', IMG, 'sleep', '1000']);
      const id = created.stdout.trim();
      record('create', e.name, created.seconds);
      record('start', e.name, await timed(e, ['start', id]));
      record('stop', e.name, await timed(e, ['stop', '-t', '0', id]));
      record('rm', e.name, await timed(e, ['rm', id]));
      record('lifecycle', e.name, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  progress('lifecycle', started);

  // 3. exec into a running container
  for (const e of engines) await engineRun(e, ['run', '-d', '--network', 'none', '--name', 'bench-exec', IMG, 'sleep', '1000']);
  for (let r = 0; r < ROUNDS; r++) {
    for (const e of rotated(engines, r)) record('exec', e.name, await timed(e, ['exec', 'bench-exec', 'true']));
  }
  for (const e of engines) await engineRun(e, ['rm', '-f', '-t', '0', 'bench-exec']);
  progress('exec', started);

  // 4. ps -a with 0, 100, 500 created containers
  let have = 0;
  const createWall: Record<string, number> = { tspod: 0, podman: 0 };
  for (const count of PS_COUNTS) {
    for (const e of engines) {
      createWall[e.name]! += await parallel(count - have, CLIENTS, () => engineRun(e, ['create', '--network', 'none', IMG, 'sleep', '1000']));
    }
    have = count;
    for (let r = 0; r < ROUNDS; r++) {
      for (const e of rotated(engines, r)) {
        const { seconds, stdout } = await engineRun(e, ['ps', '-a']);
        const rows = stdout.trim().split('\n').length - 1;
        if (rows !== count) throw new Error(`${e.name} ps -a listed ${rows} containers, expected ${count}`);
        record(`ps ${count}`, e.name, seconds);
      }
    }
  }
  for (const e of engines) record('create-many', e.name, createWall[e.name]!);
  for (const e of rotated(engines, 1)) record('rm-created', e.name, await timed(e, ['rm', '-fa', '-t', '0']));
  progress('ps -a', started);

  // 5. BURST x run -d through CLIENTS parallel clients, then rm -fa -t 0
  for (let r = 0; r < BURST_ROUNDS; r++) {
    for (const e of rotated(engines, r)) {
      const wall = await parallel(BURST, CLIENTS, () => engineRun(e, ['run', '-d', '--network', 'none', IMG, 'sleep', '1000']));
      record('burst', e.name, wall);
      const running = (await output(e, ['ps', '-q'])).split('\n').filter(Boolean).length;
      if (running !== BURST) console.log(`!! ${e.name}: ${running} containers running after ${BURST} run -d, expected ${BURST}`);
      record('rm-burst', e.name, await timed(e, ['rm', '-fa', '-t', '0']));
    }
  }
  progress('run -d burst', started);

  const rows: Array<[string, string, string, string]> = [];
  const secs = (s: number) => `${s.toFixed(3)} s`;
  const row = (label: string, what: string, extra: (s: number) => string = secs) => {
    const [t, p] = [med(what, 'tspod'), med(what, 'podman')];
    rows.push([label, extra(t), extra(p), (t / p).toFixed(2)]);
  };
  row('run --rm IMG true', 'run');
  row('create+start+stop -t 0+rm', 'lifecycle');
  for (const step of ['create', 'start', 'stop', 'rm']) row(`  ${step === 'stop' ? 'stop -t 0' : step}`, step);
  row('exec CTR true', 'exec');
  for (const count of PS_COUNTS) row(`ps -a, ${count} created`, `ps ${count}`);
  row(`${PS_COUNTS.at(-1)} x create, ${CLIENTS} clients`, 'create-many', (s) => `${s.toFixed(2)} s = ${(PS_COUNTS.at(-1)! / s).toFixed(1)}/s`);
  row(`rm -fa -t 0, ${PS_COUNTS.at(-1)} created`, 'rm-created');
  row(`${BURST} x run -d, ${CLIENTS} clients`, 'burst', (s) => `${s.toFixed(2)} s = ${(BURST / s).toFixed(1)}/s`);
  row(`rm -fa -t 0, ${BURST} running`, 'rm-burst');
  const runcRun = med('run', 'runc');
  rows.push(['runc run true (reference)', secs(runcRun), '', '']);
  rows.push(['run --rm / runc run', `${(med('run', 'tspod') / runcRun).toFixed(1)}x`, `${(med('run', 'podman') / runcRun).toFixed(1)}x`, '']);
  printTable(rows);
  const version = execFileSync('podman', ['--version']).toString().trim();
  const runcVersion = execFileSync('runc', ['--version']).toString().split('\n')[0];
  console.log(`(medians of ${ROUNDS} rounds, burst and its rm -fa: ${BURST_ROUNDS} rounds, ${PS_COUNTS.at(-1)} x create and its rm -fa: once; ratio < 1: tspod faster; ${version}; ${runcVersion}; node ${process.version}; ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

function progress(what: string, since: number): void {
  console.log(`  ${what} done (${((Date.now() - since) / 1000).toFixed(0)} s)`);
}

/** Removes every container of both engines, then the work dir unless a mount is left under it. */
async function cleanup(): Promise<void> {
  for (const e of engines) {
    if (existsSync(join(work, e.name))) await engineRun(e, ['rm', '-fa', '-t', '0']).catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }
  reportStrayProcesses(work);
  removeWorkDir(work);
}

main()
  .catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
