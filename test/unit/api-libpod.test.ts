import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specFromSpecGenerator, specToSpecGenerator } from '../../src/api/libpod/specgen.js';
import { eventFromLine, eventLine, nanosParam, podCreateFromLibpod, podCreateToLibpod, networkCreateFromLibpod, networkCreateToLibpod, historyFromLibpod, historyToLibpod, containerListEntry, containerListEntryFrom } from '../../src/api/libpod/reports.js';
import { fromWireError, toWireError } from '../../src/api/libpod/errors.js';
import type { ContainerSpec } from '../../src/engine/spec/containerSpec.js';
import type { ContainerSummary } from '../../src/engine/types.js';
import { ContainerStateError, NoSuchContainerError, TspodError } from '../../src/util/errors.js';

const FULL_SPEC: ContainerSpec = {
  image: 'localhost/app:1',
  name: 'web',
  command: ['sh', '-c', 'echo hi'],
  entrypoint: [],
  env: { A: '1', B: 'two words' },
  workingDir: '/srv',
  user: '1000:1000',
  groupAdd: ['wheel'],
  hostname: 'box',
  labels: { l: 'v' },
  annotations: { a: 'b' },
  stopSignal: 'SIGINT',
  stopTimeout: 3,
  terminal: true,
  stdin: true,
  remove: true,
  restartPolicy: 'on-failure',
  restartRetries: 4,
  healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Timeout: 5e9, StartPeriod: 1e9, Retries: 2 },
  healthOnFailure: 'restart',
  logDriver: 'k8s-file',
  logPath: '/tmp/log',
  mounts: [
    { type: 'bind', source: '/data', destination: '/data', options: ['ro', 'rbind'] },
    { type: 'tmpfs', destination: '/scratch', options: ['size=1m'] },
    { type: 'volume', source: 'named', destination: '/named', options: [] },
    { type: 'volume', destination: '/anon', options: ['rw'] },
  ],
  volumesFrom: ['other:ro'],
  secrets: [
    { name: 's1', type: 'mount', target: '/run/secrets/s1', uid: 1, gid: 2, mode: 0o400 },
    { name: 's2', type: 'env', target: 'TOKEN', uid: 0, gid: 0, mode: 0 },
  ],
  readOnly: true,
  readOnlyTmpfs: false,
  privileged: true,
  capAdd: ['NET_ADMIN'],
  capDrop: ['MKNOD'],
  seccompProfile: 'unconfined',
  noNewPrivileges: true,
  apparmorProfile: 'unconfined',
  mask: ['/proc/x'],
  unmask: ['ALL'],
  init: true,
  initPath: '/usr/bin/catatonit',
  network: 'bridge',
  networks: { '': { ips: ['10.88.0.9'], mac: '02:00:00:00:00:01', aliases: ['w'], interfaceName: 'eth1' }, other: {} },
  portMappings: [{ host_ip: '127.0.0.1', container_port: 80, host_port: 8080, range: 2, protocol: 'tcp' }],
  publishAll: true,
  expose: [
    { port: 9000, protocol: 'udp', range: 1 },
    { port: 7000, protocol: 'tcp', range: 3 },
  ],
  dns: [],
  dnsSearch: ['example.com'],
  dnsOptions: ['ndots:2'],
  addHosts: ['db:10.0.0.5'],
  noHosts: true,
  resources: { memory: 1 << 26, memoryReservation: 1 << 25, memorySwap: -1, cpus: 1.5, cpuShares: 512, cpusetCpus: '0-1', pidsLimit: 100 },
  ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
  shmSize: 1 << 20,
  cgroups: 'enabled',
  cgroupParent: '/tspod',
  runtime: 'runc',
  pod: 'new:p1',
  createCommand: ['tspod', 'run', 'x'],
  conmonPidFile: '/run/c.pid',
};

test('a container spec survives the libpod create body both ways', () => {
  const body = JSON.parse(JSON.stringify(specToSpecGenerator(FULL_SPEC))) as Record<string, unknown>;
  assert.equal(body.stop_signal, 2);
  assert.deepEqual(body.netns, { nsmode: 'bridge' });
  assert.deepEqual(body.volumes, [
    { Name: 'named', Dest: '/named', Options: [] },
    { Name: '', Dest: '/anon', Options: ['rw'] },
  ]);
  // Podman puts named volumes after the other mounts; the rest comes back as it was.
  const back = specFromSpecGenerator(body);
  assert.deepEqual(back, FULL_SPEC);
});

