import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Sandbox, TSPOD, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('events');
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => box.cleanup());

/** Starts `tspod events ARGS` and collects its stdout lines; `until` resolves once pred holds (or rejects at the deadline). */
function follow(args: string[]) {
  const child = spawn(TSPOD, [...box.globalArgs, 'events', ...args], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    partial += d.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    lines,
    exited,
    until(pred: (lines: string[]) => boolean, ms = 20_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; got:\n${lines.join('\n')}`)), ms);
        const check = () => {
          if (pred(lines)) {
            clearTimeout(timer);
            resolve();
          }
        };
        waiters.push(check);
        check();
      });
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

test('a streaming events shows the lifecycle of a run --rm done by another process, in order', async () => {
  const f = follow(['-f']);
  try {
    const run = box.run(['run', '--rm', '--name', 'ev-rm', IMG, 'sh', '-c', 'exit 3']);
    assert.equal(run.code, 3);
    await f.until((lines) => lines.some((l) => / container remove .* name=ev-rm/.test(l)));
    const mine = f.lines.filter((l) => l.includes('name=ev-rm'));
    const actions = mine.map((l) => / container (\S+) /.exec(l)![1]);
    assert.deepEqual(actions, ['create', 'init', 'attach', 'start', 'died', 'cleanup', 'remove']);
    assert.match(mine[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC container create [0-9a-f]{64} \(image=localhost\/tspod-test\/busybox:latest, name=ev-rm\)$/);
    assert.match(mine[4]!, /containerExitCode=3\)$/);
  } finally {
    await f.stop();
  }
});

test('--stream=false prints the stored events and exits; filters of one key OR, of different keys AND', () => {
  box.ok(['create', '--name', 'ev-a', IMG, 'true']);
  box.ok(['create', '--name', 'ev-b', IMG, 'true']);
  box.ok(['rm', 'ev-a', 'ev-b']);
  const fmt = ['--format', '{{.Name}} {{.Status}}'];
  assert.equal(box.ok(['events', '--stream=false', ...fmt, '-f', 'container=ev-a', '-f', 'container=ev-b']), 'ev-a create\nev-b create\nev-a remove\nev-b remove\n');
  assert.equal(box.ok(['events', '--stream=false', ...fmt, '-f', 'container=ev-a', '-f', 'event=remove']), 'ev-a remove\n');
  assert.equal(box.ok(['system', 'events', '--stream=false', ...fmt, '--filter', 'type=image', '-f', 'event=create']), '');
  const r = box.run(['events', '--stream=false', '-f', 'colour=blue']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: invalid filter "colour=blue": /);
});

test('json format and --since/--until', () => {
  const lines = box.ok(['events', '--stream=false', '--format', 'json', '-f', 'event=died']).trim().split('\n');
  const died = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(died.ContainerExitCode, 3);
  assert.equal(died.Name, 'ev-rm');
  assert.equal(died.Status, 'died');
  assert.equal(died.Type, 'container');
  assert.match(died.Time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(box.ok(['events', '--stream=false', '--since', '2999-01-01T00:00:00Z']), '');
  assert.equal(box.ok(['events', '--stream=false', '--until', '2000-01-01T00:00:00Z']), '');
  // A duration counts back from now in whole seconds, as Podman's does: `--until 0s` would leave out
  // events of the current second, which may be all of them. A date later than now leaves out none.
  const later = new Date(Date.now() + 60_000).toISOString();
  assert.match(box.ok(['events', '--stream=false', '--since', '1h', '--until', later]), / container died [0-9a-f]{64} \(.*name=ev-rm/);
});

test('streaming with --until stops at that time', async () => {
  const until = new Date(Date.now() + 1500).toISOString();
  const f = follow(['--until', until]);
  const code = await Promise.race([f.exited, new Promise<number>((r) => setTimeout(() => r(-2), 20_000))]);
  if (code === -2) await f.stop();
  assert.equal(code, 0);
});

test('concurrent writers never produce a broken line', async () => {
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => box.runAsync(['network', 'create', `evnet${i}`])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  await Promise.all(Array.from({ length: 6 }, (_, i) => box.runAsync(['network', 'rm', `evnet${i}`])));
  const journal = readFileSync(box.path('run', 'tspod', 'events', 'events.log'), 'utf8');
  for (const line of journal.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
  const names = box.ok(['events', '--stream=false', '-f', 'type=network', '--format', '{{.Status}} {{.Name}}']).trim().split('\n');
  assert.equal(names.filter((l) => l.startsWith('create evnet')).length, 6);
  assert.equal(names.filter((l) => l.startsWith('remove evnet')).length, 6);
});

test('events_logger none writes nothing', () => {
  const before = readFileSync(box.path('run', 'tspod', 'events', 'events.log'), 'utf8');
  box.ok(['--events-backend', 'none', 'create', '--name', 'ev-quiet', IMG, 'true']);
  box.ok(['--events-backend', 'none', 'rm', 'ev-quiet']);
  assert.equal(readFileSync(box.path('run', 'tspod', 'events', 'events.log'), 'utf8'), before);
});

test('volumes and secrets record their create, mount, unmount and remove', () => {
  box.ok(['volume', 'create', 'ev-plain']);
  box.ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'ev-tmp']);
  box.ok(['run', '--rm', '--network', 'none', '-v', 'ev-tmp:/t', IMG, 'true']);
  box.ok(['volume', 'rm', 'ev-plain', 'ev-tmp']);
  box.ok(['secret', 'create', 'ev-secret', '-'], { input: 'hush' });
  box.ok(['secret', 'rm', 'ev-secret']);
  const lines = box
    .ok(['events', '--stream=false', '--filter', 'type=volume', '--filter', 'type=secret', '--format', '{{.Type}} {{.Status}} {{.Name}}'])
    .trim()
    .split('\n');
  assert.deepEqual(lines, [
    'volume create ev-plain',
    'volume create ev-tmp',
    'volume mount ev-tmp',
    'volume unmount ev-tmp',
    'volume remove ev-plain',
    'volume remove ev-tmp',
    'secret create ev-secret',
    'secret remove ev-secret',
  ]);
});

test('exec, exec_died, rename and restart are recorded', () => {
  box.ok(['run', '-d', '--name', 'ev-life', '--network', 'none', '--stop-signal', 'KILL', IMG, 'sleep', '300']);
  assert.equal(box.run(['exec', 'ev-life', 'sh', '-c', 'exit 4']).code, 4);
  box.ok(['rename', 'ev-life', 'ev-life2']);
  box.ok(['restart', 'ev-life2']);
  box.ok(['rm', '-f', '-t', '0', 'ev-life2']);
  const lines = box
    .ok(['events', '--stream=false', '--filter', 'event=exec', '--filter', 'event=exec_died', '--filter', 'event=rename', '--filter', 'event=restart', '--format', '{{.Status}} {{.Name}}'])
    .trim()
    .split('\n');
  assert.deepEqual(lines, ['exec ev-life', 'exec_died ev-life', 'rename ev-life2', 'restart ev-life2']);
});
