/**
 * Side-by-side build benchmark: tspod against `podman build` (Debian's
 * Podman), the same 6-step Containerfile with a 50 MB COPY, cold (empty
 * cache) and warm (nothing changed), in one run, printing ratios. Each
 * engine gets its own temp storage with the busybox fixture loaded.
 *
 *   node --import tsx bench/build.ts [--size-mib 50] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFixtures } from '../test/fixtures/images.js';
import { median, removeWorkDir } from './lib.js';

const { values } = parseArgs({ options: { 'size-mib': { type: 'string', default: '50' }, runs: { type: 'string', default: '3' } } });
const SIZE_MIB = Number(values['size-mib']);
const RUNS = Number(values.runs);
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const work = mkdtempSync('/var/tmp/tspod-bench-build-');

interface Engine {
  name: string;
  cmd: (root: string, args: string[]) => [string, string[]];
}

const engines: Engine[] = [
  { name: 'tspod', cmd: (root, args) => [TSPOD, ['--root', join(root, 'g'), '--runroot', join(root, 'r'), ...args]] },
  {
    name: 'podman',
    cmd: (root, args) => [
      'podman',
      ['--root', join(root, 'g'), '--runroot', join(root, 'r'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', join(root, 't'), ...args],
    ],
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

async function main(): Promise<void> {
  const fx = await buildFixtures(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-test-fixtures'));
  const ctx = join(work, 'context');
  mkdirSync(join(ctx, 'data'), { recursive: true });
  const chunk = 1 << 20;
  for (let i = 0; i < SIZE_MIB; i++) writeFileSync(join(ctx, 'data', `blob-${i}.bin`), randomBytes(chunk));
  writeFileSync(join(ctx, 'app.sh'), '#!/bin/sh\necho app\n');
  writeFileSync(
    join(ctx, 'Containerfile'),
    `FROM ${fx.busybox.refName}\nENV APP=/app\nWORKDIR /app\nCOPY data/ ./data/\nCOPY app.sh ./\nRUN chmod +x app.sh && ./app.sh > built.txt\nCMD ["./app.sh"]\n`,
  );
  const results: Record<string, { cold: number[]; warm: number[] }> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const engine of engines) {
      const root = join(work, `${engine.name}-${i}`);
      run(engine, root, ['load', '-q', '-i', fx.busybox.ociArchive]);
      const r = (results[engine.name] ??= { cold: [], warm: [] });
      r.cold.push(run(engine, root, ['build', '-q', '-t', 'bench/app', ctx]));
      r.warm.push(run(engine, root, ['build', '-q', '-t', 'bench/app', ctx]));
      if (engine.name === 'podman') spawnSync('podman', [...engine.cmd(root, ['system', 'reset', '-f'])[1]], { stdio: 'ignore' });
      removeWorkDir(root);
    }
  }
  const t = results.tspod!;
  const p = results.podman!;
  console.log(`build of a 6-step Containerfile with a ${SIZE_MIB} MiB COPY, median of ${RUNS}`);
  console.log(`  cold: tspod ${median(t.cold).toFixed(2)} s, podman ${median(p.cold).toFixed(2)} s, ratio ${(median(t.cold) / median(p.cold)).toFixed(2)}`);
  console.log(`  warm: tspod ${median(t.warm).toFixed(2)} s, podman ${median(p.warm).toFixed(2)} s, ratio ${(median(t.warm) / median(p.warm)).toFixed(2)} (target <= 0.4)`);
}

main()
  .finally(() => removeWorkDir(work))
  .catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
