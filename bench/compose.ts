/**
 * Compose benchmark, side by side in one run: `up -d` of a 5-service project
 * (busybox services with init on the project's default network, one publishing
 * a loopback port), a second `up -d` with nothing to do, and `down`. tspod's own
 * `compose` against docker-compose 1.29 (Debian) driving Podman 4.3.1 through
 * its API: `podman system service` on a private unix socket, with its own
 * storage, network config dir and containers.conf. Rounds alternate which goes
 * first; prints medians and the ratio tspod / (podman + docker-compose), below 1
 * when tspod is faster.
 *
 *   node --import tsx bench/compose.ts          (BENCH_ROUNDS=5 by default)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { buildFixtures } from '../test/fixtures/images.js';
import { median, printTable, removeWorkDir, reportStrayProcesses, rotated, sh } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const IMG = 'localhost/tspod-test/busybox';
const SERVICES = ['web', 'api', 'worker', 'cache', 'db'];
const work = mkdtempSync('/var/tmp/tspod-compose-bench-');
const project = `cbench${process.pid}`;
const composeFile = join(work, 'project', 'compose.yaml');
const socket = join(work, 'podman.sock');

const tspodGlobal = ['--root', join(work, 'tspod/root'), '--runroot', join(work, 'tspod/run'), '--network-config-dir', join(work, 'tspod/networks')];
const tspodEnv = { ...process.env, CONTAINERS_CONF: '/dev/null' };
const podmanGlobal = [
  '--root', join(work, 'podman/root'), '--runroot', join(work, 'podman/run'), '--network-config-dir', join(work, 'podman/networks'),
  '--tmpdir', join(work, 'podman/tmp'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
];
// Podman here can only start containers with ulimits under the host's hard limits.
const podmanEnv: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(work, 'containers.conf') };
delete podmanEnv.DOCKER_HOST;

interface Side {
  name: string;
  /** The compose command line for a verb. */
  compose: (args: string[]) => [string, string[], NodeJS.ProcessEnv];
}

const sides: Side[] = [
  { name: 'tspod', compose: (args) => [TSPOD, [...tspodGlobal, 'compose', '-p', project, '-f', composeFile, ...args], tspodEnv] },
  {
    name: 'podman',
    compose: (args) => ['docker-compose', ['-p', project, '-f', composeFile, ...args], { ...process.env, DOCKER_HOST: `unix://${socket}` }],
  },
];

const run = (side: Side, args: string[]) => sh(...side.compose(args));

/** samples[phase][side] = seconds per round */
const samples: Record<string, Record<string, number[]>> = {};
function record(phase: string, side: string, seconds: number): void {
  ((samples[phase] ??= {})[side] ??= []).push(seconds);
}

/** GET /_ping on the service's socket: true once it answers. */
function ping(): Promise<boolean> {
  return new Promise((ok) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      ok(res.statusCode === 200);
    });
    req.on('error', () => ok(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

let service: ChildProcess | undefined;

async function startPodmanService(): Promise<void> {
  const log: Buffer[] = [];
  service = spawn('podman', [...podmanGlobal, 'system', 'service', '--time', '0', `unix://${socket}`], { env: podmanEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  service.stderr!.on('data', (d: Buffer) => log.push(d));
  const exited = new Promise<never>((_, fail) => service!.once('exit', (code) => fail(new Error(`podman system service exited ${code}: ${Buffer.concat(log).toString().trim()}`))));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await Promise.race([ping(), exited])) return;
    if (Date.now() > deadline) throw new Error(`podman system service did not answer on ${socket} within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ends only the service this bench started, by its PID. */
async function stopPodmanService(): Promise<void> {
  if (!service || service.exitCode !== null || service.signalCode !== null) return;
  const gone = new Promise((r) => service!.once('exit', r));
  process.kill(service.pid!, 'SIGTERM');
  const timer = setTimeout(() => service?.pid && process.kill(service.pid, 'SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

function writeProject(): void {
  mkdirSync(join(work, 'project'), { recursive: true });
  const services = SERVICES.map(
    (s, i) => `  ${s}:\n    image: ${IMG}\n    init: true\n    command: ["sleep", "1000"]\n${i === 0 ? '    ports: ["127.0.0.1::8080"]\n' : ''}`,
  ).join('');
  // No bridge name or subnet: docker-compose 1.29 reads Podman's network back as changed and refuses a second up.
  writeFileSync(composeFile, `services:\n${services}`);
  writeFileSync(join(work, 'containers.conf'), '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n');
}

async function main(): Promise<void> {
  const fx = await buildFixtures('/var/tmp/tspod-test-fixtures');
  writeProject();
  await sh(TSPOD, [...tspodGlobal, 'load', '-q', '-i', fx.busybox.ociArchive], tspodEnv);
  await sh('podman', [...podmanGlobal, 'load', '-q', '-i', fx.busybox.ociArchive], podmanEnv);
  await startPodmanService();
  const started = Date.now();
  console.log(`bench: compose, ${SERVICES.length} services, ${ROUNDS} rounds (one warm-up), medians; work dir ${work}`);
  for (let r = -1; r < ROUNDS; r++) {
    for (const side of rotated(sides, Math.max(r, 0))) {
      const up = await run(side, ['up', '-d']);
      const noop = await run(side, ['up', '-d']);
      const down = await run(side, ['down', '-t', '2']);
      if (r < 0) continue;
      record('up -d (create + start)', side.name, up.seconds);
      record('up -d (nothing to do)', side.name, noop.seconds);
      record('down', side.name, down.seconds);
    }
  }
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const rows = Object.entries(samples).map(([phase, bySide]): [string, string, string, string] => {
    const t = median(bySide.tspod!);
    const p = median(bySide.podman!);
    return [phase, ms(t), ms(p), (t / p).toFixed(2)];
  });
  printTable(rows, ['', 'tspod compose', 'podman + docker-compose', 'ratio']);
  const versions = await Promise.all([
    sh('podman', ['--version']).then((r) => r.stdout.trim()),
    sh('docker-compose', ['version', '--short']).then((r) => `docker-compose ${r.stdout.trim()}`),
  ]);
  console.log(`(medians of ${ROUNDS} rounds; ratio = tspod / (podman + docker-compose), < 1: tspod faster; ${versions.join('; ')}; node ${process.version}; ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

async function cleanup(): Promise<void> {
  if (existsSync(join(work, 'tspod/root'))) {
    await sh(TSPOD, [...tspodGlobal, 'compose', '-p', project, 'down', '-t', '0'], tspodEnv).catch((e: Error) => console.error(`cleanup: ${e.message}`));
  }
  if (service && existsSync(socket)) await run(sides[1]!, ['down', '-t', '0']).catch((e: Error) => console.error(`cleanup: ${e.message}`));
  await stopPodmanService();
  if (existsSync(join(work, 'podman/root'))) await sh('podman', [...podmanGlobal, 'rm', '-fa', '-t', '0'], podmanEnv).catch(() => undefined);
  reportStrayProcesses(work);
  removeWorkDir(work);
}

await main()
  .catch((e: Error) => {
    console.error(e.message);
    process.exitCode = 1;
  })
  .finally(cleanup);
