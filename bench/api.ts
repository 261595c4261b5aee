/**
 * Side-by-side benchmark of the REST API: requests per second from
 * `tspod system service` and `podman system service`, each on its own temp
 * storage and private unix socket, over the same data (100 created containers,
 * 51 images, 10 volumes, 5 networks). The load is bounded: a fixed number of
 * keep-alive requests over BENCH_CONNS connections (undici), capped at
 * BENCH_SECONDS per measurement, engines interleaved per round; medians.
 *
 *   node --import tsx bench/api.ts        (BENCH_ROUNDS=3, BENCH_CONNS=8, BENCH_SECONDS=5)
 *
 * A route tspod does not serve yet (404) prints "n/a (route missing)".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { buildFixtures } from '../test/fixtures/images.js';
import { layerTar, median, printTable, removeWorkDir, rotated, sh, sideBySideEngines, writeDockerArchive, type BenchEngine } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNS = Number(process.env.BENCH_CONNS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONTAINERS = 100;
const EXTRA_IMAGES = 50;
const VOLUMES = 10;
const NETWORKS = 5;
const work = mkdtempSync('/var/tmp/tspod-apibench-');

interface Endpoint {
  path: string;
  /** Requests per measurement (fewer when the time cap ends it first). */
  requests: number;
  /** What the Docker numbers in the issue were, and the target. */
  target: string;
  /** How many items a list must hold, checked once per engine before measuring. */
  expect?: (body: unknown) => string | undefined;
}

const count = (n: number, what: string) => (body: unknown) => {
  const items = Array.isArray(body) ? body : (body as { Volumes?: unknown[] }).Volumes;
  return items?.length === n ? undefined : `expected ${n} ${what}, got ${items?.length}`;
};

const ENDPOINTS: Endpoint[] = [
  { path: '/_ping', requests: 20_000, target: '>= 6,500/s (Docker)' },
  { path: '/v1.44/containers/json?all=1', requests: 2_000, target: '>= 1,050/s (10x Docker)', expect: count(CONTAINERS, 'containers') },
  { path: '/v1.44/images/json', requests: 4_000, target: '>= 2,810/s (10x Docker)', expect: count(EXTRA_IMAGES + 1, 'images') },
  { path: '/v1.44/volumes', requests: 10_000, target: '', expect: count(VOLUMES, 'volumes') },
  // The default network is listed too.
  { path: '/v1.44/networks', requests: 10_000, target: '', expect: count(NETWORKS + 1, 'networks') },
];

interface Engine extends BenchEngine {
  socket: string;
  service?: ChildProcess;
  pool?: Pool;
}

const engines: Engine[] = sideBySideEngines(work).map((e) => ({ ...e, socket: join(work, `${e.name}.sock`) }));

const engineRun = (e: Engine, args: string[]) => sh(e.cmd, [...e.global, ...args], e.env);

/** Runs job(0..total-1) through `workers` concurrent workers. */
async function parallel(total: number, workers: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < total) await job(next++);
  }));
}

/** The same data in both engines: images, containers, volumes, networks. */
async function populate(e: Engine, archives: { busybox: string; extra: string }, image: string): Promise<void> {
  mkdirSync(join(work, e.name, 'networks'), { recursive: true });
  await engineRun(e, ['load', '-q', '-i', archives.busybox]);
  await engineRun(e, ['load', '-q', '-i', archives.extra]);
  await parallel(CONTAINERS, 4, (i) => engineRun(e, ['create', '--network', 'none', '--name', `bench-${i}`, image, 'true']));
  await parallel(VOLUMES, 4, (i) => engineRun(e, ['volume', 'create', `bench-vol-${i}`]));
  // Config only (no container joins them), in subnets that collide with nothing.
  for (let i = 0; i < NETWORKS; i++) await engineRun(e, ['network', 'create', '--subnet', `10.254.${e.name === 'tspod' ? i : 100 + i}.0/24`, `bench-net-${i}`]);
}

