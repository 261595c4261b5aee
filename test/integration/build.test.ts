import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox } from './harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('build');
let fx: FixtureSet;
const BASE = 'localhost/tspod-test/busybox:latest';
const podmanDir = join(box.dir, 'podman');
const havePodman = spawnSync('podman', ['--version']).status === 0;

before(async () => {
  fx = await buildFixtures(join(process.env.TSPOD_TEST_TMP ?? '/var/tmp', 'tspod-test-fixtures'));
  box.ok(['load', '-q', '-i', fx.busybox.ociArchive]);
  if (havePodman) podman(['load', '-q', '-i', fx.busybox.ociArchive]);
});

after(() => {
  box.run(['rm', '-fa', '-t', '0']);
  if (havePodman) {
    spawnSync('podman', [...podmanGlobals(), 'system', 'reset', '-f'], { encoding: 'utf8' });
    rmSync(podmanDir, { recursive: true, force: true });
  }
  const left = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(box.dir));
  box.cleanup();
  assert.deepEqual(left, [], 'no mounts left behind');
});

function podmanGlobals(): string[] {
  return ['--root', join(podmanDir, 'root'), '--runroot', join(podmanDir, 'run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
}

function podman(args: string[]): string {
  const r = spawnSync('podman', [...podmanGlobals(), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A context directory made of files (content strings; a `->target` value makes a symlink). */
function context(name: string, files: Record<string, string>): string {
  const dir = box.path('ctx', name);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    if (content.startsWith('->')) spawnSync('ln', ['-s', content.slice(2), full]);
    else writeFileSync(full, content);
  }
  return dir;
}

/** What a user sees of a tree: type, mode, owner, size and content digest of every path (no times). */
function treeListing(root: string, paths: string[]): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    const host = join(root, rel);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      out.push(`${rel} missing`);
      return;
    }
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`${rel} dir ${mode} ${st.uid}:${st.gid}`);
      for (const n of readdirSync(host).sort()) visit(`${rel}/${n}`);
    } else if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(host)} ${st.uid}:${st.gid}`);
    else out.push(`${rel} file ${mode} ${st.uid}:${st.gid} ${createHash('sha256').update(readFileSync(host)).digest('hex').slice(0, 16)}`);
  };
  for (const p of paths) visit(p);
  return out;
}

interface Built {
  config: Record<string, unknown>;
  files: string[];
}

function tspodBuilt(ref: string, paths: string[]): Built {
  const [inspect] = JSON.parse(box.ok(['image', 'inspect', ref])) as Array<{ Config: Record<string, unknown> }>;
  const mount = box.ok(['image', 'mount', ref]).trim();
  try {
    return { config: comparable(inspect!.Config), files: treeListing(mount, paths) };
  } finally {
    box.ok(['image', 'unmount', ref]);
  }
}

function podmanBuilt(ref: string, paths: string[]): Built {
  const [inspect] = JSON.parse(podman(['image', 'inspect', ref])) as Array<{ Config: Record<string, unknown> }>;
  const mount = podman(['image', 'mount', ref]).trim();
  try {
    return { config: comparable(inspect!.Config), files: treeListing(mount, paths) };
  } finally {
    podman(['image', 'unmount', ref]);
  }
}

/** The config keys the issue compares, with Buildah's own version label left out. */
function comparable(config: Record<string, unknown>): Record<string, unknown> {
  const labels = { ...((config.Labels as Record<string, string> | null) ?? {}) };
  delete labels['io.buildah.version'];
  const pick = (k: string) => config[k] ?? null;
  return {
    Env: pick('Env'),
    Cmd: pick('Cmd'),
    Entrypoint: pick('Entrypoint'),
    User: config.User ?? '',
    WorkingDir: config.WorkingDir ?? '',
    ExposedPorts: pick('ExposedPorts'),
    Labels: labels,
    Volumes: pick('Volumes'),
    StopSignal: config.StopSignal ?? '',
  };
}

/** The corpus: Containerfiles shaped like real ones, each with the paths whose files are compared. */
const CORPUS: Array<{ name: string; files: Record<string, string>; args?: string[]; paths: string[]; prepare?: (dir: string) => void }> = [
  {
    name: 'multi-stage',
    files: {
      Containerfile: `# syntax=docker/dockerfile:1
