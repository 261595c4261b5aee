/**
 * The Docker API's container and exec routes, driven by real clients: the
 * docker CLI (28.2, API 1.44) and dockerode, against a `tspod system service`
 * over a Sandbox with the busybox fixture loaded.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Sandbox, fixturesDir, freePort, httpGet } from './harness.js';
import { ApiService } from './api-harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('api-containers');
const api = new ApiService(box);
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  await api.start();
});

after(async () => {
  await api.stop();
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function docker(args: string[], opts: { input?: string; timeout?: number } = {}): Result {
  const r = spawnSync('docker', args, { env: api.clientEnv, input: opts.input, timeout: opts.timeout ?? 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function dockerOk(args: string[], opts: { input?: string } = {}): string {
  const r = docker(args, opts);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Runs a docker command on a terminal of its own (script(1) gives it a pty of 24x80). Its input
 * stays open until it is done: at the end of its input script would type the terminal's EOF
 * character into the session.
 */
function dockerOnTty(command: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `stty rows 24 cols 80; ${command}`, '/dev/null'], { env: api.clientEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** A POST answered by `101 UPGRADED`: the raw connection, what came out of it so far, and its end. */
function hijacked(path: string, body: unknown): Promise<{ socket: Socket; output(): string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpRequest({
      socketPath: api.socket,
      method: 'POST',
      path,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    req.on('upgrade', (res, socket, head) => {
      if (res.statusCode !== 101) return reject(new Error(`status ${res.statusCode}`));
      const chunks: Buffer[] = [head];
      socket.on('data', (d: Buffer) => chunks.push(d));
      const ended = new Promise<void>((done) => socket.once('end', () => done()));
      resolve({ socket, output: () => Buffer.concat(chunks).toString(), ended });
    });
    req.on('response', (res) => reject(new Error(`not upgraded: ${res.statusCode}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** How many files a process watches through inotify (the `inotify wd:` lines of its inotify fds). */
function inotifyWatches(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      count += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

/** Waits for a condition on real state; fails after a bound. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('docker run', { timeout: 120_000 }, () => {
  test('prints the output and exits with the container code; --rm removes it', () => {
    const hi = docker(['run', '--rm', IMG, 'echo', 'hi']);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, 'hi\n');
    const three = docker(['run', '--rm', '--name', 'three', IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(three.code, 3, three.stderr);
    assert.equal(three.stdout, 'out\n');
    assert.equal(three.stderr, 'err\n');
    assert.equal(dockerOk(['ps', '-aq', '--filter', 'name=three']), '');
  });

  test('-i passes stdin, -it gives a terminal', async () => {
    const piped = docker(['run', '--rm', '-i', IMG, 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'line one\nline two\ndone\n');
    const tty = await dockerOnTty(`docker run -it --rm ${IMG} sh -c 'tty; stty size; exit 2'`);
    assert.equal(tty.code, 2, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\/dev\/pts\/\d+\r\n24 80\r\n/);
  });

  test('containers made by the tspod CLI are seen by the service at once', () => {
    box.ok(['create', '--name', 'fromcli', '-l', 'origin=cli', IMG, 'true']);
    assert.equal(dockerOk(['ps', '-a', '--filter', 'label=origin=cli', '--format', '{{.Names}} {{.State}}']), 'fromcli created\n');
    assert.equal(dockerOk(['start', '-a', 'fromcli']), '');
    assert.match(box.ok(['ps', '-a', '--filter', 'name=fromcli', '--format', '{{.Status}}']), /^Exited \(0\)/);
    box.ok(['rm', 'fromcli']);
    assert.equal(dockerOk(['ps', '-aq', '--filter', 'label=origin=cli']), '');
  });

  test('a listed container that another process renames, starts or removes is listed as it is now', () => {
    box.ok(['create', '--name', 'resting', '-l', 'origin=resting', IMG, 'sh', '-c', 'exit 3']);
    const row = () => dockerOk(['ps', '-a', '--filter', 'label=origin=resting', '--format', '{{.Names}} {{.State}} {{.Status}}']);
    // Twice, so the second answer comes from what the service kept of the first.
    assert.equal(row(), 'resting created Created\n');
    assert.equal(row(), 'resting created Created\n');
    box.ok(['rename', 'resting', 'renamed']);
    assert.equal(row(), 'renamed created Created\n');
    assert.equal(box.run(['start', '-a', 'renamed']).code, 3);
    assert.match(row(), /^renamed exited Exited \(3\) /);
    box.ok(['rm', 'renamed']);
    assert.equal(row(), '');
  });

  test('an image that is not there is a 404 the CLI reports', () => {
    const r = docker(['create', '--pull', 'never', 'localhost/no/such-image']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No such image: localhost\/no\/such-image/);
  });
});

describe('a detached container', { timeout: 180_000 }, () => {
  let port: number;
  let id: string;

  before(async () => {
    port = await freePort();
    id = dockerOk([
      'run', '-d', '--name', 'web', '-l', 'tier=front', '-p', `127.0.0.1:${port}:80`, IMG,
      'sh', '-c', 'mkdir -p /www && echo served > /www/index.html && exec httpd -f -p 80 -h /www',
    ]).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
  });

  test('answers on its published port from the host', async () => {
    let answer: { status: number; body: string } | undefined;
    for (let i = 0; i < 100 && answer?.status !== 200; i++) {
      answer = await httpGet(port).catch(() => undefined);
      if (answer?.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(answer?.status, 200);
    assert.equal(answer?.body, 'served\n');
  });

  test('docker ps lists it, with its port; filters by label and status', () => {
    const ps = dockerOk(['ps', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Ports}} {{.Status}}']);
    assert.match(ps, new RegExp(`^${id.slice(0, 12)} web ${IMG}(:latest)? 127\\.0\\.0\\.1:${port}->80/tcp Up `, 'm'));
    assert.equal(dockerOk(['ps', '-a', '--filter', 'label=tier=front', '--format', '{{.Names}}']), 'web\n');
    assert.equal(dockerOk(['ps', '-a', '--filter', 'label=tier=back', '--format', '{{.Names}}']), '');
    assert.equal(dockerOk(['ps', '-a', '--filter', 'status=running', '--filter', 'name=^web$', '--format', '{{.Names}}']), 'web\n');
    assert.equal(dockerOk(['ps', '--filter', 'name=^/web$', '--format', '{{.Names}}']), 'web\n');
    assert.equal(dockerOk(['ps', '--filter', 'status=exited', '--filter', 'name=^/web$', '--format', '{{.Names}}']), '');
  });

  test('docker inspect shows Docker\'s shape', () => {
    const [info] = JSON.parse(dockerOk(['inspect', 'web']));
    assert.equal(info.Id, id);
    assert.equal(info.Name, '/web');
    assert.equal(info.State.Status, 'running');
    assert.equal(info.State.Running, true);
    assert.ok(info.State.Pid > 0);
    assert.match(info.State.StartedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.match(info.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.match(info.Image, /^sha256:[0-9a-f]{64}$/);
    assert.match(info.Config.Image, /^localhost\/tspod-test\/busybox/);
    assert.deepEqual(info.Config.Labels, { tier: 'front' });
    assert.equal(info.Config.Cmd[0], 'sh');
    assert.deepEqual(info.NetworkSettings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
    assert.deepEqual(info.HostConfig.PortBindings['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
    assert.equal(info.HostConfig.RestartPolicy.Name, 'no');
    const networks = Object.values(info.NetworkSettings.Networks) as Array<{ IPAddress: string }>;
    assert.equal(networks.length, 1);
    assert.match(networks[0]!.IPAddress, /^10\.\d+\.\d+\.\d+$/);
    assert.deepEqual(info.Mounts, []);
  });

  test('docker exec runs commands, with stdin, exit codes and a terminal', async () => {
    assert.equal(dockerOk(['exec', 'web', 'cat', '/etc/hostname']), `${id.slice(0, 12)}\n`);
    assert.equal(dockerOk(['exec', '-i', 'web', 'cat'], { input: 'through stdin\n' }), 'through stdin\n');
    assert.equal(docker(['exec', 'web', 'sh', '-c', 'exit 7']).code, 7);
    assert.equal(dockerOk(['exec', 'web', 'seq', '1', '100000']).split('\n').filter(Boolean).length, 100000);
    const tty = await dockerOnTty("docker exec -it web sh -c 'tty; stty size; exit 6'");
    assert.equal(tty.code, 6, tty.stdout + tty.stderr);
    assert.match(tty.stdout, /\/dev\/pts\/\d+\r\n24 80\r\n/);
    const detached = docker(['exec', '-d', 'web', 'touch', '/tmp/from-detached-exec']);
    assert.equal(detached.code, 0, detached.stderr);
  });

  test('exec over the raw API: a hijacked tty session takes resizes, and inspect has its exit code', async () => {
    const created = await api.request('POST', '/v1.44/containers/web/exec', {
      Cmd: ['sh', '-c', 'stty size; read line; stty size; echo "got $line"; exit 3'],
      Tty: true,
      AttachStdin: true,
      AttachStdout: true,
    });
    assert.equal(created.status, 201, created.body.toString());
    const execId = created.json.Id as string;
    const session = await hijacked(`/v1.44/exec/${execId}/start`, { Detach: false, Tty: true, ConsoleSize: [24, 80] });
    await until('the first size', () => session.output().includes('24 80'));
    const running = await api.request('GET', `/v1.44/exec/${execId}/json`);
    assert.equal(running.json.Running, true);
    // The process on the host (conmon runs a terminal session): its command line is the exec's.
    assert.match(readFileSync(`/proc/${running.json.Pid}/cmdline`, 'utf8'), /^sh\0-c\0stty size; read line/);
    const resized = await api.request('POST', `/v1.44/exec/${execId}/resize?h=40&w=120`);
    assert.equal(resized.status, 201);
    session.socket.write('hello\n');
    await session.ended;
    assert.match(session.output(), /24 80\r\n.*hello\r\n40 120\r\ngot hello\r\n$/s);
    const inspected = await api.request('GET', `/v1.44/exec/${execId}/json`);
    assert.equal(inspected.json.Running, false);
    assert.equal(inspected.json.ExitCode, 3);
    assert.equal(inspected.json.ContainerID, id);
    assert.equal((await api.request('GET', '/v1.44/exec/nosuchexec/json')).status, 404);
  });

  test('a detached exec reports its pid while it runs, and its exit code after', async () => {
    const created = await api.request('POST', '/v1.44/containers/web/exec', { Cmd: ['sleep', '987'] });
    const execId = created.json.Id as string;
    assert.equal((await api.request('POST', `/v1.44/exec/${execId}/start`, { Detach: true })).status, 200);
    const inspect = async () => (await api.request('GET', `/v1.44/exec/${execId}/json`)).json;
    let info = await inspect();
    await until('the exec to run', async () => (info = await inspect()).Running && info.Pid > 0);
    assert.equal(readFileSync(`/proc/${info.Pid}/cmdline`, 'utf8'), 'sleep\x00987\x00');
    process.kill(info.Pid, 'SIGTERM');
    await until('the exec to end', async () => !(info = await inspect()).Running);
    assert.equal(info.Running, false);
    assert.equal(info.ExitCode, 143);
    assert.equal(info.Pid, 0);
  });

  test('docker cp copies both ways', () => {
    const dir = box.path('cp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'to-container.txt'), 'host to container\n');
    dockerOk(['cp', join(dir, 'to-container.txt'), 'web:/tmp/']);
    assert.equal(dockerOk(['exec', 'web', 'cat', '/tmp/to-container.txt']), 'host to container\n');
    dockerOk(['exec', 'web', 'sh', '-c', 'mkdir -p /out/sub && echo container to host > /out/sub/f.txt']);
    dockerOk(['cp', 'web:/out', join(dir, 'copied')]);
    assert.equal(readFileSync(join(dir, 'copied', 'sub', 'f.txt'), 'utf8'), 'container to host\n');
    const missing = docker(['cp', 'web:/no/such/file', dir]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /could not be found|No such/i);
  });

  test('docker stats --no-stream and docker top show its process', () => {
    const stats = dockerOk(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.MemUsage}}', 'web']);
    assert.match(stats, /^web [1-9]\d* \d+(\.\d+)?[KMG]iB \/ /);
    const top = dockerOk(['top', 'web']);
    assert.match(top.split('\n')[0]!, /PID/);
    assert.match(top, /httpd -f -p 80/);
  });

  test('docker stop and docker rm end it', () => {
    dockerOk(['stop', '-t', '1', 'web']);
    const [info] = JSON.parse(dockerOk(['inspect', 'web']));
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.Running, false);
    assert.match(dockerOk(['ps', '-a', '--filter', 'name=^web$', '--format', '{{.Status}}']), /^Exited \(\d+\) /);
    dockerOk(['rm', 'web']);
    assert.equal(docker(['inspect', 'web']).code, 1);
  });
});

describe('logs and wait', { timeout: 120_000 }, () => {
  test('docker logs splits stdout from stderr; logs -f ends when the container exits', () => {
    dockerOk(['run', '-d', '--name', 'talker', IMG, 'sh', '-c', 'echo out1; echo err1 >&2; sleep 1; echo out2; exit 0']);
    const followed = docker(['logs', '-f', 'talker'], { timeout: 30_000 });
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'out1\nout2\n');
    assert.equal(followed.stderr, 'err1\n');
    const tail = docker(['logs', '--tail', '1', 'talker']);
    assert.equal(tail.stdout + tail.stderr, 'out2\n');
    dockerOk(['rm', 'talker']);
  });

  test('a large output arrives whole through logs and attach', () => {
    const lines = (text: string) => text.split('\n').filter(Boolean);
    dockerOk(['run', '-d', '--name', 'chatty', IMG, 'seq', '1', '100000']);
    assert.equal(dockerOk(['wait', 'chatty']), '0\n');
    const logged = lines(dockerOk(['logs', 'chatty']));
    assert.equal(logged.length, 100000);
    assert.equal(logged.at(-1), '100000');
    assert.equal(lines(dockerOk(['start', '-a', 'chatty'])).length, 100000);
    dockerOk(['rm', 'chatty']);
  });

  test('docker stop -s and docker restart -s send the given signal instead of the stop signal', async () => {
    // sh as PID 1 ignores SIGTERM: only the trapped SIGUSR1 ends it with code 0 (SIGKILL would be 137).
    dockerOk(['run', '-d', '--name', 'trapper', IMG, 'sh', '-c', 'trap "echo got USR1; exit 0" USR1; echo ready; while true; do sleep 0.1; done']);
    const count = (text: string, line: string) => text.split('\n').filter((l) => l === line).length;
    await until('the trap to be set', () => count(dockerOk(['logs', 'trapper']), 'ready') === 1);
    const started = Date.now();
    dockerOk(['stop', '-s', 'SIGUSR1', '-t', '20', 'trapper']);
    assert.ok(Date.now() - started < 15_000, 'stopped by the signal, not by the SIGKILL after the timeout');
    assert.equal(JSON.parse(dockerOk(['inspect', 'trapper']))[0].State.ExitCode, 0);
    assert.equal(count(dockerOk(['logs', 'trapper']), 'got USR1'), 1);

    dockerOk(['start', 'trapper']);
    await until('the trap to be set again', () => count(dockerOk(['logs', 'trapper']), 'ready') === 2);
    dockerOk(['restart', '-s', 'USR1', '-t', '20', 'trapper']);
    assert.equal(count(dockerOk(['logs', 'trapper']), 'got USR1'), 2);
    assert.equal(JSON.parse(dockerOk(['inspect', 'trapper']))[0].State.Running, true);
    const bad = docker(['stop', '-s', 'SIGNOPE', 'trapper']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid signal/);
    dockerOk(['rm', '-f', 'trapper']);
  });

  test('docker wait prints the exit code', () => {
    dockerOk(['run', '-d', '--name', 'waited', IMG, 'sh', '-c', 'sleep 0.5; exit 5']);
    assert.equal(dockerOk(['wait', 'waited']), '5\n');
    dockerOk(['rm', 'waited']);
  });

  test('a client killed during logs -f leaves the service answering, and its stream stopped', async () => {
    dockerOk(['run', '-d', '--name', 'ticker', IMG, 'sh', '-c', 'while true; do echo tick; sleep 0.1; done']);
    const before = inotifyWatches(api.pid!);
    for (let round = 0; round < 5; round++) {
      const child = spawn('docker', ['logs', '-f', 'ticker'], { env: api.clientEnv, stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    const ping = await api.request('GET', '/_ping');
    assert.equal(ping.status, 200);
    // Each follow watches the log file and the exit file while it runs: released with its client.
    await until('the followers\' watches to be released', () => inotifyWatches(api.pid!) <= before);
    assert.equal(dockerOk(['exec', 'ticker', 'echo', 'still fine']), 'still fine\n');
    dockerOk(['rm', '-f', 'ticker']);
  });
});

describe('request bodies', { timeout: 60_000 }, () => {
  test('malformed JSON and a field of the wrong type are 400s naming the problem; 20 MB is a 413', async () => {
    const malformed = await api.request('POST', '/v1.44/containers/create', '{"Image": ');
    assert.equal(malformed.status, 400);
    assert.match(malformed.json.message, /malformed JSON/);
    const wrongType = await api.request('POST', '/v1.44/containers/create', { Image: IMG, HostConfig: { Memory: '1g' } });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.message, /HostConfig\.Memory must be an integer/);
    const wrongEnv = await api.request('POST', '/v1.44/containers/create', { Image: IMG, Env: 'A=1' });
    assert.equal(wrongEnv.status, 400);
    assert.match(wrongEnv.json.message, /Env must be a list of strings/);
    const huge = await api.request('POST', '/v1.44/containers/create', Buffer.alloc(20 * 1024 * 1024, 0x20));
    assert.equal(huge.status, 413);
    const none = await api.request('POST', '/v1.44/containers/create', { Image: 'localhost/no/such-image' });
    assert.equal(none.status, 404);
    assert.equal(none.json.message, 'No such image: localhost/no/such-image');
    assert.equal((await api.request('GET', '/v1.44/containers/json')).status, 200);
  });

  test('the create body becomes the container: env, workdir, user, binds, restart policy, resources', async () => {
    const dir = box.path('bound');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'in.txt'), 'bound file\n');
    const created = await api.request('POST', '/v1.44/containers/create?name=shaped', {
      Image: IMG,
      Cmd: ['sh', '-c', 'echo $GREETING; pwd; id -u; cat /data/in.txt; cat /proc/sys/net/ipv4/ip_forward'],
      Env: ['GREETING=hello'],
      WorkingDir: '/tmp',
      User: '1:1',
      Labels: { made: 'by-api' },
      HostConfig: {
        Binds: [`${dir}:/data:ro`, `${dir}/made-by-create:/made`],
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
        Memory: 64 * 1024 * 1024,
        NanoCpus: 500_000_000,
        Sysctls: { 'net.ipv4.ip_forward': '1' },
      },
    });
    assert.equal(created.status, 201, created.body.toString());
    assert.ok(statSync(join(dir, 'made-by-create')).isDirectory(), 'a missing bind source is made, as Docker does');
    const started = await api.request('POST', '/v1.44/containers/shaped/start');
    assert.equal(started.status, 204, started.body.toString());
    const waited = await api.request('POST', '/v1.44/containers/shaped/wait');
    assert.equal(waited.json.StatusCode, 0);
    assert.equal(dockerOk(['logs', 'shaped']), 'hello\n/tmp\n1\nbound file\n1\n');
    const [info] = JSON.parse(dockerOk(['inspect', 'shaped']));
    assert.deepEqual(info.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(info.HostConfig.NanoCpus, 500_000_000);
    assert.deepEqual(info.Config.Labels, { made: 'by-api' });
    assert.deepEqual(info.Mounts.map((m: { Source: string; Destination: string; RW: boolean }) => [m.Source, m.Destination, m.RW]), [
      [dir, '/data', false],
      [join(dir, 'made-by-create'), '/made', true],
    ]);
    dockerOk(['rm', 'shaped']);
  });
});

describe('dockerode', { timeout: 60_000 }, () => {
  test('creates, starts, waits for and reads the logs of a container', async () => {
    const client = new Docker({ socketPath: api.socket });
    const container = await client.createContainer({ Image: IMG, Cmd: ['sh', '-c', 'echo from dockerode; echo to stderr >&2; exit 9'], Labels: { client: 'dockerode' } });
    await container.start();
    const result = await container.wait();
    assert.equal(result.StatusCode, 9);
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    // The multiplexed framing: stream byte, three zeros, big-endian length, then the line.
    const frames: Array<[number, string]> = [];
    for (let at = 0; at < logs.length; ) {
      const size = logs.readUInt32BE(at + 4);
      frames.push([logs[at]!, logs.subarray(at + 8, at + 8 + size).toString()]);
      at += 8 + size;
    }
    assert.deepEqual(frames, [[1, 'from dockerode\n'], [2, 'to stderr\n']]);
    const listed = await client.listContainers({ all: true, filters: { label: ['client=dockerode'] } });
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.State, 'exited');
    assert.equal(listed[0]!.Id, container.id);
    await container.remove();
  });
});
