/**
 * Concurrency suite: N workers at once, each a sequence of tspod commands
 * (create/start/stop/rm/ps/run/pull/tag/rmi/volume/network) on one shared
 * storage root. A worker's own resources must never fail; races on shared
 * ones may fail only with the documented one-line errors. Afterwards the
 * store, mounts, conmons, network namespaces and iptables rules must agree,
 * nothing kept may be lost, and nothing may leak.
 *
 * CI: N=10. TSPOD_RELIABILITY=nightly: N=10, 50, 200. TSPOD_RELIABILITY_N=50,100 picks sizes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Sandbox, fixturesDir, type RunResult } from './harness.js';
import { checkStorage } from './consistency.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';
import { hostLeftovers, leakCount, reportFigures, sized, until, UNCLEAN_STDERR } from './reliability.js';

const IMG = 'localhost/tspod-test/busybox:latest';
const SIZES = process.env.TSPOD_RELIABILITY_N ? process.env.TSPOD_RELIABILITY_N.split(',').map(Number) : sized([10], [10, 50, 200]);

let fx: FixtureSet;
let registry: TestRegistry;

before(async () => {
  fx = await buildFixtures(fixturesDir());
  registry = await startRegistry();
  for (const [image, name] of [
    [fx.busybox, 'busybox'],
    [fx.multilayer, 'multilayer'],
  ] as const) {
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci-archive:${image.ociArchive}`, `docker://${registry.host}/${name}:latest`], {
      stdio: 'ignore',
      timeout: 60_000,
    });
  }
});
after(() => registry?.stop());

interface Op {
  args: string[];
  /** Exit codes a race may legitimately cause; 0 always allowed. Absent: must succeed. */
  raceCodes?: number[];
  /** What a race's error must say. */
  raceError?: RegExp;
  /** Checks the output of a successful run. */
  expect?: (r: RunResult) => void;
}

const GONE = /no container with name or ID|image not known|no such|removed meanwhile|image is in use|in use by/;

/** The commands of worker `i` (its kind chosen by i), on names only it uses plus a few shared images. */
function workerOps(i: number, slotPrefix: string, networkWorkers: number): Op[] {
  const reg = registry.host;
  const kind = i % 6;
  if (kind === 4 && Math.floor(i / 6) >= networkWorkers) return keeperOps(i);
  switch (kind) {
    case 0:
      return [
        { args: ['create', '--name', `c${i}`, IMG, 'sleep', '1000'] },
        { args: ['start', `c${i}`] },
        { args: ['ps', '-a', '--format', '{{.Names}} {{.Status}}'] },
        { args: ['stop', '-t', '0', `c${i}`] },
        { args: ['rm', `c${i}`] },
      ];
    case 1:
      return [
        { args: ['run', '-d', '--name', `r${i}`, '-p', '127.0.0.1::80', IMG, 'sleep', '1000'] },
        {
          args: ['inspect', '--format', '{{.State.Status}} {{.NetworkSettings.SandboxKey}}', `r${i}`],
          expect: (r) => assert.match(r.stdout, /^running \/run\/netns\/tspod-/),
        },
        { args: ['ps', '--format', '{{.Names}} {{.Ports}}'] },
        { args: ['rm', '-f', '-t', '0', `r${i}`] },
      ];
    case 2:
      return [
        { args: ['pull', '-q', '--tls-verify=false', `${reg}/multilayer:latest`], raceCodes: [125], raceError: GONE },
        { args: ['tag', IMG, `localhost/w${i}:t`] },
        { args: ['images', '--format', '{{.Repository}}:{{.Tag}}'] },
        { args: ['rmi', `localhost/w${i}:t`] },
        { args: ['rmi', `${reg}/multilayer:latest`], raceCodes: [1, 2, 125], raceError: GONE },
      ];
    case 3:
      return [
        { args: ['volume', 'create', `v${i}`] },
        { args: ['run', '--rm', '-v', `v${i}:/data`, IMG, 'sh', '-c', `echo ${i} > /data/f`] },
        { args: ['run', '--rm', '-v', `v${i}:/data`, IMG, 'cat', '/data/f'], expect: (r) => assert.equal(r.stdout, `${i}\n`) },
        { args: ['volume', 'rm', `v${i}`] },
      ];
    case 4: {
      // /29s of the slot's second /24 (see network.test.ts): one per network worker.
      const k = Math.floor(i / 6);
      return [
        { args: ['network', 'create', '--subnet', `${slotPrefix}.${k * 8}/29`, '--interface-name', `tsr${i}`, `n${i}`] },
        { args: ['run', '--rm', '--network', `n${i}`, IMG, 'ip', '-4', '-o', 'addr', 'show', 'eth0'], expect: (r) => assert.match(r.stdout, new RegExp(`${slotPrefix.replace(/\./g, '\\.')}\\.${k * 8 + 2}/29`)) },
        { args: ['network', 'rm', `n${i}`] },
      ];
    }
    default:
      return keeperOps(i);
  }
}

