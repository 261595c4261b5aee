/**
 * Remote mode: the same commands, run locally and through a `system service`
 * over the same storage (CONTAINER_HOST, --url, --connection, -r), must print
 * the same things and exit the same way. Ids, times and addresses are
 * normalised; everything else is compared as the user sees it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Sandbox, TSPOD, fixturesDir, freePort, type RunResult } from './harness.js';
import { ApiService } from './api-harness.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';
import { createRemoteEngine } from '../../src/client/engine.js';
import { NoSuchContainerError, NoSuchPathError } from '../../src/util/errors.js';

const box = new Sandbox('remote');
const api = new ApiService(box);
let fx: FixtureSet;
let registry: TestRegistry;
let image: string;

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  image = fx.busybox.refName;
  [registry] = await Promise.all([startRegistry(), api.start()]);
  box.ok(['push', '--tls-verify=false', image, `${registry.host}/remote/busybox:latest`]);
  // The pod infra image exists before either session, so both list the same images.
  box.ok(['pod', 'create', '--name', 'warm-up']);
  box.ok(['pod', 'rm', 'warm-up']);
});

after(async () => {
  await api.stop();
  registry?.stop();
  box.cleanup();
});

type Mode = 'local' | 'remote';

function run(mode: Mode, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const env = { ...box.env, ...(mode === 'remote' ? { CONTAINER_HOST: api.url } : {}), ...opts.env };
  const r = spawnSync(TSPOD, [...box.globalArgs, ...args], { env, input: opts.input, maxBuffer: 1 << 26, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** What differs between two runs of the same thing: ids, times, addresses, pids, column widths. */
function normalise(text: string): string {
  return text
    .replace(/sha256:[0-9a-f]{64}/g, '<DIGEST>')
    .replace(/\b[0-9a-f]{64}\b/g, '<ID>')
    .replace(/\b[0-9a-f]{12}\b/g, '<ID12>')
    .replace(/^--> [0-9a-f]{11}$/gm, '--> <ID11>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?( ?[+-]\d\d:?\d\d( [A-Z]+)?| \+0000 UTC|Z)?/g, '<TIME>')
    .replace(/\b(\d+|About an?|Less than a) (second|minute|hour)s? ago\b/g, '<AGO>')
    .replace(/\bUp (\d+|About an?|Less than a) (second|minute|hour)s?\b/g, 'Up <DUR>')
    .replace(/\b10\.\d+\.\d+\.\d+\b/g, '<IP>')
    .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, '<MAC>')
    .replace(/"(Pid|ConmonPid|PID)": \d+/g, '"$1": <PID>')
    .replace(/"(Created|StartedAt|ExitedAt)": \d{6,}/g, '"$1": <UNIX>')
    .replace(/\/run\/netns\/tspod-[0-9a-f]+/g, '/run/netns/<NS>')
    .replace(/ {2,}/g, '  ');
}

/** Runs the steps in one mode; the transcript is what a user saw, normalised. */
function transcript(mode: Mode, steps: Array<string[] | { args: string[]; input?: string }>): string {
  return steps
    .map((step) => {
      const { args, input } = Array.isArray(step) ? { args: step, input: undefined } : step;
      const r = run(mode, args, { input });
      return normalise(`$ tspod ${args.join(' ')}\n[exit ${r.code}]\n${r.stdout}${r.stderr ? `[stderr]\n${r.stderr}` : ''}`);
    })
    .join('\n');
}

function same(steps: Array<string[] | { args: string[]; input?: string }>): { local: string; remote: string } {
  const local = transcript('local', steps);
  const remote = transcript('remote', steps);
  if (process.env.TSPOD_REMOTE_DUMP) {
    writeFileSync(`${process.env.TSPOD_REMOTE_DUMP}.local`, local);
    writeFileSync(`${process.env.TSPOD_REMOTE_DUMP}.remote`, remote);
  }
  assert.equal(remote, local);
  return { local, remote };
}

