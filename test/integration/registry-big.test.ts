import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { Sandbox, TSPOD } from './harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { layerTar, writeDockerArchive } from '../../bench/lib.js';
import { openDatabase } from '../../src/storage/db.js';

/**
 * A ~60 MiB image in a local registry: gzip members of pushed multi-MiB
 * layers read by Podman, skopeo and tspod; progress bars on a terminal;
 * pulls killed midway.
 */

let registry: TestRegistry;
let work: string;
let image: string;
let imageId: string;
const boxes: Sandbox[] = [];

function sandbox(name: string): Sandbox {
  const box = new Sandbox(name);
  boxes.push(box);
  return box;
}

before(async () => {
  work = mkdtempSync(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-regbig-'));
  const layers: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const files: Array<[string, Buffer]> = [];
    // Random files (stored by the compressor) and text (deflated), so both kinds of gzip member occur.
    for (let f = 0; f < 36; f++) files.push([`layer${i}/random-${f}.bin`, randomBytes(256 * 1024)]);
    files.push([`layer${i}/text.txt`, Buffer.from(Array.from({ length: 60_000 }, (_, n) => `line ${n} of layer ${i}\n`).join(''))]);
    layers.push(await layerTar(files));
  }
  const archive = join(work, 'big.tar');
  await writeDockerArchive(archive, [{ name: 'localhost/test/big:latest', layers }]);
  registry = await startRegistry();
  image = `${registry.host}/test/big:latest`;
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${image}`]);
  const config = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--config', '--raw', `docker://${image}`]);
  imageId = createHash('sha256').update(config).digest('hex');
});

after(() => {
  registry?.stop();
  for (const b of boxes) b.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

function storage(box: Sandbox): { staged: string[]; layers: string[] } {
  const base = box.path('root', 'tspod');
  const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const driver = ['overlay', 'vfs'].find((d) => existsSync(join(base, d))) ?? 'overlay';
  return { staged: list(join(base, 'tmp')), layers: list(join(base, driver)).filter((d) => d !== 'l') };
}

/** True once a staging dir under tmp holds an extracted file: a blob is being written. */
function writingBlob(box: Sandbox): boolean {
  const tmp = box.path('root', 'tspod', 'tmp');
  if (!existsSync(tmp)) return false;
  for (const entry of readdirSync(tmp)) {
    const dir = join(tmp, entry);
    try {
      if (readdirSync(dir, { recursive: true }).some((p) => String(p).endsWith('.bin'))) return true;
    } catch {
      // a file, or a dir that went away
    }
  }
  return false;
}

async function pullKilledMidway(box: Sandbox, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(TSPOD, [...box.globalArgs, 'pull', '-q', '--tls-verify=false', image], { env: box.env, stdio: 'ignore' });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  let exited = false;
  void ended.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  while (!writingBlob(box)) {
    if (exited) throw new Error('the pull ended before a blob was being written');
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('no blob was being written within 60 s');
    }
    await new Promise((r) => setImmediate(r));
  }
  child.kill(signal);
  return ended;
}

for (const signal of ['SIGKILL', 'SIGINT'] as const) {
  test(`a pull stopped by ${signal} while writing a blob leaves storage consistent; the next pull completes`, { timeout: 180_000 }, async () => {
    const box = sandbox(`regbig-${signal.toLowerCase()}`);
    const stopped = await pullKilledMidway(box, signal);
    assert.ok(stopped.signal === signal || (stopped.code !== null && stopped.code !== 0), `the pull was stopped: ${JSON.stringify(stopped)}`);
    const images = box.run(['images', '--format', '{{.ID}}']);
    assert.equal(images.code, 0, images.stderr);
    assert.equal(images.stdout, '', 'no image listed after the interrupted pull');
    assert.deepEqual(storage(box).layers, [], 'no layer is stored');
    const again = box.run(['pull', '-q', '--tls-verify=false', image]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), imageId);
    assert.deepEqual(storage(box).staged, [], 'nothing is left in staging');
    assert.equal(storage(box).layers.length, 6);
    assert.equal(box.ok(['images', '--format', '{{.ID}}']).trim(), imageId.slice(0, 12));
  });
}