/** Resources that must outlive the storm: a running container and a tag per keeper. */
function keeperOps(i: number): Op[] {
  return [
    { args: ['pull', '-q', '--tls-verify=false', `${registry.host}/busybox:latest`] },
    { args: ['tag', `${registry.host}/busybox:latest`, `localhost/keep${i}:v1`] },
    { args: ['run', '-d', '--name', `keep${i}`, `localhost/keep${i}:v1`, 'sleep', '1000'] },
  ];
}

for (const n of SIZES) {
  test(`${n} concurrent workers of mixed commands leave store and host in agreement`, { timeout: 900_000 }, async () => {
    const box = new Sandbox(`conc${n}`);
    try {
      box.ok(['load', '-q', '-i', fx.busybox.ociArchive]);
      const slotPrefix = `10.${216 + (box.netSlot >> 8)}.${box.netSlot & 255}`;
      const networkWorkers = 32; // /29s in one /24
      const failures: string[] = [];
      let operations = 0;
      let raced = 0;
      const keepers: number[] = [];
      const started = Date.now();
      const workers = Array.from({ length: n }, async (_, i) => {
        const ops = workerOps(i, slotPrefix, networkWorkers);
        if (ops[ops.length - 1]!.args[3] === `keep${i}`) keepers.push(i);
        for (const op of ops) {
          const r = await box.runAsync(op.args);
          operations++;
          const what = `worker ${i}: tspod ${op.args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`;
          if (UNCLEAN_STDERR.test(r.stderr)) failures.push(`${what} (unclean error)`);
          else if (r.code === 0) {
            try {
              op.expect?.(r);
            } catch (e) {
              failures.push(`${what}: ${(e as Error).message}`);
            }
          } else if (op.raceCodes?.includes(r.code) && op.raceError?.test(r.stderr) && /^Error: [^\n]+\n$/.test(r.stderr)) raced++;
          else failures.push(what);
        }
      });
      await Promise.all(workers);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);

      // Nothing lost: every keeper's container and tag, and the base image.
      const names = new Set(box.ok(['ps', '-a', '--format', '{{.Names}}']).trim().split('\n').filter(Boolean));
      const tags = box.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      const lost: string[] = [];
      for (const i of keepers) {
        if (!names.has(`keep${i}`)) lost.push(`container keep${i}`);
        if (!tags.includes(`localhost/keep${i}:v1`)) lost.push(`tag keep${i}`);
      }
      if (!tags.includes(IMG)) lost.push(IMG);
      // Nothing else left: only keepers in ps, no volumes, no networks but the default.
      const strays = [...names].filter((name) => !/^keep\d+$/.test(name)).map((name) => `container ${name}`);
      strays.push(...box.ok(['volume', 'ls', '-q']).trim().split('\n').filter(Boolean).map((v) => `volume ${v}`));
      strays.push(...box.ok(['network', 'ls', '--format', '{{.Name}}']).trim().split('\n').filter((x) => x && x !== 'podman').map((x) => `network ${x}`));
      const storeProblems = checkStorage(box.path('root'));
      const check = box.run(['system', 'check']);
      if (check.stdout !== 'No problems found\n') storeProblems.push(`system check: ${check.stdout}${check.stderr}`);
      // The host agrees with the store: one conmon, root mount, runtime state, veth and namespace per running keeper.
      const running = box.ok(['ps', '-q']).trim().split('\n').filter(Boolean).length;
      let leftovers = hostLeftovers(box);
      await until('conmons of removed containers to exit', () => (leftovers = hostLeftovers(box)).conmons.length === running, 60_000).catch(() => undefined);
      const perContainer = {
        conmons: leftovers.conmons.length,
        mounts: leftovers.mounts.filter((m) => m.includes('/merged ')).length,
        runtimeState: leftovers.runtimeState.length,
        veths: leftovers.veths.length,
        netns: leftovers.netns.length,
      };
      for (const [what, count] of Object.entries(perContainer)) {
        if (count !== running) storeProblems.push(`${running} running containers but ${count} ${what}`);
      }
      if (running !== keepers.length) storeProblems.push(`${keepers.length} keepers but ${running} running`);
      const leaksBeforeRm = strays.length;
      const rm = box.run(['rm', '-fa', '-t', '0']);
      if (rm.code !== 0) failures.push(`rm -fa: ${rm.stderr}`);
      await until('conmons to exit after rm -fa', () => hostLeftovers(box).conmons.length === 0, 60_000).catch(() => undefined);
      const after = hostLeftovers(box);
      const leaks = leaksBeforeRm + leakCount(after);

      reportFigures(`concurrency-n${n}`, {
        workers: n,
        operations,
        failures: failures.length,
        raced,
        lost: lost.length,
        leaks,
        inconsistencies: storeProblems.length,
        seconds,
      });
      assert.deepEqual(failures, []);
      assert.deepEqual(lost, []);
      assert.deepEqual(strays, []);
      assert.deepEqual(storeProblems, []);
      assert.deepEqual(after, { mounts: [], conmons: [], runtimeState: [], veths: [], containerRules: [], netns: [], aardvarks: [] });
    } finally {
      box.run(['rm', '-fa', '-t', '0']);
      box.cleanup();
    }
  });
}
