/**
 * Crash suite: tspod is killed with SIGKILL at random points of pull, load,
 * create, start, rm and commit, many times over one storage root. After each
 * kill: whatever is listed is usable, `system check` reports every
 * inconsistency an outside check finds, `--repair` leaves none, and the
 * same command run again succeeds. At the end nothing is left on the host.
 *
 * Every named step once, plus random moments: CI 1 per command, TSPOD_RELIABILITY=nightly 25 (TSPOD_RELIABILITY_KILLS overrides).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { checkContainers, checkStorage } from './consistency.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';
import { hostLeftovers, leakCount, prng, reportFigures, seed, sized, until, UNCLEAN_STDERR } from './reliability.js';

const IMG = 'localhost/tspod-test/busybox:latest';
const KILLS = Number(process.env.TSPOD_RELIABILITY_KILLS) || sized(1, 25);

let fx: FixtureSet;
let registry: TestRegistry;
const box = new Sandbox('crash');

before(async () => {
  fx = await buildFixtures(fixturesDir());
  registry = await startRegistry();
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci-archive:${fx.multilayer.ociArchive}`, `docker://${registry.host}/multilayer:latest`], {
    stdio: 'ignore',
    timeout: 60_000,
  });
  box.ok(['load', '-q', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  registry?.stop();
  box.cleanup();
});

interface Scenario {
  name: string;
  /** Brings storage to the state the command starts from. */
  prepare(): void;
  args(): string[];
  /** After the command ran to completion: what it made is there and usable. */
  verify(): void;
  /** Trace points (src/util/trace.ts) to stop it at exactly, with TSPOD_CRASH_AT. */
  points: string[];
}

const multilayerRemote = () => `${registry.host}/multilayer:latest`;

function removeImage(ref: string): void {
  box.run(['rmi', '-f', '-i', ref]);
}

function freshContainer(name: string, args: string[]): void {
  box.ok(['rm', '-f', '-t', '0', '-i', name]);
  box.ok([...args.slice(0, 1), '--name', name, ...args.slice(1)]);
}

const scenarios: Scenario[] = [
  {
    name: 'pull',
    prepare: () => removeImage(multilayerRemote()),
    args: () => ['pull', '-q', '--tls-verify=false', multilayerRemote()],
    verify: () => void box.ok(['image', 'inspect', multilayerRemote()]),
    points: ['layers moved', 'image committed'],
  },
  {
    name: 'load',
    prepare: () => removeImage(fx.multilayer.refName),
    args: () => ['load', '-q', '-i', fx.multilayer.dockerArchive],
    verify: () => void box.ok(['image', 'inspect', fx.multilayer.refName]),
    points: ['layer staged', 'layers moved', 'image committed'],
  },
  {
    name: 'create',
    prepare: () => {
      const ids = box.ok(['ps', '-aq', '--filter', 'label=crash=create']).trim().split('\n').filter(Boolean);
      if (ids.length) box.ok(['rm', '-f', '-t', '0', ...ids]);
    },
    args: () => ['create', '--label', 'crash=create', '-p', '127.0.0.1::80', IMG, 'sleep', '1000'],
    verify: () => assert.notEqual(box.ok(['ps', '-aq', '--filter', 'label=crash=create']), ''),
    points: ['config ready', 'layer created', 'inserted'],
  },
  {
    name: 'start',
    prepare: () => freshContainer('crash-start', ['create', '-p', '127.0.0.1::80', IMG, 'sleep', '1000']),
    args: () => ['start', 'crash-start'],
    verify: () => assert.equal(box.ok(['inspect', '--format', '{{.State.Status}}', 'crash-start']), 'running\n'),
    points: ['init', 'network leased', 'mounted', 'bundle written', 'conmon reported pid', 'network set up', 'runtime started'],
  },
  {
    name: 'rm',
    prepare: () => freshContainer('crash-rm', ['run', '-d', '-p', '127.0.0.1::80', IMG, 'sleep', '1000']),
    args: () => ['rm', '-f', '-t', '0', '-i', 'crash-rm'],
    verify: () => assert.equal(box.run(['container', 'exists', 'crash-rm']).code, 1),
    points: ['remove', 'record deleted', 'removed'],
  },
  {
    name: 'commit',
    prepare: () => {
      if (box.run(['container', 'exists', 'crash-commit']).code !== 0) box.ok(['run', '--name', 'crash-commit', IMG, 'sh', '-c', 'echo made > /made']);
      removeImage('localhost/crash-committed:v1');
    },
    args: () => ['commit', '-q', 'crash-commit', 'localhost/crash-committed:v1'],
    verify: () => assert.equal(box.ok(['run', '--rm', 'localhost/crash-committed:v1', 'cat', '/made']), 'made\n'),
    points: ['layer staged', 'layers moved', 'image committed'],
  },
  {
    // A build makes working containers, runs one, and commits layers and images at every step.
    name: 'build',
    prepare: () => {
      const dir = box.path('crash-build');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'data.txt'), 'copied\n');
      writeFileSync(join(dir, 'Containerfile'), `FROM ${IMG}\nCOPY data.txt /data.txt\nRUN cat /data.txt > /built\nENV DONE=1\n`);
      removeImage('localhost/crash-built:v1');
    },
    args: () => ['build', '-q', '--no-cache', '-t', 'localhost/crash-built:v1', box.path('crash-build')],
    verify: () => assert.equal(box.ok(['run', '--rm', 'localhost/crash-built:v1', 'cat', '/built']), 'copied\n'),
    points: ['layer created', 'inserted', 'runtime started', 'layer staged', 'image committed'],
  },
];

