import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { specFromDockerCreate } from '../../src/api/compat/containerCreate.js';
import {
  dockerChanges,
  dockerInspect,
  dockerStats,
  dockerStatus,
  dockerSummary,
  dockerTop,
  goFileMode,
  pathStatHeader,
  pathStatFromHeader,
  statModeOfGoFileMode,
  type EngineInspect,
} from '../../src/api/compat/containers.js';
import type { ContainerSummary } from '../../src/engine/types.js';
import { BadInputError } from '../../src/util/errors.js';

describe('create body -> spec', () => {
  test('the Docker CLI\'s body: zero values are unset, the rest maps field by field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-unit-'));
    const { spec, warnings, consoleSize } = specFromDockerCreate(
      {
        Image: 'busybox',
        Cmd: ['httpd', '-f'],
        Entrypoint: null,
        Env: ['A=1', 'B=x=y', 'UNSET'],
        Labels: { tier: 'front' },
        WorkingDir: '',
        User: '',
        Tty: true,
        OpenStdin: true,
        AttachStdin: true,
        ExposedPorts: { '80/tcp': {}, '53/udp': {} },
        StopSignal: 'SIGINT',
        StopTimeout: 3,
        Volumes: { '/cache': {} },
        Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 2 },
        HostConfig: {
          Binds: [`${dir}:/data:ro`, 'named:/vol'],
          Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1048576 } }],
          PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] },
          NetworkMode: 'default',
          RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
          Memory: 0,
          NanoCpus: 1_500_000_000,
          PidsLimit: null,
          CpuShares: 0,
          Dns: [],
          ExtraHosts: ['db:10.0.0.5', 'gw:host-gateway'],
          LogConfig: { Type: 'json-file', Config: {} },
          SecurityOpt: ['no-new-privileges', 'label=disable'],
          Sysctls: { 'net.core.somaxconn': '1024' },
          ConsoleSize: [30, 100],
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
        },
        NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['web'] } } },
      },
      'web',
    );
    assert.equal(spec.image, 'busybox');
    assert.equal(spec.name, 'web');
    assert.equal(spec.pull, 'never');
    assert.deepEqual(spec.command, ['httpd', '-f']);
    assert.equal(spec.entrypoint, undefined);
    assert.deepEqual(spec.env, { A: '1', B: 'x=y' });
    assert.deepEqual(spec.labels, { tier: 'front' });
    assert.equal(spec.workingDir, undefined);
    assert.equal(spec.user, undefined);
    assert.equal(spec.terminal, true);
    assert.equal(spec.stdin, true);
    assert.deepEqual(spec.expose?.map((e) => `${e.port}/${e.protocol}`), ['53/udp', '80/tcp']);
    assert.equal(spec.stopSignal, 'SIGINT');
    assert.equal(spec.stopTimeout, 3);
    assert.deepEqual(spec.healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 2 });
    assert.deepEqual(spec.mounts, [
      { type: 'bind', source: dir, destination: '/data', options: ['ro'] },
      { type: 'volume', source: 'named', destination: '/vol', options: [] },
      { type: 'tmpfs', destination: '/scratch', options: ['size=1048576'] },
      { type: 'volume', destination: '/cache', options: [] },
    ]);
    assert.deepEqual(spec.portMappings, [
      { host_ip: '127.0.0.1', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' },
      { host_ip: '', container_port: 53, host_port: 0, range: 1, protocol: 'udp' },
    ]);
    assert.equal(spec.network, 'bridge');
    assert.deepEqual(spec.networks, { '': { aliases: ['web'] } });
    assert.equal(spec.restartPolicy, undefined);
    assert.deepEqual(spec.resources, { cpus: 1.5 });
    assert.equal(spec.dns, undefined);
    assert.deepEqual(spec.addHosts, ['db:10.0.0.5']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /host-gateway/);
    assert.equal(spec.logDriver, undefined);
    assert.equal(spec.noNewPrivileges, true);
    assert.deepEqual(spec.sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(spec.ulimits, [{ name: 'nofile', soft: 1024, hard: 2048 }]);
    assert.deepEqual(consoleSize, { rows: 30, columns: 100 });
  });

  test('network modes, named networks with addresses, restart policies and --entrypoint ""', () => {
    assert.equal(specFromDockerCreate({ Image: 'i', HostConfig: { NetworkMode: 'host' } }, undefined).spec.network, 'host');
    assert.equal(specFromDockerCreate({ Image: 'i', HostConfig: { NetworkMode: 'container:abc' } }, undefined).spec.network, 'container:abc');
    const named = specFromDockerCreate(
      {
        Image: 'i',
        Entrypoint: [''],
        HostConfig: { NetworkMode: 'proj_default', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, AutoRemove: false },
        NetworkingConfig: { EndpointsConfig: { proj_default: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.9.0.7' }, MacAddress: '02:42:ac:11:00:02' } } },
      },
      undefined,
    ).spec;
    assert.deepEqual(named.entrypoint, []);
    assert.deepEqual(named.networks, { proj_default: { aliases: ['db'], ips: ['10.9.0.7'], mac: '02:42:ac:11:00:02' } });
    assert.equal(named.restartPolicy, 'on-failure');
    assert.equal(named.restartRetries, 3);
    assert.equal(specFromDockerCreate({ Image: 'i', HostConfig: { AutoRemove: true } }, undefined).spec.remove, true);
  });

  test('wrong types and impossible values are 400s naming the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /Image must be given/],
      [{ Image: 5 }, /Image must be a string, not a number/],
      [{ Image: 'i', Env: 'A=1' }, /Env must be a list of strings, not a string/],
      [{ Image: 'i', Cmd: [1] }, /Cmd must be a list of strings/],
      [{ Image: 'i', Tty: 'yes' }, /Tty must be a boolean/],
      [{ Image: 'i', Labels: { a: 1 } }, /Labels must be an object of strings/],
      [{ Image: 'i', HostConfig: [] }, /HostConfig must be an object, not a list/],
      [{ Image: 'i', HostConfig: { Memory: '1g' } }, /HostConfig\.Memory must be an integer, not a string/],
      [{ Image: 'i', HostConfig: { Memory: 1.5 } }, /HostConfig\.Memory must be an integer/],
      [{ Image: 'i', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 8080 }] } } }, /HostConfig\.PortBindings\.80\/tcp\[0\]\.HostPort must be a string/],
      [{ Image: 'i', HostConfig: { PortBindings: { http: [] } } }, /PortBindings key "http"/],
      [{ Image: 'i', HostConfig: { Mounts: [{ Type: 'nfs', Target: '/x' }] } }, /HostConfig\.Mounts\[0\]\.Type "nfs" is not supported/],
      [{ Image: 'i', HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, /RestartPolicy\.Name "sometimes"/],
      [{ Image: 'i', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, /AutoRemove conflicts with HostConfig\.RestartPolicy/],
      [{ Image: 'i', HostConfig: { LogConfig: { Type: 'syslog' } } }, /LogConfig\.Type "syslog" is not supported/],
      [{ Image: 'i', HostConfig: { PidMode: 'host' } }, /PidMode "host" is not supported/],
      [{ Image: 'i', WorkingDir: 'rel' }, /WorkingDir "rel" must be an absolute path/],
      [{ Image: 'i', Healthcheck: { Test: ['SHELL', 'x'] } }, /Healthcheck\.Test must start with CMD/],
      [{ Image: 'i', HostConfig: { ExtraHosts: ['nohost'] } }, /ExtraHosts entry "nohost"/],
    ];
    for (const [body, message] of cases) {
      assert.throws(
        () => specFromDockerCreate(body, undefined),
        (e: unknown) => e instanceof Error && (e as BadInputError).status === 400 && message.test(e.message) && !e.message.includes('\n'),
        JSON.stringify(body),
      );
    }
  });
});

