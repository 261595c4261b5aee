/**
 * The libpod API (`/v4.x.x/libpod/...`): Podman 4.3's own remote client
 * (`podman --remote`) against the service, and the JSON shapes, status codes
 * and streams it relies on, checked over raw HTTP.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http, { request as httpRequest } from 'node:http';
import { Sandbox, fixturesDir } from './harness.js';
import { ApiService } from './api-harness.js';
import { buildFixtures, type FixtureSet } from '../fixtures/images.js';

const box = new Sandbox('api-libpod');
const api = new ApiService(box);
let fx: FixtureSet;
let image: string;
const V = '/v4.3.1/libpod';

// spawnSync (the podman client) blocks this process's event loop past the service's keep-alive
// timeout; a pooled connection the service closed meanwhile would then fail the next request.
http.globalAgent = new http.Agent({ keepAlive: false });

before(async () => {
  fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
  image = fx.busybox.refName;
  await api.start();
});

after(async () => {
  await api.stop();
  box.cleanup();
});

/** Podman 4.3's remote client, with its own empty config, pointed at the service. */
function podman(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('podman', ['--remote', '--url', api.url, ...args], {
    input,
    env: { ...process.env, CONTAINERS_CONF: '/dev/null', XDG_CONFIG_HOME: box.path('podman-config') },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A request whose body streams: the raw frames of logs, attach and exec. */
function rawRequest(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      { socketPath: api.socket, method, path, headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function frames(buf: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out.push([buf[i]!, buf.subarray(i + 8, i + 8 + size).toString()]);
    i += 8 + size;
  }
  return out;
}

const hasPodman = spawnSync('podman', ['--version']).status === 0;

test('podman --remote runs containers, exec and logs through the service', { skip: !hasPodman && 'podman is not installed' }, () => {
  const run = podman(['run', '--rm', image, 'sh', '-c', 'echo from podman; exit 4']);
  assert.deepEqual([run.code, run.stdout], [4, 'from podman\n'], run.stderr);
  const piped = podman(['run', '--rm', '-i', image, 'cat'], 'through stdin\n');
  assert.deepEqual([piped.code, piped.stdout], [0, 'through stdin\n'], piped.stderr);
  const id = podman(['run', '-d', '--name', 'pd', image, 'sh', '-c', 'echo logged; exec sleep 1000']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const exec = podman(['exec', '-i', 'pd', 'sh', '-c', 'cat; echo to-err >&2; exit 6'], 'exec stdin\n');
  assert.deepEqual([exec.code, exec.stdout, exec.stderr], [6, 'exec stdin\n', 'to-err\n']);
  assert.equal(podman(['logs', 'pd']).stdout, 'logged\n');
  assert.equal(podman(['inspect', '--format', '{{.Id}} {{.State.Status}}', 'pd']).stdout, `${id} running\n`);
  assert.match(podman(['ps']).stdout, new RegExp(`^CONTAINER ID .*\\n${id.slice(0, 12)}  ${image.replace(/[/.]/g, '\\$&')} +sh -c echo logged\\.\\.\\. .* Up .* pd\\n$`));
  assert.equal(podman(['stop', '-t', '0', 'pd']).code, 0);
  assert.equal(podman(['rm', 'pd']).stdout, 'pd\n');
  const missing = podman(['rm', 'pd']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no container with name or ID "pd" found: no such container/);
});

test('podman --remote manages images, pods, volumes, networks and secrets', { skip: !hasPodman && 'podman is not installed' }, () => {
  assert.match(podman(['images']).stdout, new RegExp(`\\n${image.split(':')[0]!.replace(/[/.]/g, '\\$&')} +latest +${fx.busybox.configDigest.slice(7, 19)} `));
  assert.equal(podman(['tag', image, 'localhost/other:v1']).code, 0);
  assert.equal(podman(['image', 'exists', 'localhost/other:v1']).code, 0);
  assert.equal(podman(['untag', 'localhost/other:v1', 'localhost/other:v1']).code, 0);
  assert.equal(podman(['image', 'exists', 'localhost/other:v1']).code, 1);
  assert.match(podman(['history', image]).stdout, /^ID +CREATED +CREATED BY +SIZE +COMMENT\n/);
  const pod = podman(['pod', 'create', '--name', 'pp']);
  assert.equal(pod.code, 0, pod.stderr);
  assert.match(podman(['pod', 'ps']).stdout, /\n[0-9a-f]{12} +pp +Created /);
  assert.equal(podman(['pod', 'rm', 'pp']).stdout, `${pod.stdout.trim()}\n`);
  assert.equal(podman(['volume', 'create', 'vv']).stdout, 'vv\n');
  assert.match(podman(['volume', 'inspect', 'vv']).stdout, /"Name": "vv"/);
  assert.equal(podman(['volume', 'rm', 'vv']).stdout, 'vv\n');
  assert.equal(podman(['network', 'create', 'nn']).stdout, 'nn\n');
  assert.match(podman(['network', 'ls', '--format', '{{.Name}}']).stdout, /^nn\n/m);
  assert.equal(podman(['network', 'rm', 'nn']).stdout, 'nn\n');
  writeFileSync(box.path('secret.txt'), 'sekrit');
  const secret = podman(['secret', 'create', 'ss', box.path('secret.txt')]);
  assert.equal(secret.code, 0, secret.stderr);
  assert.match(podman(['secret', 'ls', '--format', '{{.Name}}']).stdout, /^ss$/m);
  assert.equal(podman(['secret', 'rm', 'ss']).code, 0);
  assert.match(podman(['info', '--format', '{{.Host.Arch}}']).stdout, /^(amd64|arm64)\n$/);
});

test('podman --remote build sends its context and reads the steps and the id', { skip: !hasPodman && 'podman is not installed' }, () => {
  const dir = box.path('podman-build');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Containerfile'), `FROM ${image}\nCOPY note.txt /note.txt\nRUN cat /note.txt\n`);
  writeFileSync(join(dir, 'note.txt'), 'built by podman --remote\n');
  const r = podman(['build', '-t', 'localhost/podman-built:1', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^STEP 1\/3: FROM .*\nSTEP 2\/3: COPY note.txt \/note.txt\n--> [0-9a-f]{11}\nSTEP 3\/3: RUN cat \/note.txt\nbuilt by podman --remote\nCOMMIT localhost\/podman-built:1\n--> [0-9a-f]{11}\nSuccessfully tagged localhost\/podman-built:1\n[0-9a-f]{64}\n$/);
  assert.equal(podman(['run', '--rm', 'localhost/podman-built:1', 'cat', '/note.txt']).stdout, 'built by podman --remote\n');
  writeFileSync(join(dir, 'Containerfile.hosts'), `FROM ${image}\nRUN grep -w extra.example /etc/hosts && df -k /dev/shm | tail -n 1\n`);
  const hosts = podman(['build', '--add-host', 'extra.example:10.11.12.13', '--shm-size', '16m', '-f', join(dir, 'Containerfile.hosts'), dir]);
  assert.equal(hosts.code, 0, hosts.stderr);
  assert.match(hosts.stdout, /^10\.11\.12\.13\s+extra\.example$/m);
  assert.match(hosts.stdout, /^\S+\s+16384\s+\d+\s+\d+\s+\d+%\s+\/dev\/shm$/m);
});

test('container list, inspect and create answer in the libpod shapes', async () => {
  const bad = await api.request('POST', `${V}/containers/create`, { image, command: 'echo not a list' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'field command must be a list of strings');
  const noImage = await api.request('POST', `${V}/containers/create`, { command: ['true'] });
  assert.deepEqual([noImage.status, noImage.json.message], [400, 'field image: an image name is required']);
  const malformed = await api.request('POST', `${V}/containers/create`, '{"image": ');
  assert.equal(malformed.status, 400);

  const created = await api.request('POST', `${V}/containers/create`, {
    image,
    name: 'shaped',
    command: ['sh', '-c', 'echo out; echo err >&2; exit 2'],
    labels: { k: 'v' },
    env: { GREETING: 'hi' },
    netns: { nsmode: 'none' },
    unknown_field: 'ignored',
  });
  assert.equal(created.status, 201);
  assert.deepEqual(Object.keys(created.json), ['Id', 'Warnings']);
  const id: string = created.json.Id;
  const list = await api.request('GET', `${V}/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ label: ['k=v'] }))}`);
  assert.equal(list.status, 200);
  assert.equal(list.json.length, 1);
  assert.equal(list.json[0].Id, id);
  assert.deepEqual(list.json[0].Names, ['shaped']);
  assert.match(list.json[0].Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(list.json[0].State, 'created');
  const inspect = await api.request('GET', `${V}/containers/shaped/json`);
  assert.equal(inspect.json.Id, id);
  assert.ok(inspect.json.Config.Env.includes('GREETING=hi'));
  assert.equal((await api.request('GET', `${V}/containers/shaped/exists`)).status, 204);
  const gone = await api.request('GET', `${V}/containers/nothing-here/exists`);
  assert.equal(gone.status, 404);

  assert.equal((await api.request('POST', `${V}/containers/shaped/start`)).status, 204);
  const wait = await api.request('POST', `${V}/containers/shaped/wait?condition=exited&condition=stopped`);
  assert.deepEqual([wait.status, wait.json], [200, 2]);
  const logs = await rawRequest('GET', `${V}/containers/shaped/logs?stdout=true&stderr=true`);
  assert.deepEqual(frames(logs.body), [
    [1, 'out\n'],
    [2, 'err\n'],
  ]);
  const removed = await api.request('DELETE', `${V}/containers/shaped`);
  assert.deepEqual(removed.json, [{ Id: id, Err: null, RawInput: 'shaped' }]);
  const again = await api.request('DELETE', `${V}/containers/shaped`);
  assert.equal(again.status, 404);
  assert.deepEqual(Object.keys(again.json).slice(0, 3), ['cause', 'message', 'response']);
  assert.equal(again.json.response, 404);
});

test('exec sessions: create, start on the connection, then the exit code', async () => {
  const created = await api.request('POST', `${V}/containers/create`, { image, name: 'execd', command: ['sleep', '1000'], netns: { nsmode: 'none' } });
  assert.equal(created.status, 201);
  assert.equal((await api.request('POST', `${V}/containers/execd/start`)).status, 204);
  try {
    const session = await api.request('POST', `${V}/containers/execd/exec`, { Cmd: ['sh', '-c', 'echo $X; echo e >&2; exit 9'], Env: ['X=from-env'], AttachStdout: true, AttachStderr: true });
    assert.equal(session.status, 201);
    const started = await rawRequest('POST', `${V}/exec/${session.json.Id}/start`, { Detach: false, Tty: false });
    assert.equal(started.status, 200);
    // Two pipes: stdout and stderr keep their own order, not one between them.
    const got = frames(started.body);
    assert.deepEqual(got.filter(([s]) => s === 1), [[1, 'from-env\n']]);
    assert.deepEqual(got.filter(([s]) => s === 2), [[2, 'e\n']]);
    const info = await api.request('GET', `${V}/exec/${session.json.Id}/json`);
    assert.equal(info.json.ExitCode, 9);
    assert.equal(info.json.Running, false);
    assert.equal((await api.request('GET', `${V}/exec/no-such-session/json`)).status, 404);

    // Detached: inspect has the process's pid on the host while it runs, its exit code after.
    const detached = await api.request('POST', `${V}/containers/execd/exec`, { Cmd: ['sleep', '986'] });
    assert.equal((await api.request('POST', `${V}/exec/${detached.json.Id}/start`, { Detach: true })).status, 200);
    const inspect = async () => (await api.request('GET', `${V}/exec/${detached.json.Id}/json`)).json;
    // Polls the session's real state for at most 10 s.
    const poll = async (done: (info: any) => boolean) => {
      let info = await inspect();
      for (const deadline = Date.now() + 10_000; !done(info) && Date.now() < deadline; info = await inspect()) await new Promise((r) => setTimeout(r, 25));
      return info;
    };
    const running = await poll((info) => info.Running && info.Pid > 0);
    assert.equal(running.Running, true);
    assert.equal(readFileSync(`/proc/${running.Pid}/cmdline`, 'utf8'), 'sleep\x00986\x00');
    process.kill(running.Pid, 'SIGTERM');
    const ended = await poll((info) => !info.Running);
    assert.deepEqual([ended.Running, ended.ExitCode, ended.Pid], [false, 143, 0]);
  } finally {
    await api.request('DELETE', `${V}/containers/execd?force=true&timeout=0`);
  }
  const stopped = await api.request('POST', `${V}/containers/create`, { image, name: 'idle', command: ['true'] });
  const refused = await api.request('POST', `${V}/containers/idle/exec`, { Cmd: ['true'] });
  assert.equal(refused.status, 409);
  assert.match(refused.json.message, /can only create exec sessions on running containers/);
  await api.request('DELETE', `${V}/containers/${stopped.json.Id}`);
});

test('exec sessions are one store: created through either API family, inspected, started and resized through the other', async () => {
  const created = await api.request('POST', `${V}/containers/create`, { image, name: 'shared-exec', command: ['sleep', '1000'], netns: { nsmode: 'none' } });
  assert.equal(created.status, 201);
  const id = created.json.Id as string;
  assert.equal((await api.request('POST', `${V}/containers/${id}/start`)).status, 204);
  try {
    const fromLibpod = await api.request('POST', `${V}/containers/shared-exec/exec`, { Cmd: ['sh', '-c', 'echo via-docker; exit 4'], AttachStdout: true });
    assert.equal(fromLibpod.status, 201);
    const fromDocker = await api.request('POST', `/v1.44/containers/${id}/exec`, { Cmd: ['sh', '-c', 'echo via-libpod >&2; exit 5'], AttachStdout: true, AttachStderr: true });
    assert.equal(fromDocker.status, 201);
    // Both inspects list both sessions while they are not over.
    const both = [fromLibpod.json.Id, fromDocker.json.Id].sort();
    assert.deepEqual([...(await api.request('GET', `/v1.44/containers/${id}/json`)).json.ExecIDs].sort(), both);
    assert.deepEqual([...(await api.request('GET', `${V}/containers/${id}/json`)).json.ExecIDs].sort(), both);

    // libpod create -> Docker inspect, resize and start; libpod inspect of the exit code.
    const before = await api.request('GET', `/v1.44/exec/${fromLibpod.json.Id}/json`);
    assert.equal(before.status, 200);
    assert.deepEqual([before.json.ContainerID, before.json.Running, before.json.ExitCode], [id, false, null]);
    assert.deepEqual([before.json.ProcessConfig.entrypoint, before.json.ProcessConfig.arguments], ['sh', ['-c', 'echo via-docker; exit 4']]);
    assert.equal((await api.request('POST', `/v1.44/exec/${fromLibpod.json.Id}/resize?h=30&w=100`)).status, 201);
    const started = await rawRequest('POST', `/v1.44/exec/${fromLibpod.json.Id}/start`, { Detach: false, Tty: false });
    assert.equal(started.status, 200);
    assert.deepEqual(frames(started.body), [[1, 'via-docker\n']]);
    const afterLibpod = await api.request('GET', `${V}/exec/${fromLibpod.json.Id}/json`);
    assert.deepEqual([afterLibpod.json.Running, afterLibpod.json.ExitCode], [false, 4]);
    // Started through one family, it cannot be started again through the other.
    assert.equal((await api.request('POST', `${V}/exec/${fromLibpod.json.Id}/start`, { Detach: true })).status, 409);

    // Docker create -> libpod inspect and start; Docker inspect of the exit code.
    const inLibpod = await api.request('GET', `${V}/exec/${fromDocker.json.Id}/json`);
    assert.equal(inLibpod.status, 200);
    assert.deepEqual([inLibpod.json.ID, inLibpod.json.ContainerID, inLibpod.json.Running, inLibpod.json.ProcessConfig.entrypoint], [fromDocker.json.Id, id, false, 'sh']);
    const startedLibpod = await rawRequest('POST', `${V}/exec/${fromDocker.json.Id}/start`, { Detach: false });
    assert.equal(startedLibpod.status, 200);
    assert.deepEqual(frames(startedLibpod.body), [[2, 'via-libpod\n']]);
    assert.equal((await api.request('GET', `/v1.44/exec/${fromDocker.json.Id}/json`)).json.ExitCode, 5);
    // Finished sessions leave the container's list (as Docker's) but stay inspectable.
    assert.equal((await api.request('GET', `/v1.44/containers/${id}/json`)).json.ExecIDs, null);
    assert.deepEqual((await api.request('GET', `${V}/containers/${id}/json`)).json.ExecIDs, []);
  } finally {
    await api.request('DELETE', `${V}/containers/${id}?force=true&timeout=0`);
  }
});

test('images: json, per-name routes with slashes, tag and remove reports', async () => {
  const list = await api.request('GET', `${V}/images/json`);
  const entry = list.json.find((i: { RepoTags: string[] }) => i.RepoTags.includes(image));
  assert.equal(entry.Id, fx.busybox.configDigest.slice(7));
  assert.equal(typeof entry.Created, 'number');
  const inspect = await api.request('GET', `${V}/images/${image}/json`);
  assert.equal(inspect.json.Id, entry.Id);
  assert.equal((await api.request('GET', `${V}/images/${image}/exists`)).status, 204);
  assert.equal((await api.request('GET', `${V}/images/localhost/nope:1/exists`)).status, 404);
  assert.equal((await api.request('POST', `${V}/images/${image}/tag?repo=localhost:5000/a/b&tag=c`)).status, 201);
  const history = await api.request('GET', `${V}/images/localhost:5000/a/b:c/history`);
  assert.equal(history.json[0].Id, entry.Id);
  const removed = await api.request('DELETE', `${V}/images/remove?images=localhost:5000/a/b:c`);
  assert.deepEqual(removed.json.Untagged, ['localhost:5000/a/b:c']);
  assert.deepEqual(removed.json.Errors, []);
  const missing = await api.request('DELETE', `${V}/images/remove?images=localhost/missing:1`);
  assert.equal(missing.json.Errors.length, 1);
  assert.match(missing.json.Errors[0], /image not known/);
});

test('pods, generate kube, system df and the events stream', async () => {
  const pod = await api.request('POST', `${V}/pods/create`, { name: 'kubed', labels: { app: 'x' } });
  assert.equal(pod.status, 201);
  const pods = await api.request('GET', `${V}/pods/json`);
  assert.equal(pods.json.find((p: { Name: string }) => p.Name === 'kubed').Id, pod.json.Id);
  const member = await api.request('POST', `${V}/containers/create`, { image, name: 'kubed-app', pod: 'kubed', command: ['sleep', '1000'] });
  assert.equal(member.status, 201, member.body.toString());
  const kube = await api.request('GET', `${V}/generate/kube?names=kubed`);
  assert.equal(kube.status, 200);
  assert.match(kube.body.toString(), /kind: Pod\n[\s\S]*name: kubed\n/);
  const started = await api.request('POST', `${V}/pods/kubed/start`);
  assert.deepEqual([started.status, started.json.Id, started.json.Errs], [200, pod.json.Id, []]);
  const since = (Date.now() / 1000 - 60).toFixed(3);
  const removed = await api.request('DELETE', `${V}/pods/kubed?force=true&timeout=0`);
  assert.equal(removed.json.Id, pod.json.Id);
  const df = await api.request('GET', `${V}/system/df`);
  assert.ok(Array.isArray(df.json.Images) && typeof df.json.ImagesSize === 'number');
  const events = await rawRequest('GET', `${V}/events?stream=false&since=${since}&filters=${encodeURIComponent(JSON.stringify({ type: ['pod'] }))}`);
  const lines = events.body.toString().trim().split('\n');
  const last = JSON.parse(lines.at(-1)!);
  assert.equal(last.Type, 'pod');
  assert.equal(last.Action, 'remove');
  assert.equal(last.Actor.ID, pod.json.Id);
  assert.equal(last.Actor.Attributes.name, 'kubed');
  // timeNano is the exact integer, beyond a double's precision.
  assert.match(lines.at(-1)!, /"timeNano":\d{19}[,}]/);
});

test('a client leaving a log follow or an attach before the start does not take the service down', async () => {
  const created = await api.request('POST', `${V}/containers/create`, { image, name: 'chatty', command: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'], netns: { nsmode: 'none' } });
  assert.equal(created.status, 201);
  assert.equal((await api.request('POST', `${V}/containers/chatty/start`)).status, 204);
  try {
    for (const path of [`${V}/containers/chatty/logs?follow=true&stdout=true`]) {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ socketPath: api.socket, path }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
        req.end();
      });
    }
    const idle = await api.request('POST', `${V}/containers/create`, { image, name: 'never-attached', command: ['true'], netns: { nsmode: 'none' } });
    await new Promise<void>((resolve) => {
      const req = httpRequest({ socketPath: api.socket, method: 'POST', path: `${V}/containers/never-attached/attach?stream=true&stdout=true`, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
      req.on('upgrade', (_res, socket) => {
        socket.destroy();
        resolve();
      });
      req.end();
    });
    // Whether or not the start still finds the attach that went away, the container runs and ends.
    assert.equal((await api.request('POST', `${V}/containers/never-attached/start`)).status, 204);
    assert.equal((await api.request('POST', `${V}/containers/never-attached/wait?condition=exited&condition=stopped`)).json, 0);
    await api.request('DELETE', `${V}/containers/${idle.json.Id}`);
    const ping = await api.request('GET', '/_ping');
    assert.equal(ping.status, 200);
  } finally {
    await api.request('DELETE', `${V}/containers/chatty?force=true&timeout=0`);
  }
});

