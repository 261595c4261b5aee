/**
 * GET /images/json through the API service, tspod's against Podman's (both
 * from Debian's podman), each over its own storage holding the same images:
 * requests per second from a keep-alive client with some concurrency, and the
 * service's CPU time per request (steadier than wall time on a shared machine).
 *
 *   node --import tsx bench/api-images.ts [--images 51] [--seconds 5] [--concurrency 16]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printTable, removeWorkDir } from './lib.js';

const { values } = parseArgs({
  options: { images: { type: 'string', default: '51' }, seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '16' } },
});
const IMAGES = Number(values.images);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const work = mkdtempSync('/var/tmp/tspod-bench-api-');
const env = { ...process.env, CONTAINERS_REGISTRIES_CONF: '/dev/null', CONTAINERS_CONF: '/dev/null' };

interface Engine {
  name: string;
  argv: (root: string) => string[];
  cmd: string;
}

const engines: Engine[] = [
  { name: 'tspod', cmd: TSPOD, argv: (root) => ['--root', join(root, 'g'), '--runroot', join(root, 'r')] },
  { name: 'podman', cmd: 'podman', argv: (root) => ['--root', join(root, 'g'), '--runroot', join(root, 'r'), '--storage-driver', 'overlay', '--tmpdir', join(root, 't')] },
];

function ok(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** CPU milliseconds a process has used (utime + stime at 100 Hz). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function get(socket: string, path: string, agent: Agent): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ socketPath: socket, path, agent }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end();
  });
}

async function measure(socket: string, pid: number): Promise<{ perSecond: number; cpuPerRequest: number; count: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const path = '/v1.44/images/json';
  const body = await new Promise<string>((ok) => request({ socketPath: socket, path }, (res) => {
    let text = '';
    res.on('data', (d: Buffer) => (text += d.toString()));
    res.on('end', () => ok(text));
  }).end());
  const count = (JSON.parse(body) as unknown[]).length;
  // Warm up (JIT, caches) for a tenth of the run.
  const warm = Date.now() + SECONDS * 100;
  while (Date.now() < warm) await get(socket, path, agent);
  let done = 0;
  const cpu0 = cpuMs(pid);
  const start = Date.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        if ((await get(socket, path, agent)) !== 200) throw new Error('GET /images/json failed');
        done++;
      }
    }),
  );
  const seconds = (Date.now() - start) / 1000;
  const cpu = cpuMs(pid) - cpu0;
  agent.destroy();
  return { perSecond: done / seconds, cpuPerRequest: cpu / done, count };
}

async function startService(engine: Engine, root: string): Promise<{ child: ChildProcess; socket: string }> {
  const socket = join(root, 'api.sock');
  const child = spawn(engine.cmd, [...engine.argv(root), 'system', 'service', '--time', '0', `unix://${socket}`], { env, stdio: 'ignore' });
  for (let i = 0; i < 400 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  return { child, socket };
}

const results = new Map<string, { perSecond: number; cpuPerRequest: number; count: number }>();
try {
  const tars = join(work, 'tars');
  mkdirSync(tars);
  for (let i = 0; i < IMAGES; i++) {
    const dir = join(tars, String(i));
    mkdirSync(dir);
    writeFileSync(join(dir, 'file'), `image ${i}\n`);
    ok('tar', ['-C', dir, '-cf', join(tars, `${i}.tar`), 'file']);
  }
  for (const engine of engines) {
    const root = join(work, engine.name);
    mkdirSync(root);
    for (let i = 0; i < IMAGES; i++) ok(engine.cmd, [...engine.argv(root), 'import', '-q', join(tars, `${i}.tar`), `bench/image${i}:v1`]);
    const { child, socket } = await startService(engine, root);
    try {
      results.set(engine.name, await measure(socket, child.pid!));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      // Podman keeps its overlay directory bind-mounted on itself.
      if (engine.name === 'podman') spawnSync('umount', [join(root, 'g', 'overlay')], { stdio: 'ignore' });
    }
  }
  const t = results.get('tspod')!;
  const p = results.get('podman')!;
  console.log(`\n${t.count} images listed by tspod, ${p.count} by podman; ${CONCURRENCY} connections, ${SECONDS} s each`);
  printTable([
    ['GET /images/json req/s', t.perSecond.toFixed(0), p.perSecond.toFixed(0), (t.perSecond / p.perSecond).toFixed(2)],
    ['service CPU ms per request', t.cpuPerRequest.toFixed(3), p.cpuPerRequest.toFixed(3), (t.cpuPerRequest / p.cpuPerRequest).toFixed(2)],
  ]);
} finally {
  removeWorkDir(work);
}