function engineInspect(overrides: Partial<EngineInspect> = {}): EngineInspect {
  return {
    Id: 'c'.repeat(64),
    Created: '2026-01-02T03:04:05.123456789Z',
    Path: '/entry.sh',
    Args: ['httpd', '-f'],
    State: {
      Status: 'running',
      Running: true,
      Paused: false,
      OOMKilled: false,
      Pid: 42,
      ExitCode: 0,
      Error: '',
      StartedAt: '2026-01-02T03:04:06.000000001Z',
      FinishedAt: '',
      Health: { Status: '', FailingStreak: 0, Log: null },
    },
    Image: 'a'.repeat(64),
    ImageName: 'localhost/web:latest',
    ResolvConfPath: '/r',
    HostnamePath: '/h',
    HostsPath: '/hs',
    Name: 'web',
    RestartCount: 0,
    Driver: 'overlay',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    OCIRuntime: 'runc',
    GraphDriver: { Name: 'overlay', Data: {} },
    Mounts: [{ Type: 'bind', Source: '/src', Destination: '/dst', Driver: '', Mode: '', Options: ['rbind'], RW: false, Propagation: 'rprivate' }],
    NetworkSettings: {
      IPAddress: '10.88.0.2',
      Gateway: '10.88.0.1',
      Ports: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '443/tcp': null },
      Networks: { podman: { IPAddress: '10.88.0.2', Gateway: '10.88.0.1', MacAddress: 'aa', Aliases: ['cccccccccccc'] } },
    },
    Config: { Hostname: 'cccccccccccc', User: '', Tty: false, OpenStdin: false, Env: ['PATH=/bin'], Cmd: ['httpd', '-f'], Image: 'localhost/web:latest', WorkingDir: '/', StopSignal: 15, StopTimeout: 10, Labels: null },
    HostConfig: { NetworkMode: 'bridge', LogConfig: { Type: 'k8s-file', Path: '/log' }, RestartPolicy: { Name: '', MaximumRetryCount: 0 }, Dns: [], Binds: ['/src:/dst:ro'] },
    ...overrides,
  } as EngineInspect;
}

