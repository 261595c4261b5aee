/**
 * Compose benchmark: `tspod compose up -d` and `down` of a 5-service project
 * (busybox services on one network, one with a published port), median of
 * several runs. Podman's own `podman compose` needs docker-compose over an API
 * socket, which tspod does not serve yet, so only tspod is timed here.
 *
 *   node --import tsx bench/compose.ts [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFixtures } from '../test/fixtures/images.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const work = mkdtempSync('/var/tmp/tspod-bench-compose-');
const IMG = 'localhost/tspod-test/busybox';
const env = { ...process.env, CONTAINERS_CONF: '/dev/null' };
const base = ['--root', join(work, 'g'), '--runroot', join(work, 'r'), '--network-config-dir', join(work, 'n')];

function tspod(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(TSPOD, [...base, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tspod ${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const fx = await buildFixtures('/var/tmp/tspod-test-fixtures');
  tspod(['load', '-i', fx.busybox.ociArchive]);
  const services = ['web', 'api', 'worker', 'cache', 'db']
    .map((s, i) => `  ${s}:\n    image: ${IMG}\n    init: true\n    command: ["sleep", "1000"]\n${i === 0 ? '    ports: ["127.0.0.1::8080"]\n' : ''}`)
    .join('');
  writeFileSync(
    join(work, 'compose.yaml'),
    `name: bench\nservices:\n${services}networks:\n  default:\n    driver_opts: {com.docker.network.bridge.name: tspbench0}\n    ipam: {config: [{subnet: 10.250.250.0/24}]}\n`,
  );
  const file = ['compose', '-f', join(work, 'compose.yaml')];
  const up: number[] = [];
  const noop: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    up.push(tspod([...file, 'up', '-d']));
    noop.push(tspod([...file, 'up', '-d']));
    down.push(tspod([...file, 'down', '-t', '2']));
  }
  console.log(`compose, 5 services, median of ${RUNS} (tspod only; no docker-compose without an API socket)`);
  console.log(`  up -d (create+start)  ${median(up).toFixed(0)} ms`);
  console.log(`  up -d (nothing to do) ${median(noop).toFixed(0)} ms`);
  console.log(`  down                  ${median(down).toFixed(0)} ms`);
} finally {
  spawnSync(TSPOD, [...base, 'rm', '-fa', '-t', '0'], { env });
  spawnSync(TSPOD, [...base, 'network', 'prune', '-f'], { env });
  rmSync(work, { recursive: true, force: true });
}