ARG BASE=${BASE}
FROM \${BASE} AS builder
ARG VERSION=1.0
ENV APP_HOME=/opt/app \\
    MODE=release
WORKDIR $APP_HOME
COPY src/ ./src/
RUN mkdir -p out && cat src/*.txt > out/all.txt && echo "v=$VERSION $MODE" > out/version

FROM ${BASE}
LABEL org.opencontainers.image.title="demo app" maintainer=someone
COPY --from=builder /opt/app/out/ /srv/
COPY --chown=1000:1000 --chmod=0640 config.ini /etc/app/
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/all.txt"]
`,
      'src/a.txt': 'alpha\n',
      'src/b.txt': 'beta\n',
      'config.ini': '[app]\nx=1\n',
    },
    args: ['--build-arg', 'VERSION=2.5'],
    paths: ['/srv', '/etc/app'],
  },
  {
    name: 'arg-env',
    files: {
      Containerfile: `ARG GREETING=hello
FROM ${BASE}
ARG GREETING
ARG WHO=world
ENV MESSAGE="\${GREETING} \${WHO}" EMPTY= DEFAULTED=\${UNSET:-fallback} ALT=\${WHO:+set}
ENV OLD_FORM a value with spaces
RUN echo "$MESSAGE|$DEFAULTED|$ALT|$OLD_FORM" > /result
USER 1000:1000
`,
    },
    args: ['--build-arg', 'WHO=builder'],
    paths: ['/result'],
  },
  {
    name: 'user-workdir',
    files: {
      Containerfile: `FROM ${BASE}
USER tester
WORKDIR /home/tester/app/sub
RUN id -u > uid && pwd > where
WORKDIR ..
COPY data.txt ./
COPY dir dest/
`,
      'data.txt': 'data\n',
      'dir/inner/file': 'inner\n',
      'dir/link': '->inner/file',
    },
    paths: ['/home/tester'],
  },
  {
    name: 'add-and-copy-from',
    files: {
      Containerfile: `FROM ${BASE} AS src
RUN mkdir -p /data && echo x > /data/x && chown -R 1000:1000 /data && chmod 0700 /data
FROM ${BASE}
ADD pkg.tar.gz /unpacked/
ADD plain.txt /added/
COPY --from=src /data /fromsrc
COPY --from=src /data/x /fromsrc-file
COPY plain.txt /plain-copy
COPY sub* /globbed/
`,
      'plain.txt': 'plain\n',
      'pkg/sub/f': 'a\n',
      'sub-1.txt': '1\n',
      'sub-2.txt': '2\n',
    },
    prepare: (dir) => {
      spawnSync('chmod', ['0750', join(dir, 'plain.txt')]);
      const r = spawnSync('tar', ['-C', join(dir, 'pkg'), '--owner=1234', '--group=4321', '-czf', join(dir, 'pkg.tar.gz'), '.']);
      assert.equal(r.status, 0);
      rmSync(join(dir, 'pkg'), { recursive: true });
    },
    paths: ['/unpacked', '/added', '/fromsrc', '/fromsrc-file', '/plain-copy', '/globbed'],
  },
  {
    name: 'dockerignore',
    files: {
      Containerfile: `FROM ${BASE}
COPY . /ctx/
`,
      '.dockerignore': '*.log\n!keep.log\n**/tmp\nsecret/\nContainerfile\n.dockerignore\n',
      'a.log': 'drop\n',
      'keep.log': 'keep\n',
      'app/main.txt': 'main\n',
      'app/tmp/junk': 'junk\n',
      'app/deep/tmp/junk': 'junk\n',
      'secret/key': 'key\n',
    },
    paths: ['/ctx'],
  },
];

