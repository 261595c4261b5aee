import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { Sandbox, TSPOD } from './harness.js';

const box = new Sandbox('cli');
after(() => box.cleanup());

test('version and -v need no storage', () => {
  assert.match(box.ok(['version']), /^Client: +tspod Engine\nVersion: +\d+\.\d+\.\d+\nAPI Version: +4\.3\.1\n/);
  assert.match(box.ok(['-v']), /^tspod version \d+\.\d+\.\d+\n$/);
  assert.match(box.ok(['version', '--format', '{{.Client.Version}}']), /^\d+\.\d+\.\d+\n$/);
  assert.ok(!existsSync(box.path('root')), 'version did not create storage');
});

test('every command answers --help with exit 0', () => {
  const containerCommands = ['run', 'create', 'start', 'stop', 'restart', 'kill', 'rm', 'ps', 'logs', 'wait', 'exec', 'attach', 'pause', 'unpause', 'top', 'port', 'rename', 'init'];
  const commands = [['images'], ['image', 'ls'], ['load'], ['save'], ['import'], ['rmi'], ['tag'], ['image', 'prune'], ['history'], ['inspect'], ['info'],
    ...containerCommands.map((c) => [c]), ...containerCommands.map((c) => ['container', c]), ['container', 'exists'], ['container', 'prune'], ['container', 'inspect'], ['container', 'cleanup']];
  for (const cmd of commands) {
    const r = box.run([...cmd, '--help']);
    assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage:/);
  }
  const root = box.ok(['--help']);
  assert.match(root, /Available Commands:[\s\S]*images/);
  // The global flags, as podman --help lists them; each is accepted before a command.
  assert.match(root, /Options:[\s\S]*\n {6}--root <path> +path to the graph root directory\n/);
  assert.match(root, /\n  -c, --connection <name> +connection to use for remote mode\n/);
  assert.match(root, /\n {6}--log-level <level> +log messages at and above this level \(trace, .*panic\)\n/);
  assert.match(box.ok(['image', '--help']), /Available Commands:[\s\S]*prune/);
  assert.match(box.ok(['container', '--help']), /Available Commands:[\s\S]*cleanup/);
});

test('unknown commands and flags exit 125 with one clear line', () => {
  const unknown = box.run(['frobnicate']);
  assert.equal(unknown.code, 125);
  assert.match(unknown.stderr, /^Error: unrecognized command `tspod frobnicate`/);
  const flag = box.run(['images', '--bogus']);
  assert.equal(flag.code, 125);
  assert.match(flag.stderr, /^Error: unknown option '--bogus'\nSee 'tspod images --help'\n$/);
  const missing = box.run(['tag']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Error: missing required argument/);
  const none = box.run([]);
  assert.equal(none.code, 125);
});

test('global flags work before and after the command', () => {
  const before = spawnSync(TSPOD, ['--root', box.path('root'), '--runroot', box.path('run'), 'images', '-q']);
  assert.equal(before.status, 0, before.stderr.toString());
  const afterCmd = spawnSync(TSPOD, ['images', '--root', box.path('root'), '-q', '--runroot', box.path('run')]);
  assert.equal(afterCmd.status, 0, afterCmd.stderr.toString());
  const info = JSON.parse(box.ok(['info', '--format', 'json'])) as { store: { graphRoot: string; graphDriverName: string } };
  assert.equal(info.store.graphRoot, box.path('root'));
  assert.equal(box.ok(['info', '--format', '{{.Store.GraphRoot}}']), `${box.path('root')}\n`);
  assert.equal(box.ok(['--storage-driver', 'vfs', 'info', '--format', '{{.Store.GraphDriverName}}']), 'vfs\n');
});

test('CONTAINERS_STORAGE_CONF is honoured', () => {
  const conf = box.path('storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${box.path('confroot')}"\nrunroot = "${box.path('confrun')}"\n`);
  const r = spawnSync(TSPOD, ['info', '--format', '{{.Store.GraphRoot}} {{.Store.GraphDriverName}}'], {
    env: { ...process.env, CONTAINERS_STORAGE_CONF: conf },
  });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout.toString(), `${box.path('confroot')} vfs\n`);
});

test('output piped into a closed reader ends quietly', () => {
  const r = spawnSync('sh', ['-c', `${TSPOD} --help | head -c 10 >/dev/null; echo "exit=\${PIPESTATUS:-ok}"`]);
  assert.equal(r.stderr.toString(), '');
});
