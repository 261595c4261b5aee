/**
 * Side-by-side benchmark of registry traffic: pull of a ~100 MiB, 6-layer
 * image from a local docker-registry into empty storage, the same pull again
 * (every layer stored), and push of it to a second, empty registry, tspod against the Podman installed from Debian, engines
 * interleaved per round. A plain `curl | gunzip | tar` of the same blobs, all
 * layers in parallel, is timed as the reference rate, and again with the two
 * digest checks a pull makes (and with only the tees those need). Prints
 * medians, MiB/s of compressed blobs moved, and ratios.
 *
 *   node --import tsx bench/registry.ts          (BENCH_ROUNDS=5 by default)
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { layerTar, median, printTable, removeWorkDir, rotated, sh, writeDockerArchive } from './lib.js';
import { startRegistry, type TestRegistry } from '../test/integration/registry.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAYERS = 6;
const LAYER_MIB = 100 / LAYERS;
const TSPOD = resolve(import.meta.dirname, '../bin/tspod');
const work = mkdtempSync('/var/tmp/tspod-rbench-');
const podmanConf = join(work, 'containers.conf');

interface Engine {
  name: string;
  cmd: string;
  global: (round: number) => string[];
  env: NodeJS.ProcessEnv;
}

const engines: Engine[] = [
  {
    name: 'tspod',
    cmd: TSPOD,
    global: (r) => ['--root', join(work, `tspod/${r}/root`), '--runroot', join(work, `tspod/${r}/run`)],
    env: { ...process.env, CONTAINERS_CONF: '/dev/null' },
  },
  {
    name: 'podman',
    cmd: 'podman',
    global: (r) => ['--root', join(work, `podman/${r}/root`), '--runroot', join(work, `podman/${r}/run`), '--runtime', 'runc',
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--tmpdir', join(work, `podman/${r}/tmp`)],
    env: { ...process.env, CONTAINERS_CONF: podmanConf },
  },
];

const samples: Record<string, Record<string, number[]>> = {};
const record = (what: string, who: string, seconds: number) => ((samples[what] ??= {})[who] ??= []).push(seconds);
const med = (what: string, who: string) => median(samples[what]![who]!);

/**
 * Every layer blob through curl | gunzip | tar at once. 'verify' adds what a
 * pull must also do and the plain one skips: SHA-256 of the blob (its digest)
 * and of the tar (its diff ID), teed into openssl, which uses the same SHA
 * instructions as tspod (coreutils' sha256sum does not). 'tee' tees into
 * /dev/null instead, to show what the tees alone cost.
 */
type PipelineKind = 'plain' | 'tee' | 'verify';