for (const c of CORPUS) {
  test(`build corpus "${c.name}": the image matches what podman builds from the same file (config and files)`, { skip: !havePodman && 'podman is not installed' }, () => {
    const dir = context(c.name, c.files);
    c.prepare?.(dir);
    const tag = `localhost/corpus-${c.name}:latest`;
    box.ok(['build', '-q', ...(c.args ?? []), '-t', tag, dir]);
    podman(['build', '-q', ...(c.args ?? []), '-t', tag, dir]);
    const ours = tspodBuilt(tag, c.paths);
    const theirs = podmanBuilt(tag, c.paths);
    assert.deepEqual(ours.config, theirs.config);
    assert.deepEqual(ours.files, theirs.files);
  });
}

// Podman 4.3 (Buildah 1.28) has no heredocs: these are checked against what Docker's documentation says.
test('heredocs (RUN script, RUN with a shebang, COPY file), cache and tmpfs mounts', () => {
  const dir = context('heredoc', {
    Containerfile: `FROM ${BASE}
ARG WHO=builder
RUN --mount=type=cache,target=/var/cache/app <<EOT
set -e
mkdir -p /opt/gen
echo "generated by $WHO" > /opt/gen/one
ls /var/cache/app > /opt/gen/cache-before
date > /var/cache/app/stamp
EOT
RUN <<'EOT'
#!/bin/sh
echo "from a script run as $0" > /opt/gen/script
EOT
COPY <<EOF /etc/motd
welcome \${WHO} \${UNSET:-default}
EOF
RUN --mount=type=tmpfs,target=/scratch echo tmp > /scratch/x && ls /scratch > /opt/gen/listing
RUN --mount=type=cache,target=/var/cache/app ls /var/cache/app > /opt/gen/cache-after
`,
  });
  box.ok(['build', '-q', '-t', 'localhost/heredoc', dir]);
  const cat = (path: string) => box.ok(['run', '--rm', 'localhost/heredoc', 'cat', path]);
  assert.equal(cat('/opt/gen/one'), 'generated by builder\n');
  assert.equal(cat('/opt/gen/cache-before'), '');
  assert.equal(cat('/opt/gen/cache-after'), 'stamp\n', 'the cache mount keeps files between steps');
  assert.equal(cat('/opt/gen/script'), 'from a script run as /dev/pipes/EOT\n');
  assert.equal(cat('/etc/motd'), 'welcome builder default\n');
  assert.equal(cat('/opt/gen/listing'), 'x\n');
  assert.equal(box.run(['run', '--rm', 'localhost/heredoc', 'ls', '/var/cache/app']).stdout, '', 'cache mounts are not in the image');
});

test('ONBUILD triggers run in the child build and are not inherited further', () => {
  const base = context('onbuild-base', {
    Containerfile: `FROM ${BASE}\nONBUILD COPY marker /from-trigger\nONBUILD RUN echo triggered > /triggered\n`,
  });
  box.ok(['build', '-q', '--format', 'docker', '-t', 'localhost/onbuild-base', base]);
  const [inspect] = JSON.parse(box.ok(['image', 'inspect', 'localhost/onbuild-base'])) as Array<{ Config: { OnBuild?: string[] } }>;
  assert.deepEqual(inspect!.Config.OnBuild, ['COPY marker /from-trigger', 'RUN echo triggered > /triggered']);
  const child = context('onbuild-child', { Containerfile: 'FROM localhost/onbuild-base\nCMD ["cat", "/from-trigger", "/triggered"]\n', marker: 'marked\n' });
  box.ok(['build', '-q', '-t', 'localhost/onbuild-child', child]);
  assert.equal(box.ok(['run', '--rm', 'localhost/onbuild-child']), 'marked\ntriggered\n');
  const [childInspect] = JSON.parse(box.ok(['image', 'inspect', 'localhost/onbuild-child'])) as Array<{ Config: { OnBuild?: string[] | null } }>;
  assert.ok(!childInspect!.Config.OnBuild?.length, 'the child does not carry the triggers');
});

