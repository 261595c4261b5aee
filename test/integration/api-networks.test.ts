import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Sandbox, fixturesDir, slotSubnet } from './harness.js';
import { ApiService } from './api-harness.js';
import { buildFixtures } from '../fixtures/images.js';

const box = new Sandbox('api-networks');
const api = new ApiService(box);
const IMG = 'localhost/tspod-test/busybox:latest';
// A second /24 of this sandbox's slot for user networks, and its own bridge name (as network.test.ts does).
const userPrefix = `10.${216 + (box.netSlot >> 8)}.${box.netSlot & 255}`;
const userSubnet = `${userPrefix}.0/24`;
const userBridge = `tspu${box.netSlot}`;

before(async () => {
  await buildFixtures(fixturesDir());
  box.ok(['load', '-q', '-i', `${fixturesDir()}/busybox/oci-archive.tar`]);
  await api.start();
});

after(async () => {
  await api.stop();
  box.cleanup();
});

function docker(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { env: api.clientEnv, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function dockerOk(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs a docker-py script (Debian's python3-docker) against the service; `client` is a DockerClient. */
function dockerPy(script: string): string {
  const program = `import docker, json\nclient = docker.DockerClient(base_url=${JSON.stringify(api.url)})\n${script}`;
  const r = spawnSync('/usr/bin/python3', ['-c', program], { env: api.clientEnv, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString();
}

describe('networks', () => {
  test('docker network ls shows the default network as bridge, and inspect bridge answers for it', () => {
    assert.match(dockerOk(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']), /^bridge bridge local$/m);
    const [bridge] = JSON.parse(dockerOk(['network', 'inspect', 'bridge']));
    const [podman] = JSON.parse(box.ok(['network', 'inspect', 'podman']));
    assert.equal(bridge.Name, 'bridge');
    assert.equal(bridge.Id, podman.id);
    assert.deepEqual(bridge.IPAM.Config, [{ Subnet: slotSubnet(box.netSlot).subnet, Gateway: slotSubnet(box.netSlot).gateway }]);
    // The engine's own name still works, under its own name.
    assert.equal(JSON.parse(dockerOk(['network', 'inspect', 'podman']))[0].Name, 'podman');
  });

  test('docker network create, inspect, ls with filters, rm', () => {
    const id = dockerOk([
      'network', 'create', '--subnet', userSubnet, '--gateway', `${userPrefix}.254`, '--label', 'tier=back',
      '-o', `com.docker.network.bridge.name=${userBridge}`, '-o', 'com.docker.network.driver.mtu=1400', 'backnet',
    ]).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    try {
      const [net] = JSON.parse(dockerOk(['network', 'inspect', 'backnet']));
      assert.equal(net.Id, id);
      assert.equal(net.Name, 'backnet');
      assert.equal(net.Driver, 'bridge');
      assert.equal(net.Scope, 'local');
      assert.match(net.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
      assert.deepEqual(net.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: userSubnet, Gateway: `${userPrefix}.254` }] });
      assert.deepEqual(net.Labels, { tier: 'back' });
      assert.deepEqual(net.Options, { mtu: '1400' });
      assert.deepEqual(net.Containers, {});
      assert.equal(net.Internal, false);
      assert.equal(net.EnableIPv6, false);
      // The engine sees what the API made.
      assert.equal(JSON.parse(box.ok(['network', 'inspect', 'backnet']))[0].network_interface, userBridge);

      assert.equal(dockerOk(['network', 'ls', '--filter', 'label=tier=back', '--format', '{{.Name}}']), 'backnet\n');
      assert.equal(dockerOk(['network', 'ls', '--filter', 'name=backn', '--format', '{{.Name}}']), 'backnet\n');
      assert.equal(dockerOk(['network', 'ls', '--filter', `id=${id.slice(0, 12)}`, '--format', '{{.Name}}']), 'backnet\n');
      assert.equal(dockerOk(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}']), 'backnet\n');
      assert.equal(dockerOk(['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}']), 'bridge\n');
      assert.equal(dockerOk(['network', 'ls', '--filter', 'driver=macvlan', '--format', '{{.Name}}']), '');
      assert.equal(dockerOk(['network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}']), 'backnet\n');

      const again = docker(['network', 'create', '--subnet', userSubnet, 'backnet']);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /already (used|exists)/);
    } finally {
      assert.equal(dockerOk(['network', 'rm', 'backnet']), 'backnet\n');
    }
    assert.equal(box.run(['network', 'exists', 'backnet']).code, 1);
    const missing = docker(['network', 'rm', 'backnet']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /backnet/);
    assert.match(docker(['network', 'inspect', 'nosuchnet']).stderr, /nosuchnet/);
  });

  test('docker network prune removes only unused networks, with label filters', () => {
    dockerOk(['network', 'create', '--label', 'keep=yes', 'keeper']);
    dockerOk(['network', 'create', 'goner']);
    const pruned = dockerOk(['network', 'prune', '-f', '--filter', 'label!=keep=yes']);
    assert.match(pruned, /^Deleted Networks:\ngoner\n/);
    assert.equal(dockerOk(['network', 'ls', '--format', '{{.Name}}']).split('\n').filter(Boolean).sort().join(' '), 'bridge keeper');
    assert.match(dockerOk(['network', 'prune', '-f']), /keeper/);
    assert.equal(dockerOk(['network', 'ls', '--format', '{{.Name}}']), 'bridge\n');
  });

  test('connect and disconnect a running container; inspect lists its endpoint', () => {
    dockerOk(['network', 'create', '--subnet', userSubnet, '-o', `com.docker.network.bridge.name=${userBridge}`, 'side']);
    const cid = box.ok(['run', '-d', '--name', 'hopper', IMG, 'sleep', '1000']).trim();
    try {
      dockerOk(['network', 'connect', '--alias', 'rabbit', '--ip', `${userPrefix}.42`, 'side', 'hopper']);
      assert.match(box.ok(['exec', 'hopper', 'ip', '-4', '-o', 'addr']), new RegExp(`eth1 .*inet ${userPrefix.replace(/\./g, '\\.')}\\.42/24`));
      const [side] = JSON.parse(dockerOk(['network', 'inspect', 'side']));
      assert.deepEqual(Object.keys(side.Containers), [cid]);
      const endpoint = side.Containers[cid];
      assert.equal(endpoint.Name, 'hopper');
      assert.equal(endpoint.IPv4Address, `${userPrefix}.42/24`);
      assert.match(endpoint.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.equal(endpoint.IPv6Address, '');
      // The container is on the default network too, which Docker calls bridge.
      assert.deepEqual(Object.keys(JSON.parse(dockerOk(['network', 'inspect', 'bridge']))[0].Containers), [cid]);

      const busy = docker(['network', 'rm', 'side']);
      assert.notEqual(busy.code, 0);
      assert.match(busy.stderr, /associated containers|in use|being used/);

      dockerOk(['network', 'disconnect', 'side', 'hopper']);
      assert.doesNotMatch(box.ok(['exec', 'hopper', 'ip', '-o', 'link']), /eth1/);
      assert.deepEqual(JSON.parse(dockerOk(['network', 'inspect', 'side']))[0].Containers, {});
      const gone = docker(['network', 'disconnect', 'side', 'nosuchcontainer']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /nosuchcontainer/);
    } finally {
      box.run(['rm', '-f', '-t', '0', 'hopper']);
      box.run(['network', 'rm', '-f', 'side']);
    }
  });

  test('bad create bodies are 400s naming the field; unknown fields are ignored', async () => {
    const noName = await api.request('POST', '/v1.44/networks/create', {});
    assert.equal(noName.status, 400);
    assert.match(noName.json.message, /Name/);
    const badType = await api.request('POST', '/v1.44/networks/create', { Name: 'x', Internal: 'yes' });
    assert.equal(badType.status, 400);
    assert.match(badType.json.message, /field Internal: expected a boolean, got string/);
    const badIpam = await api.request('POST', '/v1.44/networks/create', { Name: 'x', IPAM: { Config: [{ Gateway: '10.1.2.3' }] } });
    assert.equal(badIpam.status, 400);
    assert.match(badIpam.json.message, /IPAM\.Config\[0\]\.Subnet/);
    const badFilter = await api.request('GET', `/v1.44/networks?filters=${encodeURIComponent('{"type":["odd"]}')}`);
    assert.equal(badFilter.status, 400);
    const created = await api.request('POST', '/v1.44/networks/create', { Name: 'extra', CheckDuplicate: true, Attachable: true, Frobnicate: 1, Options: { 'com.docker.network.bridge.enable_icc': 'true' } });
    assert.equal(created.status, 201, created.body.toString());
    assert.match(created.json.Warning, /enable_icc/);
    assert.equal((await api.request('DELETE', '/v1.44/networks/extra')).status, 204);
    assert.equal((await api.request('DELETE', '/v1.44/networks/extra')).status, 404);
  });

  test('docker-py creates, lists, inspects and removes a network', () => {
    const out = dockerPy(`
ipam = docker.types.IPAMPool(subnet=${JSON.stringify(userSubnet)})
net = client.networks.create('pynet', driver='bridge', ipam=docker.types.IPAMConfig(pool_configs=[ipam]), labels={'made': 'py'}, options={'com.docker.network.bridge.name': ${JSON.stringify(userBridge)}})
print(net.name, net.attrs['IPAM']['Config'][0]['Subnet'])
print(sorted(n.name for n in client.networks.list()))
print(client.networks.get('pynet').attrs['Labels'])
print([n.name for n in client.networks.list(filters={'label': 'made=py'})])
net.remove()
print(sorted(n.name for n in client.networks.list()))
`);
    assert.equal(out, `pynet ${userSubnet}\n['bridge', 'pynet']\n{'made': 'py'}\n['pynet']\n['bridge']\n`);
  });
});

describe('volumes', () => {
  test('docker volume create, ls, inspect, rm', () => {
    assert.equal(dockerOk(['volume', 'create', '--label', 'app=web', 'data']), 'data\n');
    assert.equal(dockerOk(['volume', 'create', 'data']), 'data\n', 'create of an existing name answers with it');
    const anonymous = dockerOk(['volume', 'create']).trim();
    assert.match(anonymous, /^[0-9a-f]{64}$/);
    const [data] = JSON.parse(dockerOk(['volume', 'inspect', 'data']));
    assert.equal(data.Name, 'data');
    assert.equal(data.Driver, 'local');
    assert.equal(data.Scope, 'local');
    assert.deepEqual(data.Labels, { app: 'web' });
    assert.deepEqual(data.Options, {});
    assert.match(data.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.equal(data.Mountpoint, JSON.parse(box.ok(['volume', 'inspect', 'data']))[0].Mountpoint);

    assert.equal(dockerOk(['volume', 'ls', '--format', '{{.Name}}']).split('\n').filter(Boolean).sort().join(' '), [anonymous, 'data'].sort().join(' '));
    assert.equal(dockerOk(['volume', 'ls', '-q', '--filter', 'label=app=web']), 'data\n');
    assert.equal(dockerOk(['volume', 'ls', '-q', '--filter', 'name=dat']), 'data\n');
    assert.equal(dockerOk(['volume', 'ls', '-q', '--filter', 'driver=local']).split('\n').filter(Boolean).length, 2);

    assert.equal(dockerOk(['volume', 'rm', 'data', anonymous]), `data\n${anonymous}\n`);
    assert.equal(box.ok(['volume', 'ls', '-q']), '');
    const missing = docker(['volume', 'rm', 'data']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /data/);
    assert.equal(dockerOk(['volume', 'rm', '-f', 'data']), 'data\n', '-f forgives a missing volume');
    assert.match(docker(['volume', 'inspect', 'nosuchvol']).stderr, /nosuchvol/);
  });

  test('a volume in use is refused by rm and kept by prune; dangling filters it out', () => {
    dockerOk(['volume', 'create', 'busy']);
    dockerOk(['volume', 'create', 'idle']);
    box.ok(['create', '--name', 'holder', '-v', 'busy:/data', IMG, 'true']);
    try {
      assert.equal(dockerOk(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'idle\n');
      assert.equal(dockerOk(['volume', 'ls', '-q', '--filter', 'dangling=false']), 'busy\n');
      const refused = docker(['volume', 'rm', 'busy']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /being used|in use/);
      // API 1.42+: prune without --all takes only anonymous volumes; -a takes every unused one.
      assert.equal(dockerOk(['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n');
      assert.match(dockerOk(['volume', 'prune', '-af']), /^Deleted Volumes:\nidle\n/);
      assert.equal(dockerOk(['volume', 'ls', '-q']), 'busy\n');
    } finally {
      box.run(['rm', '-f', 'holder']);
      box.run(['volume', 'rm', '-f', 'busy', 'idle']);
    }
  });

  test('prune reports the space it reclaimed; API 1.41 clients prune named volumes', async () => {
    dockerOk(['volume', 'create', 'filled']);
    box.ok(['run', '--rm', '-v', 'filled:/data', IMG, 'sh', '-c', 'head -c 5000 /dev/zero > /data/blob']);
    const kept = await api.request('POST', '/v1.44/volumes/prune');
    assert.deepEqual(kept.json, { VolumesDeleted: [], SpaceReclaimed: 0 });
    // Clients of API 1.41 and older prune named volumes too.
    const r = await api.request('POST', '/v1.41/volumes/prune');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { VolumesDeleted: ['filled'], SpaceReclaimed: 5000 });
  });

  test('bad volume bodies are 400s naming the field', async () => {
    const r = await api.request('POST', '/v1.44/volumes/create', { Name: 'x', Labels: { a: 1 } });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /field Labels\.a: expected a string, got number/);
    const list = await api.request('GET', '/volumes');
    assert.deepEqual(list.json, { Volumes: [], Warnings: [] });
  });

  test('docker-py creates, lists, inspects, prunes and removes volumes', () => {
    const out = dockerPy(`
v = client.volumes.create('pyvol', labels={'made': 'py'})
print(v.name, v.attrs['Driver'], v.attrs['Labels'])
client.volumes.create('pyspare')
print(sorted(x.name for x in client.volumes.list()))
print([x.name for x in client.volumes.list(filters={'label': 'made=py'})])
print(client.volumes.get('pyvol').attrs['Mountpoint'].endswith('/pyvol/_data'))
client.volumes.get('pyvol').remove()
print(client.volumes.prune())
print(client.volumes.prune(filters={'all': True}))
print(client.volumes.list())
`);
    // docker-py asks for the server's API version (1.44), where prune keeps named volumes unless all=true.
    assert.equal(
      out,
      `pyvol local {'made': 'py'}\n['pyspare', 'pyvol']\n['pyvol']\nTrue\n{'VolumesDeleted': [], 'SpaceReclaimed': 0}\n{'VolumesDeleted': ['pyspare'], 'SpaceReclaimed': 0}\n[]\n`,
    );
  });
});
