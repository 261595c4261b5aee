import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('health');
const IMG = 'localhost/tspod-test/busybox';

let dockerArchive = '';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  dockerArchive = fx.busybox.dockerArchive;
});

/** The busybox docker-archive again, as IMAGE_NAME, its config given a HEALTHCHECK (config renamed to its new digest). */
async function imageWithHealthcheck(name: string, healthcheck: unknown): Promise<string> {
  const out = box.path(`${name.replace(/\W/g, '_')}.tar`);
  const entries: Array<{ header: tar.Header; body: Buffer }> = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.push({ header, body: Buffer.concat(chunks) });
      next();
    });
  });
  await pipeline(createReadStream(dockerArchive), extract);
  const manifest = JSON.parse(entries.find((e) => e.header.name === 'manifest.json')!.body.toString());
  const configEntry = entries.find((e) => e.header.name === manifest[0].Config)!;
  const config = JSON.parse(configEntry.body.toString());
  config.config.Healthcheck = healthcheck;
  configEntry.body = Buffer.from(JSON.stringify(config));
  configEntry.header.name = `${createHash('sha256').update(configEntry.body).digest('hex')}.json`;
  manifest[0].Config = configEntry.header.name;
  manifest[0].RepoTags = [`${name}:latest`];
  entries.find((e) => e.header.name === 'manifest.json')!.body = Buffer.from(JSON.stringify(manifest));
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(out));
  for (const e of entries.filter((x) => x.header.name !== 'repositories')) pack.entry({ ...e.header, size: e.body.length }, e.body);
  pack.finalize();
  await written;
  return out;
}
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function status(name: string): string {
  return box.ok(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Status}}']).trim();
}

/** The pids of this sandbox's health timer loops for a container. */
function timerPids(id: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith('/bin/sh') && cmd.includes(`tspod-health-${id}`) && cmd.includes(box.dir)) pids.push(Number(p));
    } catch {
      // exited
    }
  }
  return pids;
}

function health(name: string): { Status: string; FailingStreak: number; Log: Array<{ ExitCode: number; Output: string }> | null } {
  return JSON.parse(box.ok(['inspect', name, '--format', '{{json .State.Health}}']));
}