test('a rebuild without changes uses the cache for every step; changing one copied file rebuilds from that step only', () => {
  const dir = context('cache', {
    Containerfile: `FROM ${BASE}\nENV A=1\nRUN echo first > /first\nCOPY one.txt /one.txt\nRUN cat /one.txt > /copy-of-one\nCOPY two.txt /two.txt\nCMD ["cat", "/copy-of-one"]\n`,
    'one.txt': 'one\n',
    'two.txt': 'two\n',
  });
  const first = box.ok(['build', '-t', 'localhost/cached', dir]);
  assert.doesNotMatch(first, /Using cache/);
  const id1 = first.trim().split('\n').pop()!;
  const second = box.ok(['build', '-t', 'localhost/cached', dir]);
  const steps = second.split('\n').filter((l) => /^STEP \d+\/7: /.test(l)).length;
  assert.equal(steps, 7);
  assert.equal((second.match(/--> Using cache [0-9a-f]{64}/g) ?? []).length, 6, 'every step after FROM from the cache');
  assert.equal(second.trim().split('\n').pop(), id1, 'the same image');
  writeFileSync(join(dir, 'one.txt'), 'changed\n');
  const third = box.ok(['build', '-t', 'localhost/cached', dir]);
  const cachedSteps = [...third.matchAll(/STEP (\d)\/7: [^\n]*\n--> Using cache/g)].map((m) => Number(m[1]));
  assert.deepEqual(cachedSteps, [2, 3], 'ENV and the first RUN come from the cache, nothing after the changed COPY');
  assert.equal(box.ok(['run', '--rm', 'localhost/cached']), 'changed\n');
  const noCache = box.ok(['build', '--no-cache', '-t', 'localhost/cached', dir]);
  assert.doesNotMatch(noCache, /Using cache/);
});

test('build errors: one line naming file and line, exit 125; a failing RUN exits with its code; nothing is left behind', () => {
  const bad = context('bad', { Containerfile: `FROM ${BASE}\nRUN true\nFOOBAR x\n` });
  let r = box.run(['build', bad]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: Containerfile:3: unknown instruction: FOOBAR\n$/);
  const noFrom = context('nofrom', { Containerfile: 'RUN true\n' });
  r = box.run(['build', noFrom]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /Containerfile:1: RUN before the first FROM/);
  const missing = context('missing', { Containerfile: `FROM ${BASE}\nCOPY nothere /x\n` });
  r = box.run(['build', missing]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /no source "nothere" in the build context/);
  const failing = context('failing', { Containerfile: `FROM ${BASE}\nRUN echo out; exit 3\n` });
  const before = box.ok(['images', '-a', '-q']).split('\n').filter(Boolean).length;
  r = box.run(['build', '-t', 'localhost/never', failing]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /Error: building at STEP "RUN echo out; exit 3": while running runtime: exit status 3/);
  assert.match(r.stdout, /^out$/m, 'the RUN output is shown');
  assert.equal(box.ok(['ps', '-a', '-q']), '', 'no working container is left');
  assert.equal(box.ok(['images', '-a', '-q']).split('\n').filter(Boolean).length, before, 'no image from the failed build');
  r = box.run(['build', '--target', 'nope', failing]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /no stage named "nope"/);
});