test('a session of everyday commands prints the same locally and through the service', () => {
  const since = new Date().toISOString();
  const { local } = same([
    ['images'],
    ['ps', '-a'],
    ['run', '--rm', image, 'echo', 'hello from a container'],
    ['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2; exit 7'],
    { args: ['run', '--rm', '-i', image, 'wc', '-l'], input: 'one\ntwo\nthree\n' },
    ['run', '-d', '--name', 'web', '--label', 'role=test', image, 'sh', '-c', 'echo started; echo warn >&2; exec sleep 1000'],
    ['logs', 'web'],
    ['exec', 'web', 'sh', '-c', 'echo $((6*7)); echo to-stderr >&2; exit 3'],
    { args: ['exec', '-i', 'web', 'cat'], input: 'piped through exec\n' },
    ['exec', 'web', 'no-such-command'],
    ['inspect', 'web'],
    ['inspect', '--format', '{{.Name}} {{.State.Status}} {{.Config.Cmd}} {{.Config.Labels}}', 'web'],
    ['ps', '-a'],
    ['ps', '-a', '--format', 'json'],
    ['ps', '--filter', 'label=role=test', '--format', '{{.Names}} {{.Status}}'],
    ['pause', 'web'],
    ['unpause', 'web'],
    ['stop', '-t', '1', 'web'],
    ['wait', 'web'],
    ['start', 'web'],
    ['kill', 'web'],
    ['rm', '-f', 'web'],
    ['rm', 'web'],
    ['stop', 'no-such-container'],
    ['inspect', 'no-such-container'],
    ['pod', 'create', '--name', 'pod1', '--label', 'app=x'],
    ['pod', 'ps'],
    ['pod', 'inspect', 'pod1', '--format', '{{.Name}} {{.State}} {{.NumContainers}}'],
    ['run', '-d', '--pod', 'pod1', '--name', 'member', image, 'sleep', '1000'],
    ['pod', 'ps', '--format', '{{.Name}} {{.Status}} {{.NumberOfContainers}}'],
    ['pod', 'stop', '-t', '1', 'pod1'],
    ['pod', 'rm', 'pod1'],
    ['pod', 'rm', 'pod1'],
    ['volume', 'create', '--label', 'k=v', 'vol1'],
    ['volume', 'ls'],
    ['volume', 'inspect', 'vol1'],
    ['volume', 'rm', 'vol1'],
    ['volume', 'rm', 'vol1'],
    ['network', 'create', '--subnet', '10.231.7.0/24', 'net1'],
    ['network', 'ls', '--format', '{{.Name}} {{.Driver}}'],
    ['network', 'inspect', 'net1'],
    ['network', 'rm', 'net1'],
    ['secret', 'create', 'sec1', '-'],
    ['pull', '--tls-verify=false', `${registry.host}/remote/busybox:latest`],
    ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'],
    ['image', 'inspect', '--format', '{{.Id}} {{.RepoTags}}', `${registry.host}/remote/busybox:latest`],
    ['history', image],
    ['rmi', `${registry.host}/remote/busybox:latest`],
    ['rmi', 'no-such-image'],
  ]);
  // The session did what it says (not only the same thing twice).
  assert.match(local, /hello from a container/);
  assert.match(local, /\$ tspod exec web sh -c .*\n\[exit 3\]\n42\n\[stderr\]\nto-stderr/);
  assert.match(local, /tspod run --rm -i .* wc -l\n\[exit 0\]\n3\n/);
  assert.match(local, /tspod stop no-such-container\n\[exit 125\]\n\[stderr\]\nError: no container with name or ID "no-such-container" found: no such container\n/);
  const until = new Date().toISOString();
  // Both sessions' events, read back both ways.
  const events = ['events', '--since', since, '--until', until];
  const localEvents = run('local', events);
  const remoteEvents = run('remote', events);
  assert.equal(localEvents.code, 0, localEvents.stderr);
  assert.equal(remoteEvents.stdout, localEvents.stdout);
  assert.match(localEvents.stdout, /container died .* containerExitCode=7/);
  const json = ['events', '--since', since, '--until', until, '--format', 'json', '--filter', 'type=pod'];
  assert.equal(run('remote', json).stdout, run('local', json).stdout);
});

