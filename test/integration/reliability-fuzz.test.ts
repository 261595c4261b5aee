/**
 * Hostile input suite.
 * - Every parser in fuzz-targets.ts, fed fast-check inputs in its own process
 *   (a hang is caught by the timeout): a clear error or a result, nothing else.
 * - CLI flags: random flag values on real commands: podman's exit codes, one
 *   `Error:` line, no stack, nothing written outside the storage root.
 * - A hostile registry: a manifest that does not match its digest, a blob that
 *   does not, a manifest and a blob that stream forever, a zip-bomb layer.
 * - `cp` against a symlink flipped between a directory and `/` while it runs.
 *
 * CI: 300 cases per parser, 40 CLI cases. TSPOD_RELIABILITY=nightly: 5000 and 400.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import tarStream from 'tar-stream';
import { Sandbox, TSPOD, fixturesDir, type RunResult } from './harness.js';
import { checkStorage } from './consistency.js';
import { buildFixtures } from '../fixtures/images.js';
import { FUZZ_TARGETS } from './fuzz-targets.js';
import { reportFigures, seed, sized, UNCLEAN_STDERR } from './reliability.js';

const IMG = 'localhost/tspod-test/busybox:latest';
const PARSER_CASES = Number(process.env.TSPOD_RELIABILITY_FUZZ) || sized(300, 5000);
const CLI_CASES = sized(40, 400);
const box = new Sandbox('fuzz');
const figures: Record<string, number> = { parsers: 0, cases: 0, failures: 0, hangs: 0, cliCases: 0, cliFailures: 0, attacks: 0, attackFailures: 0 };

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', join(fixturesDir(), 'busybox', 'oci-archive.tar')]);
});
after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
  reportFigures('fuzz', { ...figures, seed: seed() });
});

/** Runs a command with a bound; a run past it is killed and reported as a hang (code -1). */
function runBounded(args: string[], opts: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv; cmd?: string }): Promise<RunResult & { ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(opts.cmd ?? TSPOD, opts.cmd ? args : [...box.globalArgs, ...args], { cwd: opts.cwd, env: opts.env ?? box.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? -1 : (code ?? -1), stdout, stderr, ms: Date.now() - started });
    });
  });
}

for (const name of Object.keys(FUZZ_TARGETS)) {
  test(`fuzz: ${name}`, { timeout: 600_000 }, async () => {
    const scratch = box.path('fuzz-scratch');
    mkdirSync(scratch, { recursive: true });
    const r = await runBounded(['--import', 'tsx', join(import.meta.dirname, 'fuzz-worker.ts'), name, String(PARSER_CASES), String(seed()), scratch], {
      timeoutMs: 300_000,
      cmd: process.execPath,
      env: process.env,
    });
    figures.parsers++;
    if (r.code === -1) {
      figures.hangs++;
      assert.fail(`${name}: the fuzz worker did not finish within 300 s (a parser hangs)`);
    }
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { cases: number; failures: Array<{ input: string; error: string }>; slowest: number };
    figures.cases += result.cases;
    figures.failures += result.failures.length;
    process.stdout.write(`fuzz ${name}: ${result.cases} cases, ${result.failures.length} failures, slowest case ${result.slowest} ms\n`);
    assert.deepEqual(result.failures.slice(0, 5), [], `${name}: inputs that did not end in a clear error`);
  });
}

// ------------------------------------------------------------------ CLI flags

/** Flags with values, per command; global flags that move storage (--root, --runroot...) are never generated. */
const CLI_COMMANDS: Array<{ args: string[]; flags: string[]; tail: string[] }> = [
  { args: ['ps', '-a'], flags: ['--format', '--filter', '--last', '--sort'], tail: [] },
  { args: ['images'], flags: ['--format', '--filter', '--sort'], tail: [] },
  { args: ['create'], flags: ['--name', '--env', '--label', '--memory', '--cpus', '--publish', '--user', '--workdir', '--hostname', '--ulimit', '--restart', '--stop-signal', '--health-cmd', '--health-interval', '--shm-size', '--pids-limit', '--cpu-shares', '--dns', '--add-host', '--tmpfs', '--mount', '--volume', '--network', '--cap-add', '--security-opt', '--device'], tail: [IMG, 'true'] },
  { args: ['inspect'], flags: ['--format', '--type'], tail: [IMG] },
  { args: ['volume', 'create'], flags: ['--label', '--opt', '--driver'], tail: [] },
  { args: ['network', 'create'], flags: ['--subnet', '--gateway', '--ip-range', '--label', '--opt', '--driver'], tail: [] },
  { args: ['tag'], flags: [], tail: [IMG] },
  { args: ['pull'], flags: ['--platform', '--arch', '--retry'], tail: [] },
  { args: ['logs'], flags: ['--since', '--until', '--tail'], tail: ['nothere'] },
  { args: ['system', 'df'], flags: ['--format'], tail: [] },
];

const cliValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '-1', '0', '1e999', '99999999999999999999', '1g', '-5m', '{{.ID}}', '{{', '127.0.0.1::80', '0:0', 'a=b', '=', ':', '/:/host', '../..', 'type=bind,src=/,dst=/h', 'seccomp=unconfined', 'label=x', 'nothere', '%s%s%s'),
);

const cliCase = fc
  .record({ cmd: fc.nat({ max: CLI_COMMANDS.length - 1 }), flags: fc.array(fc.tuple(fc.nat({ max: 40 }), cliValue), { maxLength: 4 }), positional: fc.array(cliValue, { maxLength: 2 }) })
  .map(({ cmd, flags, positional }) => {
    const c = CLI_COMMANDS[cmd]!;
    const args = [...c.args];
    for (const [i, value] of flags) if (c.flags.length) args.push(c.flags[i % c.flags.length]!, value);
    args.push(...positional.filter((p) => !p.startsWith('-')), ...c.tail);
    return args;
  });

/** Protects the sandbox's storage: a generated value never names a storage path. */
function harmless(args: string[]): boolean {
  return !args.some((a) => a.includes(box.dir) || a.includes('\0'));
}

test('fuzz: CLI flags on real commands', { timeout: 900_000 }, async () => {
  const cwd = box.path('cwd');
  mkdirSync(cwd, { recursive: true });
  const failures: string[] = [];
  const cases = fc.sample(cliCase, { numRuns: CLI_CASES, seed: seed() }).filter(harmless);
  for (const args of cases) {
    const r = await runBounded(args, { timeoutMs: 60_000, cwd });
    figures.cliCases++;
    const what = `tspod ${JSON.stringify(args)} -> ${r.code}: ${r.stderr.slice(0, 300)}`;
    if (r.code === -1) failures.push(`hang: ${what}`);
    else if (![0, 1, 2, 125, 126, 127].includes(r.code)) failures.push(`exit code: ${what}`);
    else if (UNCLEAN_STDERR.test(r.stderr)) failures.push(`unclean: ${what}`);
    // One `Error:` line per failed argument, as podman prints them (pull a b).
    else if (r.code !== 0 && !/^((Trying to pull [^\n]*\n)?Error: [^\n]+\n)+(See 'tspod [^\n]+\n)?$/.test(r.stderr)) failures.push(`not Error lines: ${what}`);
  }
  figures.cliFailures += failures.length;
  // Nothing but storage: no file in the working directory, nothing new beside the roots.
  assert.deepEqual(readdirSync(cwd), [], 'nothing written to the working directory');
  assert.deepEqual(
    readdirSync(box.dir).filter((e) => !['root', 'run', 'networks', 'cwd', 'fuzz-scratch'].includes(e)),
    [],
    'nothing written beside the storage roots',
  );
  assert.deepEqual(checkStorage(box.path('root')), []);
  assert.deepEqual(failures, []);
});

// ------------------------------------------------------------- hostile registry

interface Blob {
  bytes?: Buffer;
  /** Streams this body instead of `bytes`. */
  stream?: () => Readable;
}

function sha(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function tarOf(entries: Array<{ name: string; body: Buffer | string }>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) pack.entry({ name: e.name, mode: 0o644 }, e.body);
  pack.finalize();
  return done.then(() => Buffer.concat(chunks));
}

/** An endless stream of zeros, in 64 KiB chunks. */
function zeros(): Readable {
  const chunk = Buffer.alloc(64 << 10);
  return new Readable({
    read() {
      this.push(chunk);
    },
  });
}

/** A registry on 127.0.0.1 that serves hand-made repositories, honest or not. */
class HostileRegistry {
  readonly blobs = new Map<string, Blob>();
  readonly manifests = new Map<string, Blob>();
  private server: Server = createServer((req, res) => this.handle(req.method ?? 'GET', req.url ?? '/', res));
  host = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.host = `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  /** An image (config + gzip layers) under `repo:latest`; returns the manifest's digest. */
  image(repo: string, layers: Array<{ gz: Buffer; diffId: string; served?: Blob; size?: number }>, config?: object): string {
    const configBytes = Buffer.from(JSON.stringify(config ?? { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, config: { Cmd: ['sh'] } }));
    this.blobs.set(sha(configBytes), { bytes: configBytes });
    for (const l of layers) this.blobs.set(sha(l.gz), l.served ?? { bytes: l.gz });
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(configBytes), size: configBytes.length },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(l.gz), size: l.size ?? l.gz.length })),
      }),
    );
    this.manifests.set(`${repo}:latest`, { bytes: manifest });
    this.manifests.set(`${repo}:${sha(manifest)}`, { bytes: manifest });
    return sha(manifest);
  }

  private handle(method: string, url: string, res: ServerResponse): void {
    res.on('error', () => undefined);
    if (url === '/v2/' || url === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/?]+)/.exec(url);
    const item = m && (m[2] === 'manifests' ? this.manifests.get(`${m[1]}:${decodeURIComponent(m[3]!)}`) : this.blobs.get(decodeURIComponent(m[3]!)));
    if (!m || !item) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND","message":"not found"}]}');
      return;
    }
    const type = m[2] === 'manifests' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream';
    if (item.stream) {
      res.writeHead(200, { 'content-type': type });
      if (method === 'HEAD') res.end();
      else item.stream().pipe(res);
      return;
    }
    const digest = m[2] === 'manifests' ? sha(item.bytes!) : decodeURIComponent(m[3]!);
    res.writeHead(200, { 'content-type': type, 'content-length': item.bytes!.length, 'docker-content-digest': digest });
    res.end(method === 'HEAD' ? undefined : item.bytes);
  }
}

test('hostile registry: lying digests, endless streams and a zip bomb are refused in bounded time, leaving nothing', { timeout: 600_000 }, async () => {
  const reg = new HostileRegistry();
  await reg.start();
  try {
    const layerTar = await tarOf([{ name: 'hello.txt', body: 'hello\n' }]);
    const honest = { gz: gzipSync(layerTar), diffId: sha(layerTar) };
    reg.image('honest', [honest]);

    // A manifest fetched by digest whose bytes hash to something else.
    const otherDigest = reg.image('swapped', [honest], { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [honest.diffId] }, config: { Cmd: ['true'] } });
    reg.manifests.set(`swapped:${otherDigest}`, { bytes: reg.manifests.get('honest:latest')!.bytes });

    // A layer whose served bytes are not the ones its digest names (same size).
    const otherTar = await tarOf([{ name: 'other.txt', body: 'other\n' }]);
    const other = { gz: gzipSync(otherTar), diffId: sha(otherTar) };
    const tampered = Buffer.from(other.gz);
    tampered[tampered.length - 10] ^= 0xff;
    reg.image('bad-blob', [{ ...other, served: { bytes: tampered } }]);
    // A manifest endpoint that never stops sending.
    reg.manifests.set('endless-manifest:latest', { stream: () => Readable.from((function* () { yield Buffer.from('{"schemaVersion":2,"x":"'); for (;;) yield Buffer.alloc(64 << 10, 0x61); })()) });
    // A layer that claims 1000 bytes and streams gzip of zeros forever.
    const endlessLayerTar = await tarOf([{ name: 'a', body: 'a' }]);
    reg.image('endless-blob', [{ gz: gzipSync(endlessLayerTar), diffId: sha(endlessLayerTar), served: { stream: () => zeros().pipe(createGzip()) } }]);
    // A zip bomb: 1 GiB of zeros in one file compresses to ~1 MiB; its config names another diff id.
    const bombBody = Buffer.alloc(sized(256, 1024) << 20);
    const bombTar = await tarOf([{ name: 'bomb', body: bombBody }]);
    const bomb = gzipSync(bombTar, { level: 9 });
    reg.image('zip-bomb', [{ gz: bomb, diffId: sha(Buffer.from('not the bomb')) }]);

    const cases: Array<{ ref: string; error: RegExp }> = [
      { ref: `${reg.host}/swapped@${otherDigest}`, error: /digest|does not match/i },
      { ref: `${reg.host}/bad-blob:latest`, error: /digest|does not match|corrupt/i },
      { ref: `${reg.host}/endless-manifest:latest`, error: /larger than|too large|MiB/i },
      { ref: `${reg.host}/endless-blob:latest`, error: /more than its|does not match|size/i },
      { ref: `${reg.host}/zip-bomb:latest`, error: /diff|digest|does not match/i },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      const r = await runBounded(['pull', '-q', '--tls-verify=false', c.ref], { timeoutMs: 120_000 });
      figures.attacks++;
      const what = `pull ${c.ref} -> ${r.code} after ${r.ms} ms: ${r.stderr.trim()}`;
      if (r.code === -1) failures.push(`hang: ${what}`);
      else if (r.code !== 125 || !/^Error: [^\n]+\n$/.test(r.stderr.replace(/^Trying to pull [^\n]*\n/, '')) || !c.error.test(r.stderr)) failures.push(what);
      process.stdout.write(`attack ${c.ref.split('/')[1]}: exit ${r.code} in ${r.ms} ms: ${r.stderr.trim().split('\n').pop()}\n`);
    }
    const honestPull = await runBounded(['pull', '-q', '--tls-verify=false', `${reg.host}/honest:latest`], { timeoutMs: 60_000 });
    assert.equal(honestPull.code, 0, `the honest image pulls: ${honestPull.stderr}`);
    figures.attackFailures += failures.length;
    assert.deepEqual(failures, []);
    const images = box.ok(['images', '--format', '{{.Repository}}']);
    assert.doesNotMatch(images, /swapped|bad-blob|endless|zip-bomb/, 'no refused image is listed');
    assert.deepEqual(checkStorage(box.path('root')), [], 'no staging or orphaned layer left');
  } finally {
    reg.stop();
  }
});

test('cp never follows a symlink out of the container, even one flipped while it runs (CVE-2019-14271 class)', { timeout: 300_000 }, async () => {
  const marker = `tspod-cp-race-${randomBytes(4).toString('hex')}`;
  box.ok(['run', '-d', '--name', 'flipper', IMG, 'sh', '-c', `mkdir -p /real; while true; do rm -rf /flip; ln -s / /flip; rm -f /flip; mkdir /flip; done`]);
  const src = box.path('cp-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, marker), 'x');
  const failures: string[] = [];
  const rounds = sized(20, 200);
  for (let i = 0; i < rounds; i++) {
    const into = box.run(['cp', join(src, marker), `flipper:/flip/${marker}`]);
    if (into.code !== 0 && !/^Error: [^\n]+\n$/.test(into.stderr)) failures.push(`cp into: ${into.stderr}`);
    const out = box.path(`cp-out-${i}`);
    const from = box.run(['cp', 'flipper:/flip/etc/hostname', out]);
    if (from.code !== 0 && !/^Error: [^\n]+\n$/.test(from.stderr)) failures.push(`cp from: ${from.stderr}`);
    if (from.code === 0) {
      const text = readFileSync(out, 'utf8');
      const hostName = readFileSync('/etc/hostname', 'utf8');
      if (text === hostName && text !== box.ok(['exec', 'flipper', 'cat', '/etc/hostname'])) failures.push('cp from read the host /etc/hostname');
    }
    figures.attacks++;
  }
  const escaped = [`/${marker}`, `/tmp/${marker}`].filter((p) => existsSync(p));
  for (const p of escaped) rmSync(p, { force: true });
  box.run(['rm', '-f', '-t', '0', 'flipper']);
  figures.attackFailures += failures.length + escaped.length;
  assert.deepEqual(escaped, [], 'nothing written on the host through the flipping link');
  assert.deepEqual(failures, []);
});
