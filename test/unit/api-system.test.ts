import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dockerDiskUsage, dockerEventLine, dockerInfo, engineId, eventFilters, eventTime } from '../../src/api/compat/system.js';
import type { ImageSummary, SystemInfo } from '../../src/engine/types.js';

describe('events', () => {
  it('a container event has Docker fields, the old status/id/from, Docker action names and every digit of timeNano', () => {
    const line = dockerEventLine({
      ID: 'c1',
      Name: 'web',
      Image: 'docker.io/library/busybox:latest',
      Type: 'container',
      Status: 'died',
      TimeNano: '1795459096867002634',
      Attributes: { containerExitCode: '3', app: 'x', podId: 'p' },
    });
    assert.equal(
      line,
      '{"status":"die","id":"c1","from":"busybox:latest","Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"3","app":"x","image":"busybox:latest","name":"web"}},"scope":"local","time":1795459096,"timeNano":1795459096867002634}',
    );
  });

  it('image events name the image by sha256 id and Docker action', () => {
    const parsed = JSON.parse(dockerEventLine({ ID: 'f'.repeat(64), Name: 'docker://127.0.0.1:5000/x:1', Image: '', Type: 'image', Status: 'remove', TimeNano: '5' }));
    assert.deepEqual(parsed, { Type: 'image', Action: 'delete', Actor: { ID: `sha256:${'f'.repeat(64)}`, Attributes: { name: '127.0.0.1:5000/x:1' } }, scope: 'local', time: 0, timeNano: 5 });
  });

  it('since/until take Unix seconds with a fraction, RFC 3339 dates and durations before now', () => {
    assert.equal(eventTime('since', '1700000000'), 1_700_000_000_000_000_000n);
    assert.equal(eventTime('since', '1700000000.5'), 1_700_000_000_500_000_000n);
    assert.equal(eventTime('since', '2024-01-01T00:00:00Z'), BigInt(Date.parse('2024-01-01T00:00:00Z')) * 1_000_000n);
    assert.equal(eventTime('since', '10m', 1_000_000), BigInt(1_000_000 - 600_000) * 1_000_000n);
    assert.throws(() => eventTime('until', 'soon'), /query parameter until: "soon"/);
  });

  it('filters: scope=local is dropped, destroy is the engine remove, unknown keys are refused', () => {
    assert.deepEqual(eventFilters(['scope=local', 'type=container', 'event=destroy']), ['type=container', 'event=remove']);
    assert.throws(() => eventFilters(['daemon=x']), /invalid filter "daemon=x"/);
    assert.throws(() => eventFilters(['scope=swarm']), /only scope=local/);
  });
});

describe('info', () => {
  const info: SystemInfo = {
    host: {
      arch: 'amd64',
      cgroupManager: 'systemd',
      cgroupVersion: 'v2',
      cpus: 4,
      memTotal: 1024,
      hostname: 'box',
      kernel: '6.1.0',
      logDriver: 'k8s-file',
      distribution: { distribution: 'debian', version: '12', codename: 'bookworm' },
      ociRuntime: { name: 'crun', path: '/usr/bin/crun' },
      security: { rootless: true },
    },
    store: {
      graphRoot: '/var/lib/x',
      graphDriverName: 'overlay',
      graphStatus: { 'Backing Filesystem': 'extfs' },
      imageStore: { number: 7 },
      containerStore: { number: 3, paused: 0, running: 1, stopped: 2 },
    },
    registries: {},
    plugins: { volume: ['local'], network: ['bridge'], log: ['k8s-file'] },
    version: {},
  };

  it('has the counts, the store, the runtime and the host in Docker fields', () => {
    const d = dockerInfo(info, { machine: 'x86_64', serverVersion: '0.1.0', systemTime: 'T', operatingSystem: 'Debian GNU/Linux 12 (bookworm)', proxies: { http: '', https: '', no: '' } });
    assert.equal(d.Containers, 3);
    assert.equal(d.ContainersRunning, 1);
    assert.equal(d.ContainersStopped, 2);
    assert.equal(d.Images, 7);
    assert.equal(d.Driver, 'overlay');
    assert.deepEqual(d.DriverStatus, [['Backing Filesystem', 'extfs']]);
    assert.equal(d.CgroupDriver, 'systemd');
    assert.equal(d.CgroupVersion, '2');
    assert.equal(d.Architecture, 'x86_64');
    assert.equal(d.NCPU, 4);
    assert.equal(d.DockerRootDir, '/var/lib/x');
    assert.deepEqual(d.Runtimes, { crun: { path: '/usr/bin/crun' } });
    assert.equal(d.DefaultRuntime, 'crun');
    assert.deepEqual(d.Labels, []);
    assert.deepEqual(d.SecurityOptions, ['name=seccomp,profile=default', 'name=rootless', 'name=cgroupns']);
    assert.equal(d.ID, engineId('/var/lib/x'));
    assert.match(String(d.ID), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('disk usage', () => {
  it('joins df counts with the image list, the container rows and volume details; BuildCache is an empty list', () => {
    const image = { Id: 'a'.repeat(64), ParentId: '', RepoTags: ['localhost/x:1'], RepoDigests: [], Created: 1, CreatedAt: '', Size: 10, SharedSize: 0, VirtualSize: 10, Labels: {}, Containers: 0, Names: [], Digest: '', History: [], Dangling: false, ReadOnly: false, Intermediate: false } satisfies ImageSummary;
    const out = dockerDiskUsage(
      {
        images: [{ id: 'a'.repeat(64), repository: 'x', tag: '1', created: 1, size: 10, sharedSize: 4, uniqueSize: 6, containers: 1 }],
        imagesSize: 10,
        imagesReclaimable: 0,
        containers: [{ id: 'c', image: 'x', command: 'sh', localVolumes: 0, size: 3, created: 2, status: 'Up 1 second', names: 'web', running: true }],
        volumes: [{ name: 'v', links: 1, size: 5 }],
      },
      [image],
      [{ Id: 'c', Names: ['/web'], State: 'running', Ports: [], Mounts: [] }],
      [{ Name: 'v', Driver: 'local', Mountpoint: '/m', CreatedAt: 'C', Labels: { l: '1' }, Scope: 'local', Options: {}, MountCount: 0 }],
      '1.44',
    );
    assert.equal(out.LayersSize, 10);
    assert.deepEqual((out.Images as Array<Record<string, unknown>>).map((i) => [i.RepoTags, i.SharedSize, i.Containers]), [[['x:1'], 4, 1]]);
    assert.deepEqual((out.Containers as Array<Record<string, unknown>>).map((c) => [c.Names, c.SizeRw, c.SizeRootFs, c.State, c.Ports]), [[['/web'], 3, 0, 'running', []]]);
    assert.deepEqual(out.Volumes, [{ Name: 'v', Driver: 'local', Mountpoint: '/m', CreatedAt: 'C', Labels: { l: '1' }, Scope: 'local', Options: {}, UsageData: { Size: 5, RefCount: 1 } }]);
    assert.deepEqual(out.BuildCache, []);
  });
});