test('build inputs and outputs: -f -, a tar context on stdin, --target, --iidfile, --output, --squash-all, --layers=false', () => {
  const dir = context('io', {
    'Build.file': `FROM ${BASE} AS first\nRUN echo one > /one\nFROM first AS second\nRUN echo two > /two\nFROM ${BASE}\nCOPY --from=second /one /two /\n`,
    'extra.txt': 'extra\n',
  });
  const containerfile = readFileSync(join(dir, 'Build.file'), 'utf8');
  const iid = box.path('iid');
  const out = box.run(['build', '-q', '-f', '-', '--iidfile', iid, '-t', 'localhost/fromstdin', dir], { input: containerfile });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(readFileSync(iid, 'utf8'), `sha256:${out.stdout.trim()}`);
  assert.equal(box.ok(['run', '--rm', 'localhost/fromstdin', 'cat', '/one', '/two']), 'one\ntwo\n');

  const tar = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 << 20 }).stdout;
  const fromTar = box.run(['build', '-q', '-f', 'Build.file', '--target', 'first', '-t', 'localhost/fromtar', '-'], { input: tar });
  assert.equal(fromTar.code, 0, fromTar.stderr);
  assert.equal(box.run(['run', '--rm', 'localhost/fromtar', 'cat', '/two']).code, 1, '--target stops at the first stage');

  const exported = box.path('exported');
  box.ok(['build', '-q', '-f', join(dir, 'Build.file'), '--output', `type=local,dest=${exported}`, dir]);
  assert.equal(readFileSync(join(exported, 'two'), 'utf8'), 'two\n');
  assert.ok(existsSync(join(exported, 'bin', 'busybox')));
  const exportedTar = box.path('exported.tar');
  box.ok(['build', '-q', '-f', join(dir, 'Build.file'), '--output', `type=tar,dest=${exportedTar}`, dir]);
  const listed = spawnSync('tar', ['-tf', exportedTar], { encoding: 'utf8' }).stdout.split('\n');
  assert.ok(listed.includes('two') && listed.includes('bin/busybox'), `--output type=tar holds the files: ${listed.slice(0, 10).join(' ')}`);

  box.ok(['build', '-q', '--squash-all', '-f', join(dir, 'Build.file'), '-t', 'localhost/squashed', dir]);
  const layers = (ref: string) => (JSON.parse(box.ok(['image', 'inspect', ref])) as Array<{ RootFS: { Layers: string[] } }>)[0]!.RootFS.Layers.length;
  assert.equal(layers('localhost/squashed'), 1);
  const imagesBefore = box.ok(['images', '-a', '-q']).split('\n').filter(Boolean).length;
  box.ok(['build', '-q', '--layers=false', '-f', join(dir, 'Build.file'), '-t', 'localhost/nolayers', dir]);
  assert.equal(box.ok(['images', '-a', '-q']).split('\n').filter(Boolean).length, imagesBefore + 1, 'only the final image is kept');
  assert.equal(box.ok(['run', '--rm', 'localhost/nolayers', 'cat', '/one']), 'one\n');
});

test('RUN --mount=type=secret: the secret is readable during the step and in no layer', () => {
  const secretFile = box.path('secret.txt');
  writeFileSync(secretFile, 'TOP-SECRET-VALUE');
  const dir = context('secret', { Containerfile: `FROM ${BASE}\nRUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /len\n` });
  box.ok(['build', '-q', '--secret', `id=tok,src=${secretFile}`, '-t', 'localhost/secret', dir]);
  assert.equal(box.ok(['run', '--rm', 'localhost/secret', 'cat', '/len']).trim(), '16');
  const saved = box.path('secret-image.tar');
  box.ok(['save', '-o', saved, 'localhost/secret']);
  const listing = spawnSync('sh', ['-c', `mkdir -p ${box.path('unpacked')} && tar -C ${box.path('unpacked')} -xf ${saved} && for f in $(find ${box.path('unpacked')} -type f); do (tar -xOf $f 2>/dev/null || cat $f); done | grep -c TOP-SECRET-VALUE`], { encoding: 'utf8' });
  assert.equal(listing.stdout.trim(), '0', 'the secret is in no layer');
});

