import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, fixturesDir } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('stats');
const IMG = 'localhost/tspod-test/busybox';

before(async () => {
  const fx = await buildFixtures(fixturesDir());
  box.ok(['load', '-i', fx.busybox.ociArchive]);
});
after(() => {
  box.run(['rm', '-f', '-t', '0', '-a']);
  box.cleanup();
});

function memBytes(text: string): number {
  const m = /^([\d.]+)([kMG]?B)/.exec(text)!;
  return Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9 } as Record<string, number>)[m[2]!]!;
}

async function until(what: string, pred: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('stats --no-stream shows the table, the PIDs and memory growing after an allocation', async () => {
  box.ok(['run', '-d', '--name', 'st-mem', '--network', 'none', IMG, 'sh', '-c', 'sleep 1000 & sleep 1000 & while [ ! -e /tmp/go ]; do usleep 20000; done; dd if=/dev/zero of=/dev/shm/fill bs=1M count=64 2>/dev/null; sleep 1000']);
  const out = box.ok(['stats', '--no-stream']);
  const [header, line] = out.split('\n');
  assert.match(header!, /^ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET IO +BLOCK IO +PIDS +CPU TIME +AVG CPU %$/);
  assert.match(line!, /^[0-9a-f]{12}  st-mem +\d+\.\d\d% +\S+ \/ \S+ +\d+\.\d\d% +\S+ \/ \S+ +\S+ \/ \S+ +\d+ +\S+ +\d+\.\d\d%$/);
  const before = memBytes(box.ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'st-mem']));
  assert.ok(Number(box.ok(['stats', '--no-stream', '--format', '{{.PIDs}}', 'st-mem']).trim()) >= 3);
  box.ok(['exec', 'st-mem', 'touch', '/tmp/go']);
  await until('64MB more memory', () => memBytes(box.ok(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'st-mem'])) > before + 50e6);
});

test('stats --format json has podman\'s keys', () => {
  const list = JSON.parse(box.ok(['stats', '--no-stream', '--format', 'json', 'st-mem'])) as Array<Record<string, string>>;
  assert.equal(list.length, 1);
  assert.deepEqual(Object.keys(list[0]!), ['id', 'name', 'cpu_time', 'cpu_percent', 'avg_cpu', 'mem_usage', 'mem_percent', 'net_io', 'block_io', 'pids']);
  assert.equal(list[0]!.name, 'st-mem');
});

test('a container that is not running is a row of zeros, as in podman 4.3; an unknown one is an error', () => {
  box.ok(['create', '--name', 'st-idle', IMG, 'true']);
  assert.equal(box.ok(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'st-idle']), 'st-idle 0.00% 0B / 0B 0\n');
  assert.match(box.ok(['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.PIDs}}']), /^st-idle 0$/m);
  assert.doesNotMatch(box.ok(['stats', '--no-stream', '--format', '{{.Name}}']), /st-idle/);
  const missing = box.run(['stats', '--no-stream', 'nosuch']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /^Error: unable to get list of containers: unable to look up container nosuch: no container with name or ID "nosuch" found: no such container\n$/);
});