describe('healthchecks', { timeout: 180_000 }, () => {
  test('the timer flips a container to unhealthy and back; ps shows and filters it', async () => {
    const id = box
      .ok(['run', '-d', '--name', 'hc1', '--network', 'none', '--health-cmd', 'test -e /tmp/ok && echo fine', '--health-interval', '1s', '--health-retries', '2', IMG, 'sh', '-c', 'touch /tmp/ok; exec sleep 1000'])
      .trim();
    await until('healthy', () => status('hc1').endsWith('(healthy)'));
    assert.match(status('hc1'), /^Up .* \(healthy\)$/);
    assert.equal(box.ok(['ps', '--filter', 'health=healthy', '--format', '{{.Names}}']).trim(), 'hc1');
    assert.equal(box.ok(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}']).trim(), '');
    const h = health('hc1');
    assert.equal(h.FailingStreak, 0);
    assert.equal(h.Log?.at(-1)?.Output, 'fine\n');
    box.ok(['exec', 'hc1', 'rm', '/tmp/ok']);
    await until('unhealthy', () => status('hc1').endsWith('(unhealthy)'));
    assert.equal(box.ok(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}']).trim(), 'hc1');
    const bad = health('hc1');
    assert.ok(bad.FailingStreak >= 2, `FailingStreak ${bad.FailingStreak}`);
    assert.equal(bad.Log?.at(-1)?.ExitCode, 1);
    assert.ok((bad.Log?.length ?? 0) <= 5);
    // podman 4.3's alias and the config
    assert.equal(JSON.parse(box.ok(['inspect', 'hc1', '--format', '{{json .State.Healthcheck}}'])).Status, 'unhealthy');
    const cfg = JSON.parse(box.ok(['inspect', 'hc1', '--format', '{{json .Config.Healthcheck}}']));
    assert.deepEqual(cfg.Test, ['CMD-SHELL', 'test -e /tmp/ok && echo fine']);
    assert.equal(cfg.Interval, 1e9);
    assert.equal(cfg.Retries, 2);
    box.ok(['exec', 'hc1', 'touch', '/tmp/ok']);
    await until('healthy again', () => status('hc1').endsWith('(healthy)'));
    assert.equal(timerPids(id).length, 1);
    box.ok(['stop', '-t', '0', 'hc1']);
    assert.deepEqual(timerPids(id), []);
    assert.match(status('hc1'), /^Exited/);
    // A new run starts a new timer; rm -f ends it.
    box.ok(['start', 'hc1']);
    await until('timer after restart', () => timerPids(id).length === 1);
    box.ok(['rm', '-f', '-t', '0', 'hc1']);
    assert.deepEqual(timerPids(id), []);
  });

  test('healthcheck run: exit 0 healthy, 1 unhealthy, 125 errors', () => {
    box.ok(['run', '-d', '--name', 'hc2', '--network', 'none', '--health-cmd', '["CMD","test","-e","/tmp/ok"]', '--health-interval', 'disable', '--health-retries', '1', IMG, 'sleep', '1000']);
    assert.equal(status('hc2').endsWith('(starting)'), true, status('hc2'));
    let r = box.run(['healthcheck', 'run', 'hc2']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, 'unhealthy\n');
    assert.equal(health('hc2').Status, 'unhealthy');
    box.ok(['exec', 'hc2', 'touch', '/tmp/ok']);
    r = box.run(['healthcheck', 'run', 'hc2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(health('hc2').Status, 'healthy');
    const id = box.ok(['inspect', 'hc2', '--format', '{{.Id}}']).trim();
    assert.deepEqual(timerPids(id), [], 'no timer with --health-interval disable');
    box.ok(['stop', '-t', '0', 'hc2']);
    r = box.run(['healthcheck', 'run', 'hc2']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^Error: container [0-9a-f]{64} is not running/);
    box.ok(['run', '-d', '--name', 'hc3', '--network', 'none', IMG, 'sleep', '1000']);
    r = box.run(['healthcheck', 'run', 'hc3']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /has no defined healthcheck/);
    assert.equal(JSON.parse(box.ok(['inspect', 'hc3', '--format', '{{json .State.Health}}'])).Status, '');
    r = box.run(['healthcheck', 'run', 'nosuch']);
    assert.equal(r.code, 125);
    box.ok(['rm', '-f', '-t', '0', 'hc2', 'hc3']);
  });

  test('start-period failures do not count', () => {
    box.ok(['run', '-d', '--name', 'hc4', '--network', 'none', '--health-cmd', 'false', '--health-interval', 'disable', '--health-retries', '1', '--health-start-period', '1h', IMG, 'sleep', '1000']);
    const r = box.run(['healthcheck', 'run', 'hc4']);
    assert.equal(r.code, 1);
    const h = health('hc4');
    assert.equal(h.Status, 'starting');
    assert.equal(h.FailingStreak, 0);
    assert.equal(h.Log?.length, 1);
    box.ok(['rm', '-f', '-t', '0', 'hc4']);
  });

  test('a check past --health-timeout fails at once with exit code -1', () => {
    box.ok(['run', '-d', '--name', 'hc7', '--network', 'none', '--health-cmd', 'sleep 30', '--health-timeout', '1s', '--health-interval', 'disable', IMG, 'sleep', '1000']);
    const started = Date.now();
    const r = box.run(['healthcheck', 'run', 'hc7']);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(Date.now() - started < 15_000, 'did not wait for the check to end');
    const h = health('hc7');
    assert.equal(h.Log?.at(-1)?.ExitCode, -1);
    assert.equal(h.FailingStreak, 1);
    box.ok(['rm', '-f', '-t', '0', 'hc7']);
  });

  test('--health-on-failure=kill kills the container once unhealthy', async () => {
    box.ok(['run', '-d', '--name', 'hc5', '--network', 'none', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', '--health-on-failure', 'kill', IMG, 'sleep', '1000']);
    assert.equal(box.ok(['inspect', 'hc5', '--format', '{{.Config.HealthcheckOnFailureAction}}']).trim(), 'kill');
    await until('killed', () => status('hc5').startsWith('Exited'));
    assert.match(status('hc5'), /^Exited \(137\)/);
    box.ok(['rm', '-f', '-t', '0', 'hc5']);
  });

  test("the image's HEALTHCHECK is used unless a flag overrides it", async () => {
    const archive = await imageWithHealthcheck('localhost/tspod-test/hc', { Test: ['CMD-SHELL', 'echo from-image'], Interval: 60e9, Retries: 5 });
    box.ok(['load', '-i', archive]);
    box.ok(['run', '-d', '--name', 'hc8', '--network', 'none', 'localhost/tspod-test/hc', 'sleep', '1000']);
    const cfg = JSON.parse(box.ok(['inspect', 'hc8', '--format', '{{json .Config.Healthcheck}}']));
    assert.deepEqual(cfg, { Test: ['CMD-SHELL', 'echo from-image'], Interval: 60e9, Timeout: 30e9, Retries: 5 });
    assert.equal(box.run(['healthcheck', 'run', 'hc8']).code, 0);
    assert.equal(health('hc8').Log?.at(-1)?.Output, 'from-image\n');
    box.ok(['run', '-d', '--name', 'hc9', '--network', 'none', '--health-cmd', 'echo from-flag', '--health-retries', '2', 'localhost/tspod-test/hc', 'sleep', '1000']);
    const over = JSON.parse(box.ok(['inspect', 'hc9', '--format', '{{json .Config.Healthcheck}}']));
    assert.deepEqual(over.Test, ['CMD-SHELL', 'echo from-flag']);
    assert.equal(over.Retries, 2);
    box.ok(['create', '--name', 'hc10', '--no-healthcheck', 'localhost/tspod-test/hc', 'true']);
    assert.equal(box.ok(['inspect', 'hc10', '--format', '{{json .Config.Healthcheck}}']).trim(), 'null');
    box.ok(['rm', '-f', '-t', '0', 'hc8', 'hc9', 'hc10']);
  });

  test('bad flags are refused; --no-healthcheck drops it', () => {
    for (const [flags, msg] of [
      [['--health-cmd', 'true', '--health-interval', '10x'], /invalid duration/],
      [['--health-cmd', 'true', '--health-retries', '0'], /greater than 0/],
      [['--health-cmd', 'true', '--health-on-failure', 'explode'], /invalid on-failure action/],
      [['--no-healthcheck', '--health-cmd', 'true'], /cannot specify both/],
    ] as const) {
      const r = box.run(['create', ...flags, IMG, 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, msg);
    }
    box.ok(['create', '--name', 'hc6', '--no-healthcheck', IMG, 'true']);
    assert.equal(box.ok(['inspect', 'hc6', '--format', '{{json .Config.Healthcheck}}']).trim(), 'null');
    box.ok(['rm', 'hc6']);
    assert.equal(box.ok(['ps', '-a', '-q']).trim(), '', 'refused creates left no container');
  });

  test('duration flags take Go durations: units mixed, microseconds as us, \u00b5s or \u03bcs', () => {
    box.ok(['create', '--name', 'hc8', '--health-cmd', 'true', '--health-interval', '1500000\u00b5s', '--health-timeout', '2000000\u03bcs', '--health-start-period', '1m30.5s', IMG, 'true']);
    const cfg = JSON.parse(box.ok(['inspect', 'hc8', '--format', '{{json .Config.Healthcheck}}'])) as Record<string, number>;
    assert.deepEqual([cfg.Interval, cfg.Timeout, cfg.StartPeriod], [1.5e9, 2e9, 90.5e9]);
    box.ok(['rm', 'hc8']);
    const r = box.run(['create', '--health-cmd', 'true', '--health-interval', '-1s', IMG, 'true']);
    assert.equal(r.code, 125, r.stderr);
    assert.equal(r.stderr, 'Error: invalid duration "-1s" for --health-interval: use a Go duration such as 30s, 1m or 500ms\n');
  });
});
