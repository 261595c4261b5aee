import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox, fixturesDir, freePort, httpGet } from './harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('pods');
const IMG = 'localhost/tspod-test/busybox:latest';
const WEB = ['sh', '-c', 'mkdir -p /www && echo "hello from the pod" > /www/index.html && exec httpd -f -p 80 -h /www'];



const podStatus = (name: string) => box.ok(['pod', 'inspect', '--format', '{{.State}}', name]).trim();

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
});

after(() => {
  box.run(['pod', 'rm', '-fa', '-t', '0']);
  box.run(['rm', '-fa', '-t', '0']);
  box.cleanup();
});

describe('the seed scenario', () => {
  test('a web server in a pod answers its neighbour on localhost and the host on the pod\'s port', async () => {
    const port = await freePort();
    const podId = box.ok(['pod', 'create', '--name', 'my-pod', '-p', `${port}:80`]).trim();
    assert.match(podId, /^[0-9a-f]{64}$/);
    assert.equal(podStatus('my-pod'), 'Created');
    // The infra image is built here from catatonit: no registry is involved.
    assert.match(box.ok(['images', '--format', '{{.Repository}}']), /localhost\/tspod-pause/);
    box.ok(['run', '-d', '--pod', 'my-pod', '--name', 'web', IMG, ...WEB]);
    const fetched = box.run(['run', '--rm', '--pod', 'my-pod', IMG, 'sh', '-c', 'for i in $(seq 1 100); do wget -qO- http://localhost:80/ 2>/dev/null && exit 0; usleep 50000; done; exit 1']);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout, 'hello from the pod\n');
    const res = await httpGet(port);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello from the pod\n');
    assert.equal(podStatus('my-pod'), 'Running');
    // Members share the pod's hostname (UTS) and see its published port in ps.
    assert.equal(box.ok(['exec', 'web', 'hostname']), 'my-pod\n');
    const rows = box.ok(['ps', '-a', '--pod', '--format', '{{.Names}} {{.PodName}} {{.Ports}}']).trim().split('\n').sort();
    assert.equal(rows.length, 2);
    for (const row of rows) assert.match(row, new RegExp(` my-pod 0\\.0\\.0\\.0:${port}->80/tcp$`));
    const inspect = JSON.parse(box.ok(['pod', 'inspect', 'my-pod']));
    const doc = Array.isArray(inspect) ? inspect[0] : inspect;
    assert.equal(doc.Name, 'my-pod');
    assert.equal(doc.NumContainers, 2);
    assert.deepEqual(doc.SharedNamespaces, ['ipc', 'net', 'uts']);
    assert.deepEqual(doc.InfraConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: String(port) }] });
    assert.deepEqual(Object.keys(doc).slice(0, 6), ['Id', 'Name', 'Created', 'CreateCommand', 'ExitPolicy', 'State']);
  });

  test('stopping the pod stops all, a stopped member makes it Degraded, rm -f removes everything', () => {
    box.ok(['pod', 'stop', '-t', '0', 'my-pod']);
    assert.equal(podStatus('my-pod'), 'Exited');
    assert.equal(box.ok(['ps', '-q']), '', 'nothing of the pod runs');
    box.ok(['pod', 'start', 'my-pod']);
    assert.equal(podStatus('my-pod'), 'Running');
    box.ok(['stop', '-t', '0', 'web']);
    assert.equal(podStatus('my-pod'), 'Degraded');
    const refused = box.run(['rm', '-f', box.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'my-pod']).trim()]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /infra container of pod/);
    box.ok(['start', 'web']);
    const busy = box.run(['pod', 'rm', 'my-pod']);
    assert.notEqual(busy.code, 0, 'a pod with running containers needs -f');
    assert.match(busy.stderr, /running/);
    box.ok(['pod', 'rm', '-f', '-t', '0', 'my-pod']);
    assert.equal(box.ok(['ps', '-aq']), '');
    assert.equal(box.run(['pod', 'exists', 'my-pod']).code, 1);
  });
});

describe('options', () => {
  test('--pod new: creates the pod and moves the ports to it; --share pid shares processes', () => {
    box.ok(['run', '-d', '--pod', 'new:pidpod', '--name', 'sleeper', IMG, 'sleep', '1000']);
    assert.equal(box.run(['pod', 'exists', 'pidpod']).code, 0);
    box.ok(['pod', 'create', '--name', 'shared-pid', '--share', 'ipc,net,uts,pid']);
    box.ok(['run', '-d', '--pod', 'shared-pid', '--name', 'pid1', IMG, 'sleep', '1001']);
    const ps = box.ok(['run', '--rm', '--pod', 'shared-pid', IMG, 'ps', '-o', 'args']);
    assert.match(ps, /sleep 1001/, 'a pid-sharing pod sees its neighbours');
    assert.match(ps, /catatonit/);
    box.ok(['pod', 'rm', '-f', '-t', '0', 'pidpod', 'shared-pid']);
  });

  test('--no-infra pods hold containers without shared namespaces', () => {
    box.ok(['pod', 'create', '--name', 'bare', '--infra=false']);
    box.ok(['run', '-d', '--pod', 'bare', '--name', 'alone', IMG, 'sleep', '1000']);
    const doc = JSON.parse(box.ok(['pod', 'inspect', 'bare']));
    const pod = Array.isArray(doc) ? doc[0] : doc;
    assert.equal(pod.CreateInfra, false);
    assert.equal(pod.NumContainers, 1);
    assert.equal(podStatus('bare'), 'Running');
    box.ok(['pod', 'rm', '-f', '-t', '0', 'bare']);
  });
});

describe('bad input', () => {
  test('unknown pods and own networking inside a pod get one clear line', () => {
    box.ok(['pod', 'create', '--name', 'strict']);
    const cases: Array<[string[], RegExp]> = [
      [['run', '--rm', '--pod', 'nosuchpod', IMG, 'true'], /no pod with name or ID nosuchpod found/],
      [['run', '--rm', '--pod', 'strict', '--network', 'none', IMG, 'true'], /network cannot be configured when it is shared with a pod/],
      [['run', '--rm', '--pod', 'strict', '-p', '8080:80', IMG, 'true'], /ports must be defined when the pod is created/],
      [['pod', 'create', '--name', 'strict'], /strict/],
      [['pod', 'create', '--infra=false', '-p', '8080:80'], /infra/],
      [['pod', 'start', 'nosuchpod'], /nosuchpod/],
    ];
    for (const [args, message] of cases) {
      const r = box.run(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('Error:')).length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.deepEqual(box.ok(['pod', 'ps', '--format', '{{.Name}}']).trim().split('\n'), ['strict']);
    box.ok(['pod', 'rm', 'strict']);
    assert.equal(box.ok(['ps', '-aq']), '', 'no container left behind');
  });
});
