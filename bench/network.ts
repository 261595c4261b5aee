/**
 * Side-by-side benchmark of container networking: tspod against the Podman
 * installed from Debian, both driving netavark on runc. Each engine gets its
 * own storage, network config dir and a default network pinned to its own
 * bridge and subnet, so they never share a bridge, chain or address. Engines
 * are interleaved per round; prints medians and ratios (below 1: tspod faster).
 *
 *   node --import tsx bench/network.ts          (BENCH_ROUNDS=15 by default)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildFixtures } from '../test/fixtures/images.js';
import { median, printTable, removeWorkDir, rotated, sh, sideBySideEngines, type BenchEngine } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const work = mkdtempSync('/var/tmp/tspod-nbench-');

interface Engine extends BenchEngine {
  bridge: string;
  subnet: string;
}

const [tspodEngine, podmanEngine] = sideBySideEngines(work);
const engines: Engine[] = [
  { ...tspodEngine!, bridge: 'tspbench0', subnet: '10.231.0' },
  { ...podmanEngine!, bridge: 'pmbench0', subnet: '10.232.0' },
];

const engineRun = (e: Engine, args: string[]) => sh(e.cmd, [...e.global, ...args], e.env);
const timed = async (e: Engine, args: string[]) => (await engineRun(e, args)).seconds;

/** The default network as a file in the engine's config dir: same name and shape, its own bridge and subnet. */
function pinDefaultNetwork(e: Engine): void {
  const dir = join(work, e.name, 'networks');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'podman.json'), JSON.stringify({
    name: 'podman',
    // netavark names its chains after the network id: a shared id would mean shared chains.
    id: randomBytes(32).toString('hex'),
    driver: 'bridge',
    network_interface: e.bridge,
    created: new Date().toISOString(),
    subnets: [{ subnet: `${e.subnet}.0/24`, gateway: `${e.subnet}.1` }],
    ipv6_enabled: false,
    internal: false,
    dns_enabled: false,
    ipam_options: { driver: 'host-local' },
  }, null, 5));
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

const samples: Record<string, Record<string, number[]>> = {};
const record = (what: string, engine: string, seconds: number) => ((samples[what] ??= {})[engine] ??= []).push(seconds);
const med = (what: string, engine: string) => median(samples[what]![engine]!);

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/podman')) throw new Error('podman is not installed: apt-get install podman');
  const fx = await buildFixtures(join(work, 'fixtures'));
  const IMG = fx.busybox.refName;
  for (const e of engines) {
    pinDefaultNetwork(e);
    await engineRun(e, ['load', '-q', '-i', fx.busybox.ociArchive]);
  }
  const started = Date.now();
  console.log(`network bench: ${ROUNDS} rounds, medians, engines interleaved; image ${IMG}; work dir ${work}`);

  for (let r = 0; r < ROUNDS; r++) {
    for (const e of rotated(engines, r)) {
      record('run-bridge', e.name, await timed(e, ['run', '--rm', IMG, 'true']));
      record('run-none', e.name, await timed(e, ['run', '--rm', '--network', 'none', IMG, 'true']));
      const port = await freePort();
      const t0 = process.hrtime.bigint();
      const { stdout } = await engineRun(e, ['run', '-d', '-p', `127.0.0.1:${port}:80`, IMG, 'sleep', '1000']);
      record('run-d-p', e.name, Number(process.hrtime.bigint() - t0) / 1e9);
      record('rm-p', e.name, await timed(e, ['rm', '-f', '-t', '0', stdout.trim()]));
    }
  }
  console.log(`  done (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const rows: Array<[string, string, string, string]> = [];
  const row = (label: string, what: string) => {
    const [t, p] = [med(what, 'tspod'), med(what, 'podman')];
    rows.push([label, `${t.toFixed(3)} s`, `${p.toFixed(3)} s`, (t / p).toFixed(2)]);
  };
  row('run --rm IMG true (default bridge)', 'run-bridge');
  row('run --rm --network none IMG true', 'run-none');
  row('run -d -p 127.0.0.1:PORT:80', 'run-d-p');
  row('rm -f -t 0 of it', 'rm-p');
  rows.push([
    'network cost (bridge - none)',
    `${(med('run-bridge', 'tspod') - med('run-none', 'tspod')).toFixed(3)} s`,
    `${(med('run-bridge', 'podman') - med('run-none', 'podman')).toFixed(3)} s`,
    '',
  ]);
  printTable(rows);
  const version = execFileSync('podman', ['--version']).toString().trim();
  const netavark = execFileSync('/usr/lib/podman/netavark', ['--version']).toString().trim();
  console.log(`(medians of ${ROUNDS} rounds; ratio < 1: tspod faster; target for the bridge run: <= 0.70; ${version}; ${netavark}; node ${process.version})`);
}

async function cleanup(): Promise<void> {
  for (const e of engines) {
    if (existsSync(join(work, e.name, 'root'))) await engineRun(e, ['rm', '-fa', '-t', '0']).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    if (existsSync(`/sys/class/net/${e.bridge}`)) await engineRun(e, ['network', 'prune', '-f']).catch(() => undefined);
  }
  removeWorkDir(work);
}

main()
  .catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(cleanup);
