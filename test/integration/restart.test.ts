import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('restart');
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
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

function state(name: string): { Status: string; RestartCount: number; ExitCode: number } {
  const [status, count, code] = box.ok(['inspect', name, '--format', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}']).trim().split(' ');
  return { Status: status!, RestartCount: Number(count), ExitCode: Number(code) };
}

/** Settled: exited and no cleanup/restart still under way (the count stays put). */
async function settledExited(name: string): Promise<{ Status: string; RestartCount: number; ExitCode: number }> {
  let last = '';
  let stableSince = Date.now();
  await until(`${name} settled`, () => {
    const s = state(name);
    const now = JSON.stringify(s);
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
    return s.Status === 'exited' && Date.now() - stableSince > 1500;
  });
  return JSON.parse(last);
}

describe('restart policies', { timeout: 180_000 }, () => {
  test('on-failure:2 restarts a failing container twice, then leaves it exited', async () => {
    box.ok(['run', '-d', '--name', 'r1', '--network', 'none', '--restart', 'on-failure:2', IMG, 'sh', '-c', 'exit 3']);
    const s = await settledExited('r1');
    assert.equal(s.RestartCount, 2);
    assert.equal(s.ExitCode, 3);
  });

  test('on-failure does not restart after exit 0', async () => {
    box.ok(['run', '-d', '--name', 'r2', '--network', 'none', '--restart', 'on-failure', IMG, 'true']);
    const s = await settledExited('r2');
    assert.equal(s.RestartCount, 0);
  });

  test('always restarts after exit 0; stop keeps it stopped', async () => {
    box.ok(['run', '-d', '--name', 'r3', '--network', 'none', '--restart', 'always', IMG, 'sh', '-c', 'sleep 0.3']);
    await until('restarted twice', () => state('r3').RestartCount >= 2);
    box.ok(['stop', '-t', '0', 'r3']);
    const s = await settledExited('r3');
    const count = s.RestartCount;
    assert.equal(state('r3').Status, 'exited');
    assert.equal(state('r3').RestartCount, count);
  });

  test('unless-stopped restarts until stopped', async () => {
    box.ok(['run', '-d', '--name', 'r4', '--network', 'none', '--restart', 'unless-stopped', IMG, 'sh', '-c', 'sleep 0.3; exit 1']);
    await until('restarted', () => state('r4').RestartCount >= 1);
    box.ok(['stop', '-t', '0', 'r4']);
    assert.equal((await settledExited('r4')).Status, 'exited');
  });

  test('start --all --filter restart-policy=always starts only those (the boot-time restart)', async () => {
    box.run(['rm', '-fa', '-t', '0']);
    box.ok(['create', '--name', 'b1', '--network', 'none', '--restart', 'always', IMG, 'sleep', '1000']);
    box.ok(['create', '--name', 'b2', '--network', 'none', IMG, 'sleep', '1000']);
    box.ok(['create', '--name', 'b3', '--network', 'none', '--restart', 'on-failure', IMG, 'sleep', '1000']);
    assert.equal(box.ok(['ps', '-a', '--filter', 'restart-policy=always', '--format', '{{.Names}}']).trim(), 'b1');
    assert.equal(box.ok(['ps', '-a', '--filter', 'restart-policy=no', '--format', '{{.Names}}']).trim(), 'b2');
    const b1 = box.ok(['inspect', 'b1', '--format', '{{.Id}}']).trim();
    assert.equal(box.ok(['start', '--all', '--filter', 'restart-policy=always']).trim(), b1);
    assert.equal(box.ok(['ps', '--format', '{{.Names}}']).trim(), 'b1');
    box.ok(['start', '--filter', 'restart-policy=on-failure']);
    assert.equal(box.ok(['ps', '--format', '{{.Names}}', '--sort', 'names']).trim(), 'b1\nb3');
    const r = box.run(['start', '--all', '--filter', 'restart-policy=bogus']);
    assert.equal(r.code, 125);
    box.ok(['rm', '-fa', '-t', '0']);
  });
});