test('Podman-shaped bodies: namespaces, no healthcheck, bad types named', () => {
  assert.equal(specFromSpecGenerator({ image: 'x', netns: { nsmode: 'container', value: 'abc' } }).network, 'container:abc');
  assert.equal(specFromSpecGenerator({ image: 'x', netns: { nsmode: 'path', value: '/run/netns/n' } }).network, 'ns:/run/netns/n');
  assert.equal(specFromSpecGenerator({ image: 'x', netns: { nsmode: 'default' } }).network, undefined);
  assert.equal(specFromSpecGenerator({ image: 'x', healthconfig: { Test: ['NONE'] } }).noHealthcheck, true);
  assert.equal(specFromSpecGenerator({ image: 'x', terminal: false, stdin: null }).terminal, undefined);
  assert.throws(() => specFromSpecGenerator({ image: 'x', env: ['A=1'] }), /^BadInputError: field env must be an object of strings$/);
  assert.throws(() => specFromSpecGenerator({ image: 'x', portmappings: [{ host_port: 1 }] }), /field portmappings\[0\]\.container_port is required/);
  assert.throws(() => specFromSpecGenerator({ image: 'x', mounts: [{ destination: '/a', type: 'overlay' }] }), /field mounts\[0\]\.type: unsupported mount type "overlay"/);
  assert.throws(() => specFromSpecGenerator({ command: ['true'] }), /field image: an image name is required/);
});

test('pod and network create options survive their libpod bodies', () => {
  const pod = {
    name: 'p',
    labels: { a: 'b' },
    hostname: 'h',
    infra: false,
    share: ['ipc', 'net'],
    shareParent: false,
    exitPolicy: 'stop' as const,
    createCommand: ['tspod', 'pod', 'create'],
    network: { network: 'bridge', networks: { n1: {} }, portMappings: [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }], dns: ['1.1.1.1'], addHosts: ['a:1.2.3.4'], noHosts: true },
  };
  assert.deepEqual(podCreateFromLibpod(JSON.parse(JSON.stringify(podCreateToLibpod(pod)))), pod);
  const net = { name: 'n', driver: 'bridge', subnets: ['10.1.0.0/24', '10.2.0.0/24'], gateways: ['10.1.0.1', ''], internal: true, disableDns: true, labels: { x: 'y' }, options: { mtu: '1400' }, interfaceName: 'br9', ipamDriver: 'none' };
  assert.deepEqual(networkCreateFromLibpod(JSON.parse(JSON.stringify(networkCreateToLibpod(net))), false), net);
});

test('events cross as Podman API messages with timeNano exact', () => {
  const record = {
    ID: 'a'.repeat(64),
    Name: 'web',
    Image: 'busybox',
    Type: 'container' as const,
    Status: 'died',
    TimeNano: '1795460725123456789',
    Attributes: { podId: 'p', containerExitCode: '7' },
    ContainerExitCode: 7,
  };
  const line = eventLine(record);
  assert.match(line, /"timeNano":1795460725123456789}\n$/);
  assert.equal(JSON.parse(line).time, 1795460725);
  assert.deepEqual(eventFromLine(line.trim()), record);
  assert.deepEqual(eventFromLine(eventLine({ ID: '', Name: 'v', Image: '', Type: 'volume', Status: 'create', TimeNano: '5' }).trim()), {
    ID: '',
    Name: 'v',
    Image: '',
    Type: 'volume',
    Status: 'create',
    TimeNano: '5',
  });
  assert.equal(nanosParam(1795460725000000001n), '1795460725.000000001');
});

test('history and container rows keep what the engine reports', () => {
  const h = { id: 'x', created: 1704067200123, createdRaw: '2024-01-01T00:00:00.123456789Z', createdBy: '/bin/sh', size: 3, comment: '', tags: ['a:b'] };
  assert.deepEqual(historyFromLibpod(historyToLibpod(h)), h);
  const row = { Created: 1795460725, Status: 'Up 3 seconds (healthy)', State: 'running' } as unknown as ContainerSummary;
  const wire = containerListEntry(row);
  assert.equal(wire.Status, 'healthy');
  assert.equal(wire.Created, '2026-11-23T19:05:25.000Z');
  assert.deepEqual(containerListEntryFrom(JSON.parse(JSON.stringify(wire))), row);
});

test('errors keep their class and exit code across the wire', () => {
  const back = fromWireError(toWireError(new NoSuchContainerError('no container with name or ID "x" found: no such container')), 404, '');
  assert.ok(back instanceof NoSuchContainerError);
  assert.equal(back.message, 'no container with name or ID "x" found: no such container');
  const state = fromWireError(toWireError(new ContainerStateError('improper', { exitCode: 255 })), 409, '');
  assert.ok(state instanceof ContainerStateError);
  assert.equal(state.exitCode, 255);
  const plain = fromWireError(toWireError(new TspodError('not found: exec', { exitCode: 127 })), 500, '');
  assert.equal(plain.exitCode, 127);
  // A Podman server's error (no errorcode): the status and message choose.
  assert.ok(fromWireError({ cause: 'no such container', message: 'no container with name or ID "y" found: no such container', response: 404 }, 404, '') instanceof NoSuchContainerError);
});