describe('engine reports -> Docker shapes', () => {
  test('inspect: names with /, sha256 image ids, signal names, entrypoint split from Cmd, zero values not null', () => {
    const doc = dockerInspect(engineInspect(), { execIds: [] }) as Record<string, any>;
    assert.equal(doc.Name, '/web');
    assert.equal(doc.Image, `sha256:${'a'.repeat(64)}`);
    assert.equal(doc.State.Status, 'running');
    assert.equal(doc.State.FinishedAt, '0001-01-01T00:00:00Z');
    assert.equal('Health' in doc.State, false);
    assert.equal(doc.Config.StopSignal, 'SIGTERM');
    assert.deepEqual(doc.Config.Entrypoint, ['/entry.sh']);
    assert.deepEqual(doc.Config.Labels, {});
    assert.deepEqual(doc.Config.ExposedPorts, { '80/tcp': {}, '443/tcp': {} });
    assert.deepEqual(doc.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null });
    assert.equal(doc.NetworkSettings.Networks.podman.IPAddress, '10.88.0.2');
    assert.equal(doc.HostConfig.LogConfig.Type, 'json-file');
    assert.deepEqual(doc.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.deepEqual(doc.HostConfig.ExtraHosts, []);
    assert.deepEqual(doc.Mounts, [{ Type: 'bind', Source: '/src', Destination: '/dst', Driver: '', Mode: '', RW: false, Propagation: 'rprivate' }]);
    assert.equal(doc.ExecIDs, null);
    const exited = dockerInspect(engineInspect({ State: { ...engineInspect().State, Status: 'stopped', Running: false, Health: { Status: 'healthy', FailingStreak: 0, Log: null } } }), { execIds: ['e1'] }) as Record<string, any>;
    assert.equal(exited.State.Status, 'exited');
    assert.deepEqual(exited.State.Health, { Status: 'healthy', FailingStreak: 0, Log: [] });
    assert.deepEqual(exited.ExecIDs, ['e1']);
  });

  test('list entry: Command as one string, Ports per binding, Labels {}', () => {
    const summary = { Id: 'c'.repeat(64), Names: ['web'], Image: 'localhost/web:latest', ImageID: 'a'.repeat(64), Created: 1700000000, Labels: null, State: 'running', StartedAt: 1700000000, ExitedAt: 0, ExitCode: 0, Size: null } as unknown as ContainerSummary;
    const entry = dockerSummary(summary, engineInspect(), 1700000000_000 + 5 * 60_000) as Record<string, any>;
    assert.deepEqual(entry.Names, ['/web']);
    assert.equal(entry.Command, '/entry.sh httpd -f');
    assert.equal(entry.ImageID, `sha256:${'a'.repeat(64)}`);
    assert.deepEqual(entry.Ports, [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }]);
    assert.deepEqual(entry.Labels, {});
    assert.equal(entry.Status, 'Up 5 minutes');
    assert.deepEqual(entry.HostConfig, { NetworkMode: 'bridge' });
    assert.equal(entry.NetworkSettings.Networks.podman.Gateway, '10.88.0.1');
  });

  test('status words as Docker has them', () => {
    const now = 1_000_000_000;
    assert.equal(dockerStatus('running', now / 1000 - 3, 0, 0, 'healthy', now), 'Up 3 seconds (healthy)');
    assert.equal(dockerStatus('running', now / 1000 - 3, 0, 0, 'starting', now), 'Up 3 seconds (health: starting)');
    assert.equal(dockerStatus('paused', now / 1000 - 120, 0, 0, '', now), 'Up 2 minutes (Paused)');
    assert.equal(dockerStatus('stopped', 0, now / 1000 - 3600, 137, '', now), 'Exited (137) About an hour ago');
    assert.equal(dockerStatus('created', 0, 0, 0, '', now), 'Created');
  });

  test('top, changes, path stat modes, stats', () => {
    assert.deepEqual(dockerTop([['PID', 'CMD'], ['1', 'sh']]), { Titles: ['PID', 'CMD'], Processes: [['1', 'sh']] });
    assert.deepEqual(dockerChanges([{ path: '/a', kind: 'A' }, { path: '/b', kind: 'C' }, { path: '/c', kind: 'D' }]), [
      { Path: '/a', Kind: 1 },
      { Path: '/b', Kind: 0 },
      { Path: '/c', Kind: 2 },
    ]);
    assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
    assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
    assert.equal(goFileMode(0o100644), 0o644);
    assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
    const header = JSON.parse(Buffer.from(pathStatHeader({ name: 'etc', size: 4096, mode: 0o040755, mtime: '2026-01-01T00:00:00.000Z', linkTarget: '' }), 'base64').toString());
    assert.deepEqual(header, { name: 'etc', size: 4096, mode: 2147484141, mtime: '2026-01-01T00:00:00.000Z', linkTarget: '' });
    // The remote client reads the header back to st_mode, every file type and special bit kept.
    for (const mode of [0o040755, 0o120777, 0o100644, 0o104755, 0o102711, 0o041777, 0o020620, 0o060660, 0o010644, 0o140755]) {
      assert.equal(statModeOfGoFileMode(goFileMode(mode)), mode, mode.toString(8));
    }
    const stat = { name: 'l', size: 3, mode: 0o120777, mtime: '2026-01-01T00:00:00.000Z', linkTarget: '/etc' };
    assert.deepEqual(pathStatFromHeader(pathStatHeader(stat)), stat);
    assert.equal(pathStatFromHeader('not base64 json'), undefined);
    const sample = { cpuNanos: 2e9, memUsage: 1024, memLimit: 4096, pids: 3, netRx: 10, netTx: 20, blockRead: 1, blockWrite: 2, timeNanos: 0 };
    const stats = dockerStats('id', 'web', { sample, systemNanos: 9e9, onlineCpus: 2, read: 'now' }, { sample: { ...sample, cpuNanos: 1e9 }, systemNanos: 8e9, onlineCpus: 2, read: 'then' }) as Record<string, any>;
    assert.equal(stats.name, '/web');
    assert.equal(stats.cpu_stats.cpu_usage.total_usage, 2e9);
    assert.equal(stats.precpu_stats.cpu_usage.total_usage, 1e9);
    assert.equal(stats.cpu_stats.system_cpu_usage - stats.precpu_stats.system_cpu_usage, 1e9);
    assert.deepEqual(stats.memory_stats, { usage: 1024, stats: {}, limit: 4096 });
    assert.equal(stats.pids_stats.current, 3);
    assert.equal(stats.networks.eth0.rx_bytes, 10);
    assert.equal(stats.preread, 'then');
  });
});