function referencePipeline(registry: TestRegistry, repo: string, digests: string[], dest: string, kind: PipelineKind): Promise<number> {
  const start = process.hrtime.bigint();
  return Promise.all(
    digests.map((digest, i) => {
      const dir = join(dest, String(i));
      mkdirSync(dir, { recursive: true });
      return new Promise<void>((ok, fail) => {
        const fetch = `curl -sf http://${registry.host}/v2/${repo}/blobs/${digest}`;
        // The hashers read fifos and are waited for, so the time includes their last block.
        const hashers = `mkfifo ${dir}.digest ${dir}.diffid; for f in digest diffid; do openssl dgst -sha256 -r < ${dir}.$f > ${dir}.$f.txt & done; `;
        const script = {
          plain: `${fetch} | gunzip | tar -x -C ${dir}`,
          tee: `${fetch} | tee /dev/null | gunzip | tee /dev/null | tar -x -C ${dir}`,
          verify: `${hashers}${fetch} | tee ${dir}.digest | gunzip | tee ${dir}.diffid | tar -x -C ${dir}; wait`,
        }[kind];
        const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
        child.on('close', (code) => {
          if (code !== 0) return fail(new Error(`${kind} pipeline exited ${code}`));
          // The checking pipeline must have hashed the whole blob, or its time means nothing.
          if (kind === 'verify' && !readFileSync(`${dir}.digest.txt`, 'latin1').startsWith(digest.slice('sha256:'.length))) {
            return fail(new Error(`the checking pipeline's SHA-256 of ${digest} is wrong`));
          }
          ok();
        });
      });
    }),
  ).then(() => Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  writeFileSync(podmanConf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]\n');
  const layers: Buffer[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const files: Array<[string, Buffer]> = [];
    for (let f = 0; f < Math.floor((LAYER_MIB * 1024) / 256); f++) files.push([`layer${i}/file-${f}.bin`, randomBytes(256 * 1024)]);
    layers.push(await layerTar(files));
  }
  const archive = join(work, 'big.tar');
  await writeDockerArchive(archive, [{ name: 'localhost/bench/big:latest', layers }]);
  const registry = await startRegistry();
  try {
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${registry.host}/bench/big:latest`]);
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/bench/big:latest`], { encoding: 'utf8' })) as {
      layers: Array<{ digest: string; size: number }>;
    };
    const mib = manifest.layers.reduce((n, l) => n + l.size, 0) / (1024 * 1024);
    const image = `${registry.host}/bench/big:latest`;
    console.log(`registry bench: ${ROUNDS} rounds; ${LAYERS} layers, ${mib.toFixed(1)} MiB compressed; registry ${registry.host}; work dir ${work}`);
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of ['plain', 'tee', 'verify'] as const) {
        const dest = join(work, `plain/${r}`);
        record(kind, 'pipeline', await referencePipeline(registry, 'bench/big', manifest.layers.map((l) => l.digest), dest, kind));
        rmSync(dest, { recursive: true, force: true });
      }
      for (const e of rotated(engines, r)) {
        const pulled = await sh(e.cmd, [...e.global(r), 'pull', '-q', '--tls-verify=false', image], e.env);
        record('pull', e.name, pulled.seconds);
        // Again, with every layer stored: what `run --pull always` pays for an image it has.
        const again = await sh(e.cmd, [...e.global(r), 'pull', '-q', '--tls-verify=false', image], e.env);
        record('pull-again', e.name, again.seconds);
        // Each push goes to a registry of its own, so no blob is there already (nor mountable).
        const target = await startRegistry();
        try {
          const pushed = await sh(e.cmd, [...e.global(r), 'push', '-q', '--tls-verify=false', image, `docker://${target.host}/bench/big:latest`], e.env);
          record('push', e.name, pushed.seconds);
        } finally {
          target.stop();
        }
        await sh(e.cmd, [...e.global(r), 'rmi', '-af'], e.env).catch(() => undefined);
        rmSync(join(work, e.name, String(r)), { recursive: true, force: true });
      }
    }
    const rate = (s: number) => `${(mib / s).toFixed(0)} MiB/s`;
    const rows: Array<[string, string, string, string]> = [];
    for (const what of ['pull', 'push']) {
      const [t, p] = [med(what, 'tspod'), med(what, 'podman')];
      rows.push([what === 'pull' ? 'pull into empty storage' : 'push to an empty registry', `${t.toFixed(2)} s = ${rate(t)}`, `${p.toFixed(2)} s = ${rate(p)}`, (t / p).toFixed(2)]);
    }
    const [ta, pa] = [med('pull-again', 'tspod'), med('pull-again', 'podman')];
    rows.push(['pull again, every layer stored', `${(ta * 1000).toFixed(0)} ms`, `${(pa * 1000).toFixed(0)} ms`, (ta / pa).toFixed(2)]);
    const pull = med('pull', 'tspod');
    const pipelines: Array<[PipelineKind, string]> = [
      ['plain', 'curl | gunzip | tar, layers in parallel'],
      ['tee', 'the same, teeing blob and tar to /dev/null'],
      ['verify', 'the same, SHA-256 of blob and tar'],
    ];
    for (const [kind, label] of pipelines) {
      const seconds = med(kind, 'pipeline');
      rows.push([label, `${seconds.toFixed(2)} s = ${rate(seconds)}`, '', `pull/this ${(pull / seconds).toFixed(2)}`]);
    }
    printTable(rows);
    console.log(`(medians of ${ROUNDS} rounds; ratio < 1: tspod faster; target: pull at least the plain pipeline's rate, ≈1.4× Podman's)`);
    for (const [what, byEngine] of Object.entries(samples)) {
      for (const [who, seconds] of Object.entries(byEngine)) console.log(`  ${what} ${who}: ${seconds.map((x) => x.toFixed(2)).join(' ')}`);
    }
  } finally {
    registry.stop();
  }
}

main()
  .catch((e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => removeWorkDir(work));