test('a pushed multi-MiB layer (several gzip members) is read back by tspod, skopeo and Podman with the same image id', { timeout: 300_000 }, () => {
  const box = sandbox('regbig-push');
  box.ok(['pull', '-q', '--tls-verify=false', image]);
  const pushed = `${registry.host}/test/pushed:1`;
  box.ok(['push', '-q', '--tls-verify=false', image, `docker://${pushed}`]);
  const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${pushed}`]).toString()) as { layers: Array<{ size: number }> };
  assert.ok(manifest.layers.every((l) => l.size > 2 << 20), 'each layer blob spans several 1 MiB gzip members');

  const dir = join(work, 'skopeo-dir');
  execFileSync('skopeo', ['copy', '-q', '--insecure-policy', '--src-tls-verify=false', `docker://${pushed}`, `dir:${dir}`]);
  assert.ok(existsSync(join(dir, 'manifest.json')));

  const other = sandbox('regbig-pullback');
  assert.equal(other.ok(['pull', '-q', '--tls-verify=false', pushed]).trim(), imageId);

  const pm = join(work, 'podman');
  const r = spawnSync('podman', ['--root', join(pm, 'root'), '--runroot', join(pm, 'run'), 'pull', '-q', '--tls-verify=false', pushed], {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: '/dev/null' },
    timeout: 180_000,
  });
  try {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), imageId);
  } finally {
    spawnSync('podman', ['--root', join(pm, 'root'), '--runroot', join(pm, 'run'), 'rmi', '-af'], { env: { ...process.env, CONTAINERS_CONF: '/dev/null' } });
  }
});