test('independent stages build side by side (--jobs), and their results meet in the final stage', () => {
  // Each builder stage waits (at most 20 s) for the other's marker in a shared cache mount:
  // the build can only succeed when both stages run at the same time.
  const id = `sync-${Date.now()}`;
  const wait = (mine: string, other: string) =>
    `RUN --mount=type=cache,target=/sync,id=${id} touch /sync/${mine} && for i in $(seq 200); do [ -e /sync/${other} ] && echo ${mine} > /${mine} && exit 0; sleep 0.1; done; exit 1`;
  const dir = context('parallel', {
    Containerfile: `FROM ${BASE} AS a\n${wait('a', 'b')}\nFROM ${BASE} AS b\n${wait('b', 'a')}\nFROM ${BASE}\nCOPY --from=a /a /a\nCOPY --from=b /b /b\nCMD ["cat", "/a", "/b"]\n`,
  });
  const r = box.run(['build', '--jobs', '2', '-t', 'localhost/parallel', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\[1\/3\] STEP 1\/2: FROM/);
  assert.equal(box.ok(['run', '--rm', 'localhost/parallel']), 'a\nb\n');
});

test('ADD fetches URLs from loopback only; --build-arg-file; --network none; .containerignore wins over .dockerignore', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.url === '/file.txt') {
      res.writeHead(200, { 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end('downloaded\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  try {
    const dir = context('url', {
      Containerfile: `FROM ${BASE}\nARG FROMFILE\nADD http://127.0.0.1:${port}/file.txt /fetched/\nRUN echo "$FROMFILE" > /arg && (wget -q -T 1 -O - http://127.0.0.1:${port}/file.txt > /net 2>&1; echo $? > /net-code)\nCOPY . /ctx/\n`,
      'args.env': '# a comment\nFROMFILE=from the file\n',
      'kept.txt': 'kept\n',
      'docker-only.txt': 'x\n',
      '.dockerignore': 'kept.txt\n',
      '.containerignore': 'docker-only.txt\nContainerfile\nargs.env\n.*ignore\n',
    });
    const r = await box.runAsync(['build', '-q', '--network', 'none', '--build-arg-file', join(dir, 'args.env'), '-t', 'localhost/url', dir]);
    assert.equal(r.code, 0, r.stderr);
    const cat = (p: string) => box.ok(['run', '--rm', 'localhost/url', 'cat', p]);
    assert.equal(cat('/fetched/file.txt'), 'downloaded\n');
    assert.equal(box.ok(['run', '--rm', 'localhost/url', 'stat', '-c', '%a %Y', '/fetched/file.txt']), `600 ${Date.parse('2015-10-21T07:28:00Z') / 1000}\n`);
    assert.equal(cat('/arg'), 'from the file\n');
    assert.notEqual(cat('/net-code').trim(), '0', 'RUN had no network');
    assert.equal(box.ok(['run', '--rm', 'localhost/url', 'ls', '/ctx']), 'kept.txt\n');
    const far = context('far', { Containerfile: `FROM ${BASE}\nADD http://192.0.2.1/x /x\n` });
    const refused = await box.runAsync(['build', far]);
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /host "192\.0\.2\.1" is not allowed to be fetched from/);
  } finally {
    server.close();
  }
});

test('a base image missing locally is pulled from its registry (--pull policies, --tls-verify)', async () => {
  const { startRegistry } = await import('./registry.js');
  const registry = await startRegistry();
  try {
    const pushed = box.run(['push', '-q', '--tls-verify=false', BASE, `${registry.host}/tspod/base:latest`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const dir = context('pulled', { Containerfile: `FROM ${registry.host}/tspod/base:latest\nRUN echo on a pulled base > /pulled\n` });
    const never = box.run(['build', '-q', '--pull=never', dir]);
    assert.equal(never.code, 125);
    assert.match(never.stderr, /no image ".*tspod\/base:latest" in local storage and --pull=never/);
    const r = box.run(['build', '--tls-verify=false', '-t', 'localhost/onpulled', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Copying blob/, 'pull progress is shown (plain lines when piped)');
    assert.equal(box.ok(['run', '--rm', 'localhost/onpulled', 'cat', '/pulled']), 'on a pulled base\n');
    assert.ok(box.ok(['images', '--format', '{{.Repository}}']).includes(`${registry.host}/tspod/base`));
  } finally {
    registry.stop();
  }
});

test('a build killed during RUN leaves no container in ps (only in ps --external), and the next build succeeds', async () => {
  const { spawn } = await import('node:child_process');
  const { TSPOD } = await import('./harness.js');
  const dir = context('killed', { Containerfile: `FROM ${BASE}\nRUN echo started && sleep 60\n` });
  const child = spawn(TSPOD, [...box.globalArgs, 'build', '-t', 'localhost/killed', dir], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('started\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`build ended before its RUN started: ${seen}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('close', resolve));
  assert.equal(box.ok(['ps', '-a', '-q']), '', 'the working container is not a user container');
  const external = box.ok(['ps', '-a', '-q', '--external']).split('\n').filter(Boolean);
  assert.equal(external.length, 1, 'ps --external shows the working container');
  box.ok(['rm', '-f', '-t', '0', external[0]!]);
  writeFileSync(join(dir, 'Containerfile'), `FROM ${BASE}\nRUN echo finished > /done\n`);
  box.ok(['build', '-q', '-t', 'localhost/killed', dir]);
  assert.equal(box.ok(['run', '--rm', 'localhost/killed', 'cat', '/done']), 'finished\n');
});

test('--label and --annotation: labels in the config, annotations in the OCI manifest, also when the steps are cached', () => {
  const dir = context('annotated', { Containerfile: `FROM ${BASE}\nLABEL from.file=yes\n` });
  box.ok(['build', '-q', '-t', 'localhost/annotated', dir]);
  box.ok(['build', '-q', '--label', 'from.flag=0', '-t', 'localhost/annotated', dir]);
  const labelOnly = JSON.parse(box.ok(['image', 'inspect', 'localhost/annotated'])) as Array<{ Labels: Record<string, string> }>;
  assert.equal(labelOnly[0]!.Labels['from.flag'], '0', 'a --label reaches the image even when every step is cached');
  box.ok(['build', '-q', '--label', 'from.flag=1', '--annotation', 'org.example.note=hello', '-t', 'localhost/annotated', dir]);
  const [inspect] = JSON.parse(box.ok(['image', 'inspect', 'localhost/annotated'])) as Array<{ Labels: Record<string, string>; Annotations: Record<string, string> }>;
  assert.equal(inspect!.Labels['from.file'], 'yes');
  assert.equal(inspect!.Labels['from.flag'], '1');
  assert.equal(inspect!.Annotations['org.example.note'], 'hello');
});

test('FROM --platform takes a local image of that platform, and refuses the host\'s image for another platform', () => {
  const rootfs = box.path('armfake.tar');
  writeFileSync(box.path('armfake-file'), 'arm\n');
  spawnSync('tar', ['-cf', rootfs, '-C', box.dir, 'armfake-file']);
  box.ok(['import', '--arch', 'arm64', rootfs, 'localhost/armfake:1']);
  const arm = context('platform-arm', { Containerfile: 'FROM --platform=linux/arm64 localhost/armfake:1\nCOPY Containerfile /copied\n' });
  const built = box.run(['build', '-q', '--pull=never', '-t', 'localhost/platform-ok', arm]);
  assert.equal(built.code, 0, built.stderr);
  assert.equal(box.ok(['image', 'inspect', '--format', '{{.Architecture}}', 'localhost/platform-ok']), 'arm64\n');

  const host = context('platform-host', { Containerfile: `FROM --platform=linux/arm64 ${BASE}\nCOPY Containerfile /copied\n` });
  const refused = box.run(['build', '-q', '--pull=never', '-t', 'localhost/platform-refused', host]);
  assert.equal(refused.code, 125);
  assert.match(refused.stderr, /Containerfile:1: no image "localhost\/tspod-test\/busybox:latest" for linux\/arm64 in local storage and --pull=never/);
  assert.equal(box.run(['image', 'exists', 'localhost/platform-refused']).code, 1);

  const bad = context('platform-bad', { Containerfile: `FROM --platform=arm64 ${BASE}\n` });
  const invalid = box.run(['build', '-q', bad]);
  assert.equal(invalid.code, 125);
  assert.match(invalid.stderr, /invalid FROM --platform "arm64": use os\/arch\[\/variant\]/);
});
