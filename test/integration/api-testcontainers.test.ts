/**
 * testcontainers (npm) against a `tspod system service`, with its reaper on: GenericContainers
 * with an exposed port and a wait strategy, and the reaper container that calls the service
 * back through the bind-mounted socket and removes what a finished test session left behind.
 * The real reaper image is on Docker Hub, out of reach here; a stand-in that speaks its
 * protocol (test/fixtures/ryuk-standin.mjs, run by this machine's node) is built locally.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sandbox, fixturesDir } from './harness.js';
import { ApiService } from './api-harness.js';
import { buildFixtures } from '../fixtures/images.js';

const here = dirname(fileURLToPath(import.meta.url));
const box = new Sandbox('api-testcontainers');
const api = new ApiService(box);
const IMG = 'localhost/tspod-test/busybox:latest';
const REAPER = 'localhost/tspod-test/ryuk:latest';

/** An image holding this machine's node, the libraries it links and the stand-in reaper. */
function buildReaperImage(): void {
  const ctx = box.path('ryuk-context');
  const rootfs = join(ctx, 'rootfs');
  const place = (file: string): void => {
    const target = join(rootfs, file);
    mkdirSync(dirname(target), { recursive: true });
    // The loader is reached through a symlink (/lib64/ld-linux…): the image gets the file itself.
    const real = realpathSync(file);
    try {
      linkSync(real, target);
    } catch {
      copyFileSync(real, target);
    }
  };
  const node = process.execPath;
  place(node);
  const ldd = spawnSync('ldd', [node], { encoding: 'utf8' });
  const libDirs = new Set<string>();
  for (const m of ldd.stdout.matchAll(/(\/\S+) \(0x/g)) {
    place(m[1]!);
    libDirs.add(dirname(m[1]!));
  }
  copyFileSync(join(here, '../fixtures/ryuk-standin.mjs'), join(rootfs, 'reaper.mjs'));
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  writeFileSync(join(ctx, 'Containerfile'), `FROM scratch\nCOPY rootfs/ /\nENV LD_LIBRARY_PATH=${[...libDirs].join(':')}\nENTRYPOINT ["${node}", "/reaper.mjs"]\n`);
  box.ok(['build', '-q', '-t', REAPER, ctx]);
}

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  buildReaperImage();
  await api.start();
});

after(async () => {
  await api.stop();
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

function runSession(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, 'testcontainers-client.mjs'), IMG], {
      cwd: here,
      env: {
        ...api.clientEnv,
        RYUK_CONTAINER_IMAGE: REAPER,
        TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT: '1s',
        TESTCONTAINERS_RYUK_DISABLED: 'false',
        // testcontainers keeps a lock file per user in the temp dir: keep it in the sandbox.
        TMPDIR: box.path('tmp'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function containersLabelled(label: string): string[] {
  return box.ok(['ps', '-a', '-q', '--no-trunc', '--filter', `label=${label}`]).split('\n').filter(Boolean);
}

/** Polls `tspod ps` until no container carries the label, for at most `ms`. */
async function untilNoneLabelled(label: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  let left = containersLabelled(label);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    left = containersLabelled(label);
  }
  return left;
}

test('GenericContainers with an exposed port and an HTTP wait start, serve, stop; the reaper removes what the session left', { timeout: 180_000 }, async () => {
  mkdirSync(box.path('tmp'), { recursive: true });
  const session = await runSession();
  assert.equal(session.code, 0, `testcontainers session failed:\n${session.stderr}`);
  const result = JSON.parse(session.stdout.trim().split('\n').pop()!) as { stoppedId: string; leftId: string; pages: string[]; sessionLabel: string };
  assert.deepEqual(result.pages, ['first', 'second']);
  assert.ok(result.sessionLabel, 'containers carry the session label');

  // The stopped one is gone at once (testcontainers removes it); the reaper container runs
  // with the socket mounted, and the left container waits for it.
  const all = box.ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Image}} {{.Mounts}}']);
  assert.ok(!all.includes(result.stoppedId), `stopped container still listed:\n${all}`);
  const reaperRow = all.split('\n').find((l) => l.includes(REAPER));
  assert.ok(reaperRow, `no reaper container:\n${all}`);

  const left = await untilNoneLabelled(`org.testcontainers.session-id=${result.sessionLabel}`, 60_000);
  const reaperId = reaperRow.split(' ')[0]!;
  assert.deepEqual(left, [], `the reaper did not remove the session's container; its log:\n${box.run(['logs', reaperId]).stdout}${box.run(['logs', reaperId]).stderr}`);
  // The reaper exits after reaping and was created with AutoRemove.
  assert.deepEqual(await untilNoneLabelled('org.testcontainers=true', 30_000), []);
});