async function startService(e: Engine): Promise<void> {
  const child = spawn(e.cmd, [...e.global, 'system', 'service', '--time', '0', `unix://${e.socket}`], { env: e.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  e.service = child;
  e.pool = new Pool('http://localhost', { socketPath: e.socket, connections: CONNS, pipelining: 1, keepAliveTimeout: 60_000 });
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`${e.name} system service exited ${child.exitCode}: ${stderr}`);
    if (existsSync(e.socket)) {
      try {
        if ((await get(e, '/_ping')).status === 200) return;
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${e.name} system service did not answer on ${e.socket}: ${stderr}`);
}

/** Stops the service this bench started, by its PID. */
async function stopService(e: Engine): Promise<void> {
  await e.pool?.close();
  const child = e.service;
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

async function get(e: Engine, path: string): Promise<{ status: number; body: string }> {
  const r = await e.pool!.request({ method: 'GET', path });
  return { status: r.statusCode, body: await r.body.text() };
}

/** CPU time (user + system) the process has used, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1e6 / CLOCK_TICKS);
}
const CLOCK_TICKS = 100;

/**
 * Requests per second for `requests` GETs of path (or as many as fit in
 * SECONDS), and the service's CPU time per request: on a busy machine the
 * second says more about the server than the first.
 */
async function measure(e: Engine, path: string, requests: number): Promise<{ rate: number; cpu: number }> {
  const deadline = process.hrtime.bigint() + BigInt(SECONDS * 1e9);
  let done = 0;
  let failed = 0;
  const cpu0 = cpuMicros(e.service!.pid!);
  const start = process.hrtime.bigint();
  await parallel(requests, CONNS, async () => {
    if (process.hrtime.bigint() > deadline) return;
    const r = await e.pool!.request({ method: 'GET', path });
    await r.body.dump({ limit: Infinity });
    if (r.statusCode === 200) done += 1;
    else failed += 1;
  });
  if (failed > 0) throw new Error(`${e.name} GET ${path}: ${failed} requests failed`);
  return { rate: done / (Number(process.hrtime.bigint() - start) / 1e9), cpu: (cpuMicros(e.service!.pid!) - cpu0) / done };
}

const fmt = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/podman')) throw new Error('podman is not installed: apt-get install podman');
  const fx = await buildFixtures(join(work, 'fixtures'));
  const layer = await layerTar([['bench.txt', Buffer.from('api bench\n')]]);
  const extra = join(work, 'extra-images.tar');
  await writeDockerArchive(extra, Array.from({ length: EXTRA_IMAGES }, (_, i) => ({ name: `localhost/bench/image-${i}:latest`, layers: [layer] })));
  const started = Date.now();
  for (const e of engines) await populate(e, { busybox: fx.busybox.ociArchive, extra }, fx.busybox.refName);
  console.log(`bench: set up ${CONTAINERS} containers, ${EXTRA_IMAGES + 1} images, ${VOLUMES} volumes, ${NETWORKS} networks per engine in ${((Date.now() - started) / 1000).toFixed(0)} s; work dir ${work}`);
  try {
    for (const e of engines) await startService(e);
    console.log(`bench: ${ROUNDS} rounds, ${CONNS} keep-alive connections, at most ${SECONDS} s per measurement, medians, engines interleaved`);
    const rows: Array<[string, string, string, string]> = [];
    const cpuRows: Array<[string, string, string, string]> = [];
    for (const endpoint of ENDPOINTS) {
      const missing = new Set<string>();
      for (const e of engines) {
        const probe = await get(e, endpoint.path);
        if (probe.status === 404) {
          missing.add(e.name);
          continue;
        }
        if (probe.status !== 200) throw new Error(`${e.name} GET ${endpoint.path}: ${probe.status} ${probe.body}`);
        const wrong = endpoint.expect?.(JSON.parse(probe.body));
        if (wrong) throw new Error(`${e.name} GET ${endpoint.path}: ${wrong}`);
        // Warm-up (JIT, caches, connections).
        await measure(e, endpoint.path, Math.ceil(endpoint.requests / 20));
      }
      const rates: Record<string, number[]> = {};
      const cpus: Record<string, number[]> = {};
      for (let r = 0; r < ROUNDS; r++) {
        for (const e of rotated(engines, r)) {
          if (missing.has(e.name)) continue;
          const { rate, cpu } = await measure(e, endpoint.path, endpoint.requests);
          (rates[e.name] ??= []).push(rate);
          (cpus[e.name] ??= []).push(cpu);
        }
      }
      const label = endpoint.path.replace(/^\/v1\.44/, '');
      const row = (samples: Record<string, number[]>, show: (n: number) => string, ratio: (t: number, p: number) => number): [string, string, string, string] => {
        const shown = (name: string) => (missing.has(name) ? 'n/a (route missing)' : show(median(samples[name]!)));
        const r = missing.size > 0 ? 'n/a' : `${ratio(median(samples.tspod!), median(samples.podman!)).toFixed(2)}x`;
        return [label, shown('tspod'), shown('podman'), r];
      };
      rows.push(row(rates, fmt, (t, p) => t / p));
      cpuRows.push(row(cpus, (n) => `${n.toFixed(0)} us`, (t, p) => p / t));
      console.log(`  ${label}: tspod ${rows.at(-1)![1]}, podman ${rows.at(-1)![2]}`);
    }
    console.log('\nrequests per second (tspod/podman above 1: tspod serves more)');
    printTable(rows);
    console.log('\ntargets (Docker measured in the issue): ' + ENDPOINTS.filter((e) => e.target).map((e) => `${e.path.replace(/^\/v1\.44/, '')} ${e.target}`).join('; '));
    console.log('\nservice CPU time per request (ratio podman/tspod: above 1, tspod spends less)');
    printTable(cpuRows);
  } finally {
    for (const e of engines) await stopService(e);
    for (const e of engines) await engineRun(e, ['rm', '-a', '-f']).catch(() => undefined);
    removeWorkDir(work);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