test('builds, terminals, kube play, cp and pod logs print the same through the service', () => {
  const ctxDir = box.path('build-context');
  mkdirSync(ctxDir, { recursive: true });
  writeFileSync(join(ctxDir, 'Containerfile'), `FROM ${image}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo to-stderr >&2\nLABEL built=yes\n`);
  writeFileSync(join(ctxDir, 'hello.txt'), 'hello from the context\n');
  writeFileSync(join(ctxDir, '.dockerignore'), 'secret.txt\n');
  writeFileSync(join(ctxDir, 'secret.txt'), 'left out\n');
  const kubeFile = box.path('pod.yaml');
  writeFileSync(
    kubeFile,
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubepod\nspec:\n  containers:\n  - name: app\n    image: ${image}\n    command: ["sh", "-c", "echo kube says hi; sleep 1000"]\n`,
  );
  const { local } = same([
    ['build', '--no-cache', '-t', 'localhost/built:1', ctxDir],
    ['run', '--rm', 'localhost/built:1', 'sh', '-c', 'cat /hello.txt; ls /secret.txt'],
    ['image', 'inspect', '--format', '{{.Labels}}', 'localhost/built:1'],
    ['rmi', 'localhost/built:1'],
    ['build', '-f', join(ctxDir, 'Containerfile'), '--no-cache', '-q', ctxDir],
    ['run', '--rm', '-t', image, 'sh', '-c', 'echo on a terminal; tty >/dev/null && echo yes'],
    ['kube', 'play', kubeFile],
    ['pod', 'logs', 'kubepod'],
    ['kube', 'down', kubeFile],
    ['run', '-d', '--name', 'files', image, 'sh', '-c', 'echo inside > /file.txt; exec sleep 1000'],
    { args: ['cp', '-', 'files:/tmp'], input: tarOf('from-host.txt', 'sent in\n') },
    ['exec', 'files', 'cat', '/tmp/from-host.txt'],
    ['rm', '-f', '-t', '0', 'files'],
  ]);
  assert.match(local, /STEP 3\/4: RUN cat \/hello.txt && echo to-stderr >&2\nhello from the context\n/);
  assert.match(local, /\[exit 1\]\nhello from the context\n\[stderr\]\nls: \/secret.txt: No such file or directory/);
  assert.match(local, /on a terminal\r\nyes\r\n/);
  assert.match(local, /kube says hi/);
  assert.match(local, /tspod exec files cat \/tmp\/from-host.txt\n\[exit 0\]\nsent in\n/);
  for (const r of [run('local', ['rmi', '-a', '-f'])]) assert.equal(r.code, 0, r.stderr);
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});

test('attach, healthcheck, disk usage and rename print the same through the service', () => {
  const { local } = same([
    ['run', '-d', '-i', '--name', 'talk', image, 'sh', '-c', 'read x; echo got $x; exit 3'],
    { args: ['attach', 'talk'], input: 'hello\n' },
    ['rename', 'talk', 'talked'],
    ['ps', '-a', '--format', '{{.Names}} {{.Status}}'],
    ['container', 'exists', 'talk'],
    ['container', 'exists', 'talked'],
    ['rm', 'talked'],
    ['run', '-d', '--name', 'checked', '--health-cmd', 'test -e /etc/passwd', image, 'sleep', '1000'],
    ['healthcheck', 'run', 'checked'],
    ['inspect', '--format', '{{.State.Health.Status}}', 'checked'],
    ['system', 'df'],
    ['rm', '-f', '-t', '0', 'checked'],
    ['container', 'prune', '-f'],
  ]);
  assert.match(local, /tspod attach talk\n\[exit 3\]\ngot hello\n/);
  assert.match(local, /tspod container exists talk\n\[exit 1\]/);
});

/** A one-file tar archive (for `cp -`), as a latin1 string spawnSync can pass on stdin. */
function tarOf(name: string, content: string): string {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body, Buffer.alloc(1024)]).toString('latin1');
}

test('--url, --connection, CONTAINER_CONNECTION and -r with a default connection reach the service', () => {
  const conf = box.path('containers-connections.conf');
  writeFileSync(conf, '');
  const env = { ...box.env, CONTAINERS_CONF: conf };
  const local = run('local', ['ps', '-a', '--format', '{{.Names}}']).stdout;
  const viaUrl = spawnSync(TSPOD, ['--url', api.url, 'ps', '-a', '--format', '{{.Names}}'], { env }).stdout.toString();
  assert.equal(viaUrl, local);
  assert.equal(spawnSync(TSPOD, ['system', 'connection', 'add', 'svc', api.url], { env }).status, 0);
  assert.equal(spawnSync(TSPOD, ['system', 'connection', 'add', 'elsewhere', 'tcp://127.0.0.1:1'], { env }).status, 0);
  const list = spawnSync(TSPOD, ['system', 'connection', 'ls'], { env }).stdout.toString();
  assert.match(list, /^Name +URI +Identity +Default\n/);
  assert.match(list, new RegExp(`\\nsvc +${api.url.replace(/[/.]/g, '\\$&')} +true\\n`));
  for (const args of [['--connection', 'svc'], ['-r']]) {
    const r = spawnSync(TSPOD, [...args, 'images', '--format', '{{.ID}}'], { env });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), run('local', ['images', '--format', '{{.ID}}']).stdout);
  }
  const viaEnv = spawnSync(TSPOD, ['images', '-q'], { env: { ...env, CONTAINER_CONNECTION: 'svc' } });
  assert.equal(viaEnv.stdout.toString(), run('local', ['images', '-q']).stdout);
  const missing = spawnSync(TSPOD, ['--connection', 'nope', 'images'], { env });
  assert.equal(missing.status, 125);
  assert.equal(missing.stderr.toString(), 'Error: failed to resolve active destination: "nope" service destination not found: add it with tspod system connection add\n');
  const unreachable = spawnSync(TSPOD, ['-c', 'elsewhere', 'ps'], { env });
  assert.equal(unreachable.status, 125);
  assert.match(unreachable.stderr.toString(), /^Error: unable to connect to the tspod service at tcp:\/\/127\.0\.0\.1:1: .*\n$/);
  assert.equal(spawnSync(TSPOD, ['system', 'connection', 'default', 'elsewhere'], { env }).status, 0);
  assert.equal(spawnSync(TSPOD, ['system', 'connection', 'rename', 'elsewhere', 'gone'], { env }).status, 0);
  assert.equal(spawnSync(TSPOD, ['system', 'connection', 'rm', 'gone'], { env }).status, 0);
  const json = JSON.parse(spawnSync(TSPOD, ['system', 'connection', 'list', '--format', 'json'], { env }).stdout.toString());
  assert.deepEqual(json, [{ Name: 'svc', URI: api.url, Identity: '', IsMachine: false, Default: false }]);
});

test('ssh:// goes through the system ssh client forwarding the service socket', async () => {
  // No sshd here: a stand-in `ssh` first in PATH does what `ssh -N -L local:remote host` does, and logs how it was called.
  const bin = box.path('fake-ssh-bin');
  mkdirSync(bin, { recursive: true });
  const log = box.path('fake-ssh.log');
  writeFileSync(
    join(bin, 'ssh'),
    `#!${process.execPath}
const net = require('node:net');
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, args }) + '\\n');
const [local, remote] = args[args.indexOf('-L') + 1].split(':');
net.createServer((c) => { const u = net.connect(remote); c.pipe(u); u.pipe(c); c.on('error', () => {}); u.on('error', () => {}); }).listen(local);
`,
    { mode: 0o755 },
  );
  const env = { ...box.env, PATH: `${bin}:${process.env.PATH}` };
  const url = `ssh://root@localhost:2222${api.socket}`;
  const r = spawnSync(TSPOD, ['--url', url, '--identity', '/keys/id_test', 'images', '--format', '{{.ID}} {{.Repository}}'], { env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), run('local', ['images', '--format', '{{.ID}} {{.Repository}}']).stdout);
  const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; args: string[] });
  assert.equal(calls.length, 1);
  const { pid, args } = calls[0]!;
  assert.deepEqual(args.slice(0, 2), ['-N', '-o']);
  assert.ok(args.includes('-p') && args[args.indexOf('-p') + 1] === '2222');
  assert.equal(args[args.indexOf('-i') + 1], '/keys/id_test');
  assert.match(args[args.indexOf('-L') + 1]!, new RegExp(`^/.*/api\\.sock:${api.socket.replace(/[/.]/g, '\\$&')}$`));
  assert.equal(args.at(-1), 'root@localhost');
  // The tunnel ends with the command.
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(alive(pid), false);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a tcp:// service answers the same as the unix one', async () => {
  const port = await freePort();
  const child = spawn(TSPOD, [...box.globalArgs, 'system', 'service', '--time', '0', `tcp://127.0.0.1:${port}`], { env: box.env, stdio: 'ignore' });
  try {
    const url = `tcp://127.0.0.1:${port}`;
    let r: RunResult | undefined;
    for (let i = 0; i < 100; i++) {
      r = run('local', ['--url', url, 'images', '--format', '{{.ID}} {{.Repository}}']);
      if (r.code === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(r?.stdout, run('local', ['images', '--format', '{{.ID}} {{.Repository}}']).stdout);
    const out = run('local', ['--url', url, 'run', '--rm', image, 'echo', 'over tcp']);
    assert.deepEqual([out.code, out.stdout], [0, 'over tcp\n']);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

test('streams through the service: logs -f and events -f follow, stats and top answer', async () => {
  const id = run('remote', ['run', '-d', image, 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done']).stdout.trim();
  const follow = run('remote', ['logs', '-f', id]);
  assert.equal(follow.stdout, 'line 1\nline 2\nline 3\n');
  run('remote', ['rm', id]);

  const events = spawn(TSPOD, [...box.globalArgs, 'events', '--since', new Date().toISOString(), '--format', '{{.Type}} {{.Status}} {{.Name}}', '--filter', 'type=volume'], {
    env: { ...box.env, CONTAINER_HOST: api.url },
  });
  let seen = '';
  const created = new Promise<void>((resolve) =>
    events.stdout.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('volume create streamed')) resolve();
    }),
  );
  // Created until the follower (started just before) prints it.
  const make = setInterval(() => {
    if (!seen) run('local', ['volume', 'create', '--ignore', 'streamed']);
  }, 300);
  await created;
  clearInterval(make);
  const ended = new Promise((resolve) => events.once('exit', resolve));
  events.kill('SIGINT');
  await ended;
  assert.match(seen, /^volume create streamed\n/);
  run('local', ['volume', 'rm', 'streamed']);

  run('remote', ['run', '-d', '--name', 'busy', image, 'sleep', '1000']);
  const stats = run('remote', ['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'busy']);
  assert.deepEqual([stats.code, stats.stdout], [0, 'busy 1\n'], stats.stderr);
  // exec -t through the service: the process gets a terminal (its \r\n line ends) and its exit code comes back.
  const tty = run('remote', ['exec', '-t', 'busy', 'sh', '-c', 'tty >/dev/null && echo on a pty; exit 4']);
  assert.deepEqual([tty.code, tty.stdout], [4, 'on a pty\r\n'], tty.stderr);
  const top = run('remote', ['top', 'busy', 'args']);
  assert.equal(top.stdout, run('local', ['top', 'busy', 'args']).stdout);
  run('local', ['rm', '-f', '-t', '0', 'busy']);
});

test('login checks the registry from the client and writes the client\'s auth file; logout removes it', async () => {
  const secure = await startRegistry({ tls: true, auth: true });
  try {
    const authFile = box.path('remote-auth.json');
    const login = (password: string) => run('remote', ['login', '--cert-dir', secure.certDir!, '--authfile', authFile, '-u', secure.user!, '-p', password, secure.host]);
    const refused = login('wrong');
    assert.equal(refused.code, 125);
    assert.match(refused.stderr, /^Error: logging in to "127\.0\.0\.1:\d+": invalid username\/password/);
    const ok = login(secure.password!);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'Login Succeeded!\n');
    const stored = JSON.parse(readFileSync(authFile, 'utf8'));
    assert.equal(Buffer.from(stored.auths[secure.host].auth, 'base64').toString(), `${secure.user}:${secure.password}`);
    assert.equal(run('remote', ['login', '--authfile', authFile, '--get-login', secure.host]).stdout, `${secure.user}\n`);
    const out = run('remote', ['logout', '--authfile', authFile, secure.host]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, `Removed login credentials for ${secure.host}\n`);
    assert.deepEqual(JSON.parse(readFileSync(authFile, 'utf8')).auths, {});
  } finally {
    secure.stop();
  }
});

test('the remote engine stats container paths with HEAD /archive, and names the default network', async () => {
  run('local', ['run', '-d', '--name', 'statted', image, 'sh', '-c', 'mkdir /d && ln -s /d /link && echo 12345 > /d/f && exec sleep 1000']);
  const engine = createRemoteEngine(api.url);
  try {
    for (let i = 0; i < 100 && run('local', ['exec', 'statted', 'test', '-e', '/link']).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    const file = await engine.containers.stat('statted', '/d/f');
    assert.deepEqual([file.name, file.size, file.mode & 0o170000, file.linkTarget], ['f', 6, 0o100000, '']);
    assert.match(file.mtime, /^\d{4}-\d\d-\d\dT/);
    const dir = await engine.containers.stat('statted', '/d');
    assert.equal(dir.mode & 0o170000, 0o040000);
    const link = await engine.containers.stat('statted', '/link');
    assert.deepEqual([link.mode & 0o170000, link.linkTarget], [0o120000, '/d']);
    await assert.rejects(engine.containers.stat('statted', '/no/such'), (e: Error) => e instanceof NoSuchPathError && /"\/no\/such" could not be found/.test(e.message));
    await assert.rejects(engine.containers.stat('no-such-container', '/'), (e: Error) => e instanceof NoSuchContainerError);
    assert.equal(await engine.networks.defaultName(), 'podman');
  } finally {
    engine.close();
    run('local', ['rm', '-f', '-t', '0', 'statted']);
  }
});

test('what cannot go through the API yet is refused in one line naming it', () => {
  run('local', ['run', '-d', '--name', 'stay', image, 'sleep', '1000']);
  try {
    for (const [args, what] of [
      [['mount', 'stay'], 'container mount'],
      [['system', 'reset', '-f'], 'system reset'],
      [['network', 'reload', 'stay'], 'network reload'],
    ] as const) {
      const r = run('remote', [...args]);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^Error: ${what} is not available in remote mode yet: [^\\n]+\\n$`));
    }
  } finally {
    run('local', ['rm', '-f', '-t', '0', 'stay']);
  }
});

test('system service refuses to run in remote mode', () => {
  mkdirSync(box.path('x'), { recursive: true });
  const r = run('remote', ['system', 'service', '--time', '1', `unix://${box.path('x', 'no.sock')}`]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: system service serves the engine of this machine: it cannot run in remote mode/);
});