/** Runs tspod and SIGKILLs it after `delayMs` (unless it ended first); returns whether the kill landed. */
async function runAndKill(args: string[], delayMs: number, crashAt?: string): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  const env = crashAt ? { ...box.env, TSPOD_CRASH_AT: crashAt } : box.env;
  const child = spawn(TSPOD, [...box.globalArgs, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.once('close', (code, signal) => {
      if (signal === 'SIGKILL') killed = true;
      r(code);
    }),
  );
  let killed = false;
  const timer = setTimeout(() => {
    killed = child.exitCode === null && child.kill('SIGKILL');
  }, delayMs);
  const code = await exited;
  clearTimeout(timer);
  return { killed, code, stderr };
}

/** How long each command takes when left alone (ms), so kill points spread over its whole run. */
async function calibrate(s: Scenario): Promise<number> {
  s.prepare();
  const t = Date.now();
  const r = await runAndKill(s.args(), 600_000);
  assert.equal(r.code, 0, `${s.name}: ${r.stderr}`);
  s.verify();
  return Date.now() - t;
}

/** What is listed must be usable: every image and container listed can be inspected. */
function listedButBroken(): string[] {
  const broken: string[] = [];
  const images = box.ok(['images', '-q', '--no-trunc']).trim().split('\n').filter(Boolean);
  for (const id of images) {
    const r = box.run(['image', 'inspect', '--format', '{{.Id}} {{len .RootFS.Layers}}', id]);
    if (r.code !== 0) broken.push(`image ${id}: ${r.stderr.trim()}`);
  }
  const containers = box.ok(['ps', '-aq', '--no-trunc']).trim().split('\n').filter(Boolean);
  if (containers.length) {
    const r = box.run(['inspect', '--type', 'container', '--format', '{{.Id}} {{.State.Status}}', ...containers]);
    if (r.code !== 0) broken.push(`containers: ${r.stderr.trim()}`);
  }
  return broken;
}

test('SIGKILL at random points: system check finds it, --repair mends it, the command then succeeds', { timeout: 1_800_000 }, async () => {
  const random = prng(seed());
  const figures = { kills: 0, atSteps: 0, landed: 0, inconsistencies: 0, found: 0, missed: 0, repaired: 0, unrepaired: 0, brokenListed: 0, rerunFailures: 0 };
  const failures: string[] = [];
  for (const s of scenarios) {
    const duration = await calibrate(s);
    // First at each named step, then at random moments of the command's run.
    const kills = [...s.points.map((point) => ({ point, delay: 600_000 })), ...Array.from({ length: KILLS }, () => ({ point: undefined, delay: 0 }))];
    for (const kill of kills) {
      s.prepare();
      // Node needs ~60 ms before any work; spread the rest over the command's run.
      const delay = kill.point ? kill.delay : Math.round(40 + random() * duration);
      const at = kill.point ? `step "${kill.point}"` : `${delay} ms`;
      const r = await runAndKill(s.args(), delay, kill.point);
      figures.kills++;
      if (kill.point) figures.atSteps++;
      if (r.killed) figures.landed++;
      else if (kill.point) failures.push(`${s.name} never reached step "${kill.point}" (exit ${r.code}: ${r.stderr})`);
      else if (r.code !== 0) failures.push(`${s.name} (not killed) exited ${r.code}: ${r.stderr}`);
      const outside = [...checkStorage(box.path('root')), ...checkContainers(box.path('root'), box.path('run'))];
      const check = box.run(['system', 'check']);
      const reported = check.stdout === 'No problems found\n' ? [] : check.stdout.trim().split('\n');
      figures.inconsistencies += outside.length;
      figures.found += reported.length;
      if (outside.length > 0 && reported.length === 0) {
        figures.missed += outside.length;
        failures.push(`${s.name} killed at ${at}: system check missed ${outside.join('; ')}`);
      }
      const broken = listedButBroken();
      figures.brokenListed += broken.length;
      for (const b of broken) failures.push(`${s.name} killed at ${at}: listed but broken: ${b}`);
      if (reported.length) {
        const repair = box.run(['system', 'check', '--repair', '--force']);
        if (UNCLEAN_STDERR.test(repair.stderr)) failures.push(`repair: ${repair.stderr}`);
        const after = box.run(['system', 'check']);
        const left = [...checkStorage(box.path('root')), ...checkContainers(box.path('root'), box.path('run'))];
        if (after.stdout === 'No problems found\n' && left.length === 0) figures.repaired += reported.length;
        else {
          figures.unrepaired += reported.length;
          failures.push(`${s.name} killed at ${at}: after --repair: ${after.stdout}${after.stderr}${left.join('; ')}`);
        }
      }
      const again = box.run(s.args());
      if (again.code !== 0) {
        figures.rerunFailures++;
        failures.push(`${s.name} killed at ${at}: the same command again exited ${again.code}: ${again.stderr}`);
      } else {
        try {
          s.verify();
        } catch (e) {
          figures.rerunFailures++;
          failures.push(`${s.name} killed at ${at}: rerun made nothing usable: ${(e as Error).message}`);
        }
      }
    }
  }
  const rm = box.run(['rm', '-fa', '-t', '0']);
  if (rm.code !== 0) failures.push(`rm -fa: ${rm.stderr}`);
  await until('every conmon to exit', () => hostLeftovers(box).conmons.length === 0, 60_000).catch(() => undefined);
  const leftovers = hostLeftovers(box);
  reportFigures('crash', { ...figures, leaks: leakCount(leftovers), seed: seed() });
  assert.deepEqual(failures, []);
  assert.deepEqual(leftovers, { mounts: [], conmons: [], runtimeState: [], veths: [], containerRules: [], netns: [], aardvarks: [] });
});