test('on a terminal, pull draws a bar per blob and ends each with done; -q draws nothing', { timeout: 120_000 }, () => {
  const box = sandbox('regbig-pty');
  const driver = `
import os, pty, sys, json
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[1], sys.argv[1:], os.environ)
out = b''
while True:
    try: chunk = os.read(fd, 65536)
    except OSError: break
    if not chunk: break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(json.dumps({'code': os.waitstatus_to_exitcode(status), 'output': out.decode('utf-8', 'replace')}))
`;
  const inPty = (args: string[]) => {
    const r = spawnSync('python3', ['-c', driver, TSPOD, ...box.globalArgs, ...args], { env: box.env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`pty driver failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { code: number; output: string };
  };
  const r = inPty(['pull', '--tls-verify=false', image]);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Copying blob [0-9a-f]{12} \[[=>-]{30}\] [0-9.]+(?:b|KiB|MiB) \/ [0-9.]+MiB/);
  assert.match(r.output, /\x1b\[\d+A/, 'bars are redrawn in place');
  assert.equal((r.output.match(/Copying blob [0-9a-f]{12} done/g) ?? []).length >= 6, true);
  assert.match(r.output, /Writing manifest to image destination/);
  assert.match(r.output, new RegExp(`${imageId}\\r?\\n$`));
  box.ok(['rmi', '-a']);
  const quiet = inPty(['pull', '-q', '--tls-verify=false', image]);
  assert.equal(quiet.output.replace(/\r/g, ''), `${imageId}\n`);
});

test('an upload cut off midway fails the push in one line, and the next push completes', { timeout: 300_000 }, async () => {
  const box = sandbox('regbig-cut');
  box.ok(['pull', '-q', '--tls-verify=false', image]);
  const cutter = await startCuttingProxy(registry.host);
  try {
    const target = `${cutter.host}/test/cut:1`;
    const failed = await box.runAsync(['push', '-q', '--tls-verify=false', image, `docker://${target}`]);
    assert.equal(failed.code, 125, failed.stderr);
    assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
    assert.match(failed.stderr.trim(), /^Error: uploading a layer to 127\.0\.0\.1:\d+ failed: .*: push again$/);
    assert.ok(cutter.cut, 'the proxy did cut an upload');
    const again = await box.runAsync(['push', '-q', '--tls-verify=false', image, `docker://${target}`]);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    cutter.server.close();
  }
  const other = sandbox('regbig-cut-pull');
  assert.equal(other.ok(['pull', '-q', '--tls-verify=false', `${registry.host}/test/cut:1`]).trim(), imageId);
});

// Cut after 1 MiB, and after the first piece: then the pull fails while its extraction
// threads may still be starting, and a thread that went on to make the layer's staging dir
// after the pull removed it would leave that dir behind.
for (const [when, cutAfter] of [['midway', 1 << 20], ['at its first piece', 0]] as const) {
  test(`a download cut off ${when} fails the pull in one line and leaves nothing half-written; the next pull completes`, { timeout: 300_000 }, async () => {
    const box = sandbox(`regbig-cut-download-${cutAfter}`);
    const cutter = await startCuttingProxy(registry.host, 'download', cutAfter);
    try {
      const failed = await box.runAsync(['pull', '-q', '--tls-verify=false', `${cutter.host}/test/big:latest`]);
      assert.ok(cutter.cut, 'the proxy did cut a download');
      assert.equal(failed.code, 125, failed.stderr);
      assert.match(failed.stderr, /^Error: copying blob sha256:[0-9a-f]{64}: the download (ended after \d+ of \d+ bytes: try again|was cut short)\n$/);
      assert.deepEqual(storage(box), { staged: [], layers: [] });
      assert.equal(box.ok(['images', '-q']), '');
      // Through the proxy again (it cuts once): the proxy runs in this process, so the pull must not block it.
      const again = await box.runAsync(['pull', '-q', '--tls-verify=false', `${cutter.host}/test/big:latest`]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout.trim(), imageId);
    } finally {
      cutter.server.close();
    }
  });
}

test('a push from damaged storage fails in one line and stores no manifest: a changed file, and a cut one', { timeout: 300_000 }, async () => {
  const box = sandbox('regbig-damaged');
  box.ok(['pull', '-q', '--tls-verify=false', image]);
  const layerFile = (name: string): string => {
    const base = box.path('root', 'tspod', 'overlay');
    for (const layer of readdirSync(base)) {
      const path = join(base, layer, 'diff', 'layer2', name);
      if (existsSync(path)) return path;
    }
    throw new Error(`no ${name} in the pulled layers`);
  };
  // An empty registry each time: every layer has to be made and uploaded.
  const pushTo = async (what: RegExp): Promise<void> => {
    const target = await startRegistry();
    try {
      const r = spawnSync(TSPOD, [...box.globalArgs, 'push', '-q', '--tls-verify=false', image, `docker://${target.host}/test/damaged:1`], {
        env: box.env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.signal, null, 'the push ended by itself');
      assert.equal(r.status, 125, r.stderr);
      assert.match(r.stderr, /^Error: .*\n$/);
      assert.match(r.stderr, what);
      assert.deepEqual(storage(box).staged, []);
      const manifest = spawnSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${target.host}/test/damaged:1`], { encoding: 'utf8' });
      assert.notEqual(manifest.status, 0, 'no manifest was stored for the failed push');
    } finally {
      target.stop();
    }
  };
  // One byte changed in the middle of a file: the tar reads back with another CRC-32 than the one stored with the layer.
  const changed = layerFile('random-3.bin');
  const bytes = readFileSync(changed);
  bytes[bytes.length >> 1]! ^= 0xff;
  writeFileSync(changed, bytes);
  await pushTo(/reads back as (\d+) bytes with CRC-32 [0-9a-f]{8}, not the \1 bytes with [0-9a-f]{8} it was stored with: storage is damaged/);
  // Layers stored by a tspod that recorded no CRC-32 are checked against their diff id instead.
  const db = openDatabase(box.path('root', 'tspod', 'state.db'));
  db.prepare('UPDATE layers SET tar_crc32 = NULL').run();
  db.close();
  await pushTo(/reads back as sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}: storage is damaged/);
  bytes[bytes.length >> 1]! ^= 0xff;
  writeFileSync(changed, bytes);
  const intact = await startRegistry();
  try {
    box.ok(['push', '-q', '--tls-verify=false', image, `docker://${intact.host}/test/intact:1`]);
  } finally {
    intact.stop();
  }
  // A file cut short: the replay fails midway through the layer's upload.
  truncateSync(layerFile('random-5.bin'), 1000);
  await pushTo(/shorter than recorded in its tar-split/);
});

/** A proxy in front of the registry that drops the connection of the first layer upload, or blob download, once more than `cutAfter` bytes went through. */
function startCuttingProxy(target: string, what: 'upload' | 'download' = 'upload', cutAfter = 1 << 20): Promise<{ host: string; server: Server; cut: boolean }> {
  const [hostname, port] = target.split(':');
  const state = { host: '', server: undefined as unknown as Server, cut: false };
  state.server = createServer((req, res) => {
    const upstream = request({ hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      // Layer blobs only: the config, a blob too, is fetched again after a failure.
      const layerBlob = req.method === 'GET' && req.url?.includes('/blobs/') && Number(up.headers['content-length']) > 1 << 20;
      if (what === 'download' && layerBlob && !state.cut) {
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
          if (state.cut) return;
          sent += chunk.length;
          if (sent <= cutAfter) {
            res.write(chunk);
            return;
          }
          state.cut = true;
          up.destroy();
          // Once this piece is out: the client has the response and part of the body, then loses the connection.
          res.write(chunk, () => res.socket?.destroy());
        });
        up.on('end', () => res.end());
        return;
      }
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    if (what === 'upload' && req.method === 'PATCH' && !state.cut) {
      let seen = 0;
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > 1 << 20 && !state.cut) {
          state.cut = true;
          upstream.destroy();
          req.socket.destroy();
        }
      });
    }
    req.pipe(upstream);
  });
  return new Promise((resolve) => {
    state.server.listen(0, '127.0.0.1', () => {
      state.host = `127.0.0.1:${(state.server.address() as { port: number }).port}`;
      resolve(state);
    });
  });
}
